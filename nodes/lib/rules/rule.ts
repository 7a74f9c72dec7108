import jsonata from 'jsonata';
import { BAIL, MAX_FAST_TEXT, compileFastPath } from './fastpath';
import { RULE_FUNCTIONS } from './functions';
import { EVALUATE_EXIT, GUARDED_DISTINCT, GUARDED_SORT, NO_EVAL, markConcatOperands, sizeGuards, textCap, unsafeRegex } from './guards';
import { linearRegExpWithin } from './regex';

/** Guardrails applied to every rule so a runaway admin rule fails instead of hanging Node-RED. */
export interface RuleLimits {
  /** Milliseconds one evaluation may run (JSONata error D1012 past it). */
  timeout: number;
  /** Depth of JSONata's evaluate/apply stack (D1011 past it). */
  stack: number;
  /** Longest sequence an evaluation may build (D2015 past it). */
  sequence: number;
  /**
   * Longest string (characters) one step of an evaluation may build: `$pad`, `$join`, `$string`,
   * `$clone` and `&` of an object refuse before building more, and any step whose result is longer
   * fails (QB_TEXT_LIMIT). 0 turns the text guards off (and the fast path stays on).
   */
  text: number;
  /** Characters the function calls of one evaluation may build in all (QB_TEXT_LIMIT past it; 0: no limit). */
  textTotal: number;
}

export const DEFAULT_LIMITS: Readonly<RuleLimits> = Object.freeze({ timeout: 1000, stack: 300, sequence: 1_000_000, text: 1_000_000, textTotal: 10_000_000 });

/** How a rule is run, beside its limits. */
export interface RuleOptions {
  /**
   * Compile simple rules to a synchronous fast path (see `fastpath.ts`); default true. False forces
   * every evaluation through JSONata, e.g. to measure or to compare against it.
   */
  fastPath?: boolean;
}

/** The longest rule text accepted; rules are expressions, not programs. */
export const MAX_RULE_LENGTH = 64 * 1024;

/** A rule that failed to compile or to evaluate; names the rule and, where known, the position. */
export class RuleError extends Error {
  override name = 'RuleError';
  constructor(
    message: string,
    readonly rule: string,
    readonly code?: string,
    readonly position?: number,
    readonly token?: string,
  ) {
    super(message);
  }
}

interface JsonataFailure {
  code?: string;
  position?: number;
  token?: string;
  message?: string;
}

function describe(failure: unknown): JsonataFailure {
  if (failure && typeof failure === 'object') return failure as JsonataFailure;
  return { message: String(failure) };
}

function toRuleError(rule: string, phase: 'syntax' | 'evaluation', failure: unknown): RuleError {
  const f = describe(failure);
  const where = typeof f.position === 'number' ? ` at position ${f.position}` : '';
  const code = f.code ? ` [${f.code}]` : '';
  const what = phase === 'syntax' ? 'has a syntax error' : 'failed';
  return new RuleError(`Rule "${rule}" ${what}${where}: ${f.message ?? 'unknown error'}${code}`, rule, f.code, f.position, f.token);
}

/**
 * A JSONata expression compiled once (per deploy) and evaluated per record. The input document is
 * passed whole to each evaluation; what is assigned on the shared expression (helpers, guarded
 * built-ins, the exit hook of `guards.ts`) holds no data (the hook keeps its per-evaluation count on
 * JSONata's per-evaluation environment), so concurrent evaluations cannot see each other's data.
 */
export class Rule {
  private readonly expression: jsonata.Expression;
  /** The expression as a plain function for the inputs it handles (else BAIL), or null. */
  private readonly fast: ((input: unknown) => unknown) | null = null;

  constructor(
    readonly name: string,
    readonly source: string,
    readonly limits: RuleLimits = DEFAULT_LIMITS,
    options: RuleOptions = {},
  ) {
    if (typeof source !== 'string' || source.trim() === '') {
      throw new RuleError(`Rule "${name}" is empty`, name);
    }
    if (source.length > MAX_RULE_LENGTH) {
      throw new RuleError(`Rule "${name}" is longer than ${MAX_RULE_LENGTH} characters`, name);
    }
    try {
      this.expression = jsonata(source, {
        timeout: limits.timeout,
        stack: limits.stack,
        sequence: limits.sequence,
        // every regex literal runs on the linear-time engine (see regex.ts)
        RegexEngine: linearRegExpWithin(limits.timeout) as unknown as RegExpConstructor,
      } as Parameters<typeof jsonata>[1]);
    } catch (failure) {
      throw toRuleError(name, 'syntax', failure);
    }
    const regex = unsafeRegex(this.expression.ast());
    if (regex) {
      const where = typeof regex.position === 'number' ? ` at position ${regex.position}` : '';
      throw new RuleError(`Rule "${name}" is refused${where}: ${regex.reason}`, name, 'QB_UNSAFE_REGEX', regex.position);
    }
    for (const fn of RULE_FUNCTIONS) this.expression.registerFunction(fn.name, fn.implementation, fn.signature);
    for (const fn of [NO_EVAL, GUARDED_DISTINCT, GUARDED_SORT]) this.expression.registerFunction(fn.name, fn.implementation, fn.signature);
    if (limits.text > 0) {
      markConcatOperands(this.expression.ast());
      for (const fn of sizeGuards(limits.text)) this.expression.registerFunction(fn.name, fn.implementation, fn.signature);
      this.expression.assign(EVALUATE_EXIT as unknown as string, textCap(limits.text, limits.textTotal));
    }
    // JSONata's path evaluation builds one-item sequences, which a `sequence` limit below 1 refuses.
    const sequenceOk = !limits.sequence || limits.sequence >= 1;
    // the fast path hands strings longer than MAX_FAST_TEXT to JSONata; a lower text limit needs JSONata throughout
    const textOk = !limits.text || limits.text >= MAX_FAST_TEXT;
    if (options.fastPath !== false && sequenceOk && textOk) {
      this.fast = compileFastPath(this.expression.ast(), { maxDepth: limits.stack });
    }
  }

  /** True when the rule compiled to a fast path (it may still hand some inputs to JSONata). */
  get hasFastPath(): boolean {
    return this.fast !== null;
  }

  /**
   * Evaluates the rule synchronously through its fast path: the result `evaluate` would give, or
   * `BAIL` when there is no fast path or this input needs JSONata (then call `evaluate`).
   */
  evaluateSync(input: unknown): unknown | typeof BAIL {
    if (this.fast === null) return BAIL;
    const result = this.fast(input);
    if (result === BAIL) return BAIL;
    return result !== null && typeof result === 'object' ? normalizeResult(result) : result;
  }

  /** Evaluates the rule against one input document; failures become a `RuleError` naming the rule. */
  async evaluate(input: unknown): Promise<unknown> {
    const quick = this.evaluateSync(input);
    if (quick !== BAIL) return quick;
    try {
      return normalizeResult(await this.expression.evaluate(input));
    } catch (failure) {
      throw toRuleError(this.name, 'evaluation', failure);
    }
  }
}

/**
 * JSONata returns sequences as arrays tagged with a `sequence` flag and keeps `undefined` for "no
 * result"; turn them into plain JSON values so callers and the editor see ordinary data.
 */
function normalizeResult(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalizeResult);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = normalizeResult(v);
    return out;
  }
  return value;
}

/**
 * Compiles a rule, throwing a `RuleError` with the rule name and position on a syntax error.
 * `{ fastPath: false }` among the limits turns the fast path off.
 */
export function compileRule(name: string, source: string, limits?: Partial<RuleLimits> & RuleOptions): Rule {
  const { fastPath, ...rest } = limits ?? {};
  return new Rule(name, source, { ...DEFAULT_LIMITS, ...rest }, { fastPath });
}

/** What the editor's Test button shows: the result, or the error with its position. */
export type RuleTestOutcome =
  | { ok: true; result: unknown }
  | { ok: false; error: { message: string; code?: string; position?: number; token?: string } };

/** Compiles and runs a rule against sample data, never throwing: the admin route's engine. */
export async function testRule(name: string, source: string, sample: unknown): Promise<RuleTestOutcome> {
  try {
    const result = await compileRule(name, source).evaluate(sample);
    return { ok: true, result };
  } catch (failure) {
    const e = failure instanceof RuleError ? failure : toRuleError(name, 'evaluation', failure);
    return { ok: false, error: { message: e.message, code: e.code, position: e.position, token: e.token } };
  }
}
