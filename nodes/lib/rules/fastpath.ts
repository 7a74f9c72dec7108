/**
 * A fast path for simple rules: compiles a recognised subset of JSONata (the AST from
 * `jsonata(src).ast()`) to a plain synchronous closure, so key rules such as `$normKey(sku)` run at
 * the speed of hand-written TypeScript.
 *
 * Exactness is the contract: for every input the closure either gives what JSONata 2.2.2 gives (after
 * the rule's `normalizeResult`) or returns `BAIL`, and the caller evaluates that input through
 * JSONata. It bails whenever it meets something whose JSONata semantics it does not reproduce:
 *   - any array (JSONata's sequence mapping and flattening are not implemented), at the root or
 *     anywhere a path or a function hands one over;
 *   - values that are not plain JSON data: functions, symbols, bigints, NaN and ±Infinity, objects
 *     whose prototype is not `Object.prototype` or `null`, thenables, objects marked as JSONata
 *     functions;
 *   - an object where a string, number or boolean is expected (`$string`, `&`), two objects compared
 *     with `=`/`!=`, an argument whose type the function's signature refuses;
 *   - any exception at all (a helper throwing, say): JSONata then raises its own error.
 *
 * The subset (anything else makes `compileFastPath` return `null`):
 *   - paths of name steps: `sku`, `PrimaryEmailAddr.Address`, `` `Primary Email`.Address ``;
 *   - string, number, `true`/`false`/`null` literals; comments; parentheses `( expr )`;
 *   - `c ? a : b`, `c ? a`, `and`, `or`, `=`, `!=`, `&`;
 *   - object constructors `{ "key": expr, ... }` with distinct string-literal keys;
 *   - calls of the rule helpers (`RULE_FUNCTIONS`: $normEmail, $normKey, $qbText, $cents — the very
 *     same implementations) and of the builtins $exists, $string, $trim, $lowercase, $uppercase,
 *     $substring, $length, $not, $boolean, each with its JSONata signature checked per call.
 *
 * The builtins are written here from the JSONata documentation (the library does not export them);
 * `test/unit/rules/fastpath.test.ts` checks them against real JSONata on generated inputs.
 */
import type jsonata from 'jsonata';
import { RULE_FUNCTIONS } from './functions';

/** What a compiled fast path returns for an input it leaves to JSONata. */
export const BAIL: unique symbol = Symbol('rules.fastpath.bail');

/**
 * The longest string the fast path handles; longer ones bail, so a rule's `text` limit (at least this)
 * is applied by JSONata exactly as without the fast path.
 */
export const MAX_FAST_TEXT = 1_000_000;

/** A compiled node: evaluates against the rule's input, throws (anything) to bail. */
type Eval = (input: unknown) => unknown;

export interface FastPathOptions {
  /**
   * The deepest JSONata evaluation stack the expression may need (the rule's `stack` limit; 0 or
   * absent: no limit). An expression nested deeper is refused, since JSONata would fail with D1011.
   */
  maxDepth?: number;
}

/**
 * Compiles a JSONata AST to a synchronous function giving JSONata's result or `BAIL`, or returns
 * `null` when the expression uses anything outside the subset described above.
 */
export function compileFastPath(ast: jsonata.ExprNode, options: FastPathOptions = {}): ((input: unknown) => unknown) | null {
  const maxDepth = options.maxDepth && options.maxDepth > 0 ? options.maxDepth : Infinity;
  const compiled = compileNode(ast as unknown as Node);
  if (!compiled || compiled.depth > maxDepth) return null;
  const run = compiled.run;
  return (input: unknown) => {
    try {
      return run(checked(input));
    } catch {
      return BAIL;
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Values

/** Thrown inside a compiled node to give the input back to JSONata. */
function bail(): never {
  throw BAIL;
}

/**
 * Lets through a value whose JSONata semantics the fast path reproduces, bails on anything else
 * (arrays, functions, non-finite numbers, non-plain objects, ...).
 */
function checked(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
      // longer strings are left to JSONata, whose text limit decides (see guards.ts)
      return value.length > MAX_FAST_TEXT ? bail() : value;
    case 'boolean':
    case 'undefined':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : bail();
    case 'object': {
      if (value === null) return value;
      if (Array.isArray(value)) bail();
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) bail();
      const v = value as Record<string, unknown>;
      if (v._jsonata_function === true || v._jsonata_lambda === true || typeof v.then === 'function') bail();
      return value;
    }
    default:
      return bail();
  }
}

/** The symbol JSONata's signature check gives a (checked) value. */
function typeSymbol(value: unknown): string {
  if (value === undefined) return 'm';
  if (value === null) return 'l';
  switch (typeof value) {
    case 'string':
      return 's';
    case 'number':
      return 'n';
    case 'boolean':
      return 'b';
    default:
      return 'o';
  }
}

/** JSONata's `$boolean` for checked values (no arrays, no functions, finite numbers). */
function toBoolean(value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value.length > 0;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'boolean') return value;
  if (value === null) return false;
  return Object.keys(value as object).length > 0;
}

/** JSONata's `$string` for strings, numbers, booleans and null; bails on objects. */
function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return JSON.stringify(Number.isInteger(value) ? value : Number(value.toPrecision(15)));
  if (typeof value === 'boolean' || value === null) return JSON.stringify(value);
  return bail();
}

/** The builtins of the subset, with their JSONata signatures (see the header). */
const BUILTINS: Record<string, { signature: string; implementation: (...args: any[]) => unknown }> = {
  exists: { signature: '<x:b>', implementation: (arg: unknown) => arg !== undefined },
  boolean: { signature: '<x-:b>', implementation: toBoolean },
  not: { signature: '<x-:b>', implementation: (arg: unknown) => (arg === undefined ? undefined : !toBoolean(arg)) },
  string: { signature: '<x-b?:s>', implementation: (arg: unknown) => (arg === undefined ? undefined : toText(arg)) },
  lowercase: { signature: '<s-:s>', implementation: (str?: string) => (str === undefined ? undefined : str.toLowerCase()) },
  uppercase: { signature: '<s-:s>', implementation: (str?: string) => (str === undefined ? undefined : str.toUpperCase()) },
  length: { signature: '<s-:n>', implementation: (str?: string) => (str === undefined ? undefined : Array.from(str).length) },
  trim: { signature: '<s-:s>', implementation: trim },
  substring: { signature: '<s-nn?:s>', implementation: substring },
};

/** `$trim` as documented: runs of white space (space, tab, CR, LF) become one space, then the ends are trimmed. */
function trim(str?: string): string | undefined {
  if (str === undefined) return undefined;
  const collapsed = str.replace(/[ \t\n\r]+/g, ' ');
  return collapsed.slice(collapsed.startsWith(' ') ? 1 : 0, collapsed.endsWith(' ') && collapsed.length > 1 ? -1 : collapsed.length);
}

/**
 * `$substring(str, start[, length])` as documented, counting code points: a negative start counts from
 * the end; a length at or below zero gives "". Fractional positions bail (JSONata truncates them in
 * ways the documentation does not describe).
 */
function substring(str: string | undefined, start: number, length?: number): string | undefined {
  if (str === undefined) return undefined;
  if (!Number.isInteger(start) || (length !== undefined && !Number.isInteger(length))) return bail();
  const chars = Array.from(str);
  const from = start < 0 ? Math.max(chars.length + start, 0) : start;
  if (length === undefined) return chars.slice(from).join('');
  return length <= 0 ? '' : chars.slice(from, from + length).join('');
}

// ---------------------------------------------------------------------------------------------
// Function signatures

interface Param {
  /** Type symbols the argument may have ('m' = undefined, always allowed). */
  types: string;
  /** `?` or `-`: the argument may be left out. */
  optional: boolean;
  /** `-`: when left out, JSONata passes the context (the rule's input) instead. */
  context: boolean;
}

const TYPE_SYMBOLS: Record<string, string> = { s: 's', n: 'n', b: 'b', l: 'l', o: 'o', j: 'snblo', x: 'snblo' };

/** Every type a checked value can have: a parameter of these types needs no check. */
const ANY = 'snblom';

/** Tests a (checked) value against a parameter's types. */
function acceptor(param: Param): (value: unknown) => boolean {
  if (param.types === ANY) return () => true;
  return (value) => param.types.includes(typeSymbol(value));
}

/** Parses the simple JSONata signatures (`<x-b?:s>`); null for anything richer (arrays, functions, choices). */
function parseSignature(signature: string): Param[] | null {
  const m = /^<([^:>]*)(?::[a-z]*)?>$/.exec(signature);
  if (!m) return null;
  const params: Param[] = [];
  for (const symbol of m[1]) {
    const last = params[params.length - 1];
    if (TYPE_SYMBOLS[symbol]) params.push({ types: `${TYPE_SYMBOLS[symbol]}m`, optional: false, context: false });
    else if (symbol === '?' && last && !last.optional) last.optional = true;
    else if (symbol === '-' && last && !last.optional) Object.assign(last, { optional: true, context: true });
    else return null;
  }
  return params;
}

interface FastFunction {
  params: Param[];
  implementation: (...args: any[]) => unknown;
}

/** The functions a fast path may call: the rule helpers (as JSONata sees them, first) then the builtins. */
const FUNCTIONS: ReadonlyMap<string, FastFunction> = (() => {
  const table = new Map<string, FastFunction>();
  const add = (name: string, signature: string, implementation: (...args: any[]) => unknown) => {
    const params = parseSignature(signature);
    if (params && !table.has(name)) table.set(name, { params, implementation });
  };
  for (const fn of RULE_FUNCTIONS) add(fn.name, fn.signature, fn.implementation);
  for (const [name, fn] of Object.entries(BUILTINS)) add(name, fn.signature, fn.implementation);
  return table;
})();

/**
 * Compiles a call: arguments are matched to parameters positionally and a type the signature refuses
 * bails (JSONata would raise T0410, or shift arguments in ways not reproduced here). Argument counts
 * JSONata could only handle by shifting or failing are refused at compile time; `$f()` on a `<x-...>`
 * function passes the input, as JSONata passes the context.
 */
function compileCall(fn: FastFunction, args: Eval[]): Eval | null {
  const { params, implementation } = fn;
  let required = 0;
  params.forEach((p, i) => {
    if (!p.optional) required = i + 1;
  });
  if (args.length > params.length) return null;
  if (args.length === 0 && params.length > 0 && params[0].context && required === 0) {
    const accepts = acceptor(params[0]);
    return (input) => (accepts(input) ? checked(implementation(input)) : bail());
  }
  if (args.length < Math.max(required, 1) && params.length > 0) return null;
  if (args.length === 1) {
    const [arg] = args;
    if (params[0].types === ANY) return (input) => checked(implementation(arg(input)));
    const accepts = acceptor(params[0]);
    return (input) => {
      const value = arg(input);
      return accepts(value) ? checked(implementation(value)) : bail();
    };
  }
  const accepts = args.map((_, i) => acceptor(params[i]));
  return (input) => {
    const values = args.map((arg, i) => {
      const value = arg(input);
      return accepts[i](value) ? value : bail();
    });
    return checked(implementation(...values));
  };
}


// ---------------------------------------------------------------------------------------------
// Compiler

interface Compiled {
  run: Eval;
  /** How deep JSONata's own evaluation of this node nests (its `stack` guardrail counts this). */
  depth: number;
}

/** An AST node as the parser really builds it (the typings omit `path`, `predicate`, `stages`, ...). */
interface Node {
  type: string;
  value?: unknown;
  [key: string]: unknown;
}

/**
 * True when the node carries no keys beyond `allowed` (so predicates, grouping, focus, `[]`, ...
 * refuse it). Keys set to `undefined` (the parser leaves `name` on calls) do not count.
 */
function hasOnly(node: Node, ...allowed: string[]): boolean {
  return Object.keys(node).every((k) => node[k] === undefined || k === 'type' || k === 'position' || allowed.includes(k));
}

function compileNode(node: Node): Compiled | null {
  if (!node || typeof node !== 'object') return null;
  switch (node.type) {
    case 'string':
    case 'number':
    case 'value':
      return compileLiteral(node);
    case 'path':
      return compilePath(node);
    case 'block': {
      const expressions = node.expressions;
      if (!hasOnly(node, 'expressions') || !Array.isArray(expressions) || expressions.length !== 1) return null;
      return nested(compileNode(expressions[0] as Node), (inner) => inner);
    }
    case 'condition':
      return compileCondition(node);
    case 'binary':
      return compileBinary(node);
    case 'unary':
      return node.value === '{' ? compileObject(node) : null;
    case 'function':
      return compileFunction(node);
    default:
      return null;
  }
}

/** One level deeper than `child`, wrapping its closure. */
function nested(child: Compiled | null, wrap: (run: Eval) => Eval): Compiled | null {
  return child ? { run: wrap(child.run), depth: child.depth + 1 } : null;
}

function compileLiteral(node: Node): Compiled | null {
  if (!hasOnly(node, 'value')) return null;
  const value = node.value as unknown;
  const ok =
    (node.type === 'string' && typeof value === 'string') ||
    (node.type === 'number' && typeof value === 'number' && Number.isFinite(value)) ||
    (node.type === 'value' && (value === true || value === false || value === null));
  return ok ? { run: () => value, depth: 1 } : null;
}

/** A path of name steps: own-property lookups, each value checked (an array anywhere bails). */
function compilePath(node: Node): Compiled | null {
  const steps = node.steps;
  if (!hasOnly(node, 'steps') || !Array.isArray(steps) || steps.length === 0) return null;
  const keys: string[] = [];
  for (const step of steps as Node[]) {
    if (step.type !== 'name' || !hasOnly(step, 'value') || typeof step.value !== 'string') return null;
    keys.push(step.value);
  }
  const own = Object.prototype.hasOwnProperty;
  const lookup = (value: unknown, key: string): unknown =>
    value !== null && typeof value === 'object' && own.call(value, key) ? checked((value as Record<string, unknown>)[key]) : undefined;
  const run: Eval =
    keys.length === 1
      ? (input) => lookup(input, keys[0])
      : (input) => {
          let value = input;
          for (const key of keys) {
            value = lookup(value, key);
            if (value === undefined) return undefined;
          }
          return value;
        };
  // evaluate(path) then evaluate(step) for the steps
  return { run, depth: 2 };
}

function compileCondition(node: Node): Compiled | null {
  if (!hasOnly(node, 'condition', 'then', 'else')) return null;
  const condition = compileNode(node.condition as Node);
  const then = compileNode(node.then as Node);
  const otherwise = node.else === undefined ? { run: () => undefined, depth: 0 } : compileNode(node.else as Node);
  if (!condition || !then || !otherwise) return null;
  const [c, t, e] = [condition.run, then.run, otherwise.run];
  return { run: (input) => (toBoolean(c(input)) ? t(input) : e(input)), depth: 1 + Math.max(condition.depth, then.depth, otherwise.depth) };
}

function compileBinary(node: Node): Compiled | null {
  if (!hasOnly(node, 'value', 'lhs', 'rhs')) return null;
  const lhs = compileNode(node.lhs as Node);
  const rhs = compileNode(node.rhs as Node);
  if (!lhs || !rhs) return null;
  const [l, r] = [lhs.run, rhs.run];
  let run: Eval;
  switch (node.value) {
    case 'and':
      run = (input) => (toBoolean(l(input)) ?? false) && (toBoolean(r(input)) ?? false);
      break;
    case 'or':
      run = (input) => (toBoolean(l(input)) ?? false) || (toBoolean(r(input)) ?? false);
      break;
    case '=':
      run = (input) => equal(l(input), r(input), true);
      break;
    case '!=':
      run = (input) => equal(l(input), r(input), false);
      break;
    case '&':
      run = (input) => {
        const a = l(input);
        const b = r(input);
        return checked((a === undefined ? '' : toText(a)) + (b === undefined ? '' : toText(b)));
      };
      break;
    default:
      return null;
  }
  return { run, depth: 1 + Math.max(lhs.depth, rhs.depth) };
}

/** JSONata's `=` (when `same`) and `!=`: false if either side is missing; two objects bail. */
function equal(a: unknown, b: unknown, same: boolean): boolean {
  if (a === undefined || b === undefined) return false;
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') bail();
  return (a === b) === same;
}

/**
 * `{ "k": expr, ... }` with distinct literal keys; missing values are left out and the result has no
 * prototype, as JSONata does.
 */
function compileObject(node: Node): Compiled | null {
  if (!hasOnly(node, 'value', 'lhs') || !Array.isArray(node.lhs)) return null;
  const entries: Array<[string, Eval]> = [];
  let depth = 0;
  for (const pair of node.lhs as unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2) return null;
    const [keyNode, valueNode] = pair as [Node, Node];
    if (keyNode.type !== 'string' || !hasOnly(keyNode, 'value') || typeof keyNode.value !== 'string') return null;
    const key = keyNode.value;
    // JSONata refuses these keys (D1013) and a key given twice (D1009)
    if (key === '_jsonata_lambda' || key === '_jsonata_function' || entries.some(([k]) => k === key)) return null;
    const value = compileNode(valueNode);
    if (!value) return null;
    entries.push([key, value.run]);
    depth = Math.max(depth, 1, value.depth); // the key literal is evaluated too
  }
  const run: Eval = (input) => {
    // JSONata takes a context with a truthy `tupleStream` for its internal tuple streams
    if (input !== null && input !== undefined && (input as { tupleStream?: unknown }).tupleStream) bail();
    const out: Record<string, unknown> = Object.create(null);
    for (const [key, value] of entries) {
      const v = value(input);
      if (v !== undefined) out[key] = v;
    }
    return out;
  };
  return { run, depth: 1 + depth };
}

function compileFunction(node: Node): Compiled | null {
  if (!hasOnly(node, 'value', 'arguments', 'procedure') || node.value !== '(' || !Array.isArray(node.arguments)) return null;
  const procedure = node.procedure as Node | undefined;
  if (!procedure || procedure.type !== 'variable' || !hasOnly(procedure, 'value') || typeof procedure.value !== 'string') return null;
  const fn = FUNCTIONS.get(procedure.value);
  if (!fn) return null;
  const args: Eval[] = [];
  let depth = 1; // the procedure's own evaluation
  for (const argNode of node.arguments as Node[]) {
    const arg = compileNode(argNode);
    if (!arg) return null;
    args.push(arg.run);
    depth = Math.max(depth, arg.depth);
  }
  const run = compileCall(fn, args);
  return run ? { run, depth: 1 + depth } : null;
}
