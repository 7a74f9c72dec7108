/**
 * Guards that keep a rule's memory and time bounded on the main thread, beside JSONata's own limits
 * (timeout, stack, sequence):
 *  - `unsafeRegex` walks the AST when a rule compiles and finds the first regex literal `regex.ts`
 *    refuses (or the linear-time engine cannot compile);
 *  - `sizeGuards` are replacements for the built-ins that can build a large string from a small input
 *    (`$pad` by its width, `$join` by its separator, `$string` of a value that repeats one big string):
 *    each checks the size of what it would build before building it;
 *  - `textCap` is the evaluate exit hook: any step whose result is a string longer than the limit
 *    (concatenation with `&` doubling a string, `$replace`, ...) fails the evaluation at once, and an
 *    object or array about to be turned into text by `&` (marked by `markConcatOperands` when the rule
 *    compiles) is measured first, like `$string`'s argument;
 *  - `$eval` is not available in rules: it would compile an expression at run time, past these checks.
 */
import jsonata from 'jsonata';
import { compileLinear, regexProblem } from './regex';

/** An error a guard raises inside an evaluation; `Rule` turns it into a `RuleError` naming the rule. */
export interface GuardFailure {
  code: string;
  message: string;
  position?: number;
}

/** The code of a failure for a string longer than the rule's `text` limit. */
export const TEXT_LIMIT_CODE = 'QB_TEXT_LIMIT';

function tooLong(what: string, size: number, limit: number, position?: number): GuardFailure {
  return {
    code: TEXT_LIMIT_CODE,
    message: `${what} would be ${Math.round(size).toLocaleString('en-US')} characters long, more than the rule limit of ${limit.toLocaleString('en-US')}`,
    position,
  };
}

interface AstNode {
  type?: string;
  value?: unknown;
  position?: number;
  [key: string]: unknown;
}

/** The first regex literal of the AST that is refused: its position in the rule and why. */
export function unsafeRegex(ast: unknown): { position?: number; reason: string } | null {
  const seen = new Set<unknown>();
  const walk = (node: unknown): { position?: number; reason: string } | null => {
    if (!node || typeof node !== 'object' || seen.has(node)) return null;
    seen.add(node);
    if (Array.isArray(node)) {
      for (const child of node) {
        const found = walk(child);
        if (found) return found;
      }
      return null;
    }
    const n = node as AstNode;
    if (n.type === 'regex' && n.value instanceof RegExp) {
      const problem = regexProblem(n.value.source);
      if (problem) return { position: n.position, reason: `${problem.reason} (/${n.value.source}/ at character ${problem.offset + 1})` };
      try {
        compileLinear(n.value.source, n.value.flags);
      } catch (err) {
        return { position: n.position, reason: `the regular expression /${n.value.source}/ is not supported: ${(err as Error).message}` };
      }
      return null;
    }
    for (const [key, child] of Object.entries(n)) {
      if (key === 'value' && n.type !== 'unary') continue;
      const found = walk(child);
      if (found) return found;
    }
    return null;
  };
  return walk(ast);
}

/**
 * The size of the JSON text of `value`, counted until it passes `limit` (then any number above it).
 * Strings count their length; functions count nothing (JSONata writes them as "").
 */
export function textSize(value: unknown, limit: number, pretty = false): number {
  let total = 0;
  // with `pretty`, every value starts a line indented by two spaces per level
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length && total <= limit) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (pretty) total += 2 * depth + 1;
    if (typeof v === 'string') total += v.length + 2;
    else if (typeof v === 'number') total += String(v).length + 2; // JSONata may write up to 15 significant digits
    else if (typeof v === 'boolean' || v === null || v === undefined) total += 5;
    else if (Array.isArray(v)) {
      total += 2 + v.length;
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], depth + 1]);
    } else if (typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o._jsonata_function === true || o._jsonata_lambda === true) continue;
      total += 2;
      for (const key of Object.keys(o)) {
        total += key.length + 4;
        stack.push([o[key], depth + 1]);
      }
    }
  }
  return total;
}

interface BuiltinDefinition {
  implementation: (...args: any[]) => unknown;
  signature: { definition: string };
}

/** JSONata's signatures of the built-ins replaced here (a unit test checks them against JSONata's own). */
export const GUARDED_SIGNATURES = { pad: '<s-ns?:s>', join: '<a<s>s?:s>', string: '<x-b?:s>', distinct: '<x:x>', sort: '<af?:a>', clone: '<(oa)-:o>' } as const;
type GuardedName = keyof typeof GUARDED_SIGNATURES;

let loaded: Record<GuardedName, BuiltinDefinition> | null = null;

/**
 * JSONata's own `$pad`, `$join` and `$string`: the library does not export them, evaluating `$pad`
 * gives its definition. Loaded once, at module load.
 */
export const builtinsReady: Promise<Record<GuardedName, BuiltinDefinition>> = (async () => {
  const out = {} as Record<GuardedName, BuiltinDefinition>;
  for (const name of Object.keys(GUARDED_SIGNATURES) as GuardedName[]) {
    out[name] = (await jsonata(`$${name}`).evaluate({})) as BuiltinDefinition;
  }
  loaded = out;
  return out;
})();

/** Calls JSONata's original built-in (at once when loaded, else once it is: JSONata awaits results). */
function original(name: GuardedName, self: unknown, args: unknown[]): unknown {
  if (loaded) return loaded[name].implementation.apply(self, args);
  return builtinsReady.then((b) => b[name].implementation.apply(self, args));
}

/** A replacement built-in: its name, its JSONata signature and its implementation. */
export interface GuardedBuiltin {
  name: string;
  signature: string;
  implementation: (...args: any[]) => unknown;
}

/**
 * Most pairwise comparisons `$distinct` may make between values that hold objects or arrays (JSONata
 * compares each value with every kept one); plain values are de-duplicated in linear time instead.
 */
export const MAX_DISTINCT_COMPARISONS = 10_000_000;

/** `$distinct`, without JSONata's quadratic loop for plain values, and bounded for objects. */
export const GUARDED_DISTINCT: GuardedBuiltin = {
  name: 'distinct',
  signature: GUARDED_SIGNATURES.distinct,
  implementation(this: { createSequence?: () => unknown[] }, arr: unknown) {
    if (!Array.isArray(arr) || arr.length <= 1) return original('distinct', this, [arr]);
    let objects = 0;
    for (const v of arr) if (v !== null && typeof v === 'object') objects++;
    if (objects === 0) {
      // === on plain values is JSONata's deep equality for them: keep first occurrences, in order
      const results = (arr as { sequence?: boolean }).sequence === true && this?.createSequence ? this.createSequence() : [];
      const seen = new Set<unknown>();
      for (const v of arr) {
        if (!seen.has(v)) {
          seen.add(v);
          results.push(v);
        }
      }
      return results;
    }
    if (arr.length * objects > MAX_DISTINCT_COMPARISONS) {
      throw {
        code: 'QB_DISTINCT_LIMIT',
        message: `$distinct of ${arr.length.toLocaleString('en-US')} values holding ${objects.toLocaleString('en-US')} objects or arrays is more than a rule may compare`,
      } satisfies GuardFailure;
    }
    return original('distinct', this, [arr]);
  },
};

/**
 * `$sort` as JSONata sorts (the same top-down merge sort: the same split, `comparator(left, right)`
 * true takes the right one first, so the same order for any comparator), but merging by index: JSONata's
 * own merge copies the rest of an array at every step and keeps every copy until the sort ends
 * (measured: 20,000 numbers took 2.7 s and 450 MB, 100,000 exhausted a 1 GB heap).
 */
export const GUARDED_SORT: GuardedBuiltin = {
  name: 'sort',
  signature: GUARDED_SIGNATURES.sort,
  implementation(this: unknown, arr: unknown, comparator?: (a: unknown, b: unknown) => unknown) {
    if (!Array.isArray(arr) || arr.length <= 1) return original('sort', this, [arr, comparator]);
    if (comparator === undefined) {
      const numbers = arr.every((v) => typeof v === 'number');
      if (!numbers && !arr.every((v) => typeof v === 'string')) return original('sort', this, [arr, comparator]); // JSONata's D3070
      return mergeSortSync(arr as Array<number | string>);
    }
    return mergeSortAsync(arr, comparator);
  },
};

function mergeSortSync<T extends number | string>(arr: T[]): T[] {
  const sort = (from: number, to: number): T[] => {
    if (to - from <= 1) return arr.slice(from, to);
    const middle = from + Math.floor((to - from) / 2);
    const left = sort(from, middle);
    const right = sort(middle, to);
    const out = new Array<T>(left.length + right.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < left.length && j < right.length) out[k++] = left[i] > right[j] ? right[j++] : left[i++];
    while (i < left.length) out[k++] = left[i++];
    while (j < right.length) out[k++] = right[j++];
    return out;
  };
  return sort(0, arr.length);
}

async function mergeSortAsync(arr: unknown[], comparator: (a: unknown, b: unknown) => unknown): Promise<unknown[]> {
  const sort = async (from: number, to: number): Promise<unknown[]> => {
    if (to - from <= 1) return arr.slice(from, to);
    const middle = from + Math.floor((to - from) / 2);
    const left = await sort(from, middle);
    const right = await sort(middle, to);
    const out: unknown[] = [];
    let i = 0;
    let j = 0;
    while (i < left.length && j < right.length) out.push((await comparator(left[i], right[j])) ? right[j++] : left[i++]);
    while (i < left.length) out.push(left[i++]);
    while (j < right.length) out.push(right[j++]);
    return out;
  };
  return sort(0, arr.length);
}

/** `$eval`, replaced in rules by a function that refuses (it would compile an unchecked expression). */
export const NO_EVAL: GuardedBuiltin = {
  name: 'eval',
  signature: '<sx?:x>',
  implementation() {
    throw { code: 'QB_NO_EVAL', message: '$eval is not available in rules; write the expression itself' } satisfies GuardFailure;
  },
};

/**
 * `$pad`, `$join`, `$string` and `$clone` refusing to build a string longer than `limit` characters; the rest
 * of their behaviour is JSONata's own (the originals are called).
 */
export function sizeGuards(limit: number): GuardedBuiltin[] {
  return [
    {
      name: 'pad',
      signature: GUARDED_SIGNATURES.pad,
      implementation(this: unknown, str: unknown, width: number, char?: string) {
        if (typeof width === 'number' && Math.abs(width) > limit) throw tooLong('$pad', Math.abs(width), limit);
        return original('pad', this, [str, width, char]);
      },
    },
    {
      name: 'join',
      signature: GUARDED_SIGNATURES.join,
      implementation(this: unknown, strs: unknown, separator?: string) {
        if (Array.isArray(strs)) {
          let size = typeof separator === 'string' ? separator.length * Math.max(0, strs.length - 1) : 0;
          for (const s of strs) if (typeof s === 'string') size += s.length;
          if (size > limit) throw tooLong('$join', size, limit);
        }
        return original('join', this, [strs, separator]);
      },
    },
    {
      // a JSON round trip; the transform operator (`~> |...|...|`) clones through it too
      name: 'clone',
      signature: GUARDED_SIGNATURES.clone,
      implementation(this: unknown, arg: unknown) {
        if (arg !== null && typeof arg === 'object') {
          const size = textSize(arg, limit);
          if (size > limit) throw tooLong('$clone (or a transform) of a value', size, limit);
        }
        return original('clone', this, [arg]);
      },
    },
    {
      name: 'string',
      signature: GUARDED_SIGNATURES.string,
      implementation(this: unknown, arg: unknown, prettify?: boolean) {
        if (arg !== null && typeof arg === 'object') {
          const size = textSize(arg, limit, prettify === true);
          if (size > limit) throw tooLong('$string', size, limit);
        }
        return original('string', this, [arg, prettify]);
      },
    },
  ];
}

const READS = new Set(['path', 'name', 'variable', 'parent']);
/** Marks an AST node whose value `&` turns into text (see `markConcatOperands`). */
const CONCAT_OPERAND = Symbol('qbsync.rules.concatOperand');

/** Marks the operands of every `&` in the AST, so the exit hook measures an object before `&` writes it out. */
export function markConcatOperands(ast: unknown): void {
  const seen = new Set<unknown>();
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object' || seen.has(node)) return;
    seen.add(node);
    if (Array.isArray(node)) {
      for (const child of node) walk(child);
      return;
    }
    const n = node as AstNode & { [CONCAT_OPERAND]?: boolean };
    if (n.type === 'binary' && n.value === '&') {
      for (const side of [n.lhs, n.rhs]) if (side && typeof side === 'object') (side as { [CONCAT_OPERAND]?: boolean })[CONCAT_OPERAND] = true;
    }
    for (const [key, child] of Object.entries(n)) if (!(key === 'value' && n.type !== 'unary')) walk(child);
  };
  walk(ast);
}
/** Steps whose string result is new text a function built (counted against the evaluation's total). */
const BUILDS = new Set(['function', 'apply', 'partial']);
/** Where the running total of one evaluation is kept: on JSONata's per-evaluation environment. */
const BUILT = Symbol('qbsync.rules.built');

/**
 * The evaluate exit hook: fails the evaluation when a step gives a string longer than `limit`, or when
 * the strings function calls have built in this evaluation add up to more than `total` characters.
 */
export function textCap(limit: number, total: number): (expr: AstNode, input: unknown, env: unknown, result: unknown) => void {
  return (expr, _input, env, result) => {
    if (typeof result !== 'string') {
      if (result !== null && typeof result === 'object' && (expr as { [CONCAT_OPERAND]?: boolean })[CONCAT_OPERAND]) {
        const size = textSize(result, limit);
        if (size > limit) throw tooLong('a value written out by &', size, limit, expr.position);
      }
      return;
    }
    const type = expr.type as string;
    // paths, names and variables only hand over values that exist already (the record's own fields)
    if (result.length > limit && !READS.has(type)) throw tooLong('a value', result.length, limit, expr.position);
    if (total > 0 && BUILDS.has(type)) {
      const base = (env as { base?: Record<symbol, number> }).base;
      if (!base) return;
      const built = (base[BUILT] ?? 0) + result.length;
      base[BUILT] = built;
      if (built > total) {
        throw {
          code: TEXT_LIMIT_CODE,
          message: `the text built by function calls adds up to more than the rule limit of ${total.toLocaleString('en-US')} characters per evaluation`,
          position: expr.position,
        } satisfies GuardFailure;
      }
    }
  };
}

/** The symbol JSONata looks up after each evaluation step. */
export const EVALUATE_EXIT = Symbol.for('jsonata.__evaluate_exit');
