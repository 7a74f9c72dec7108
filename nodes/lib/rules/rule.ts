import jsonata from 'jsonata';
import { RULE_FUNCTIONS } from './functions';

/** Guardrails applied to every rule so a runaway admin rule fails instead of hanging Node-RED. */
export interface RuleLimits {
  /** Milliseconds one evaluation may run (JSONata error D1012 past it). */
  timeout: number;
  /** Depth of JSONata's evaluate/apply stack (D1011 past it). */
  stack: number;
  /** Longest sequence an evaluation may build (D2015 past it). */
  sequence: number;
}

export const DEFAULT_LIMITS: Readonly<RuleLimits> = Object.freeze({ timeout: 1000, stack: 300, sequence: 1_000_000 });

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
 * passed whole to each evaluation; nothing is assigned on the shared expression, so concurrent
 * evaluations cannot see each other's data.
 */
export class Rule {
  private readonly expression: jsonata.Expression;

  constructor(
    readonly name: string,
    readonly source: string,
    readonly limits: RuleLimits = DEFAULT_LIMITS,
  ) {
    if (typeof source !== 'string' || source.trim() === '') {
      throw new RuleError(`Rule "${name}" is empty`, name);
    }
    if (source.length > MAX_RULE_LENGTH) {
      throw new RuleError(`Rule "${name}" is longer than ${MAX_RULE_LENGTH} characters`, name);
    }
    try {
      this.expression = jsonata(source, { timeout: limits.timeout, stack: limits.stack, sequence: limits.sequence });
    } catch (failure) {
      throw toRuleError(name, 'syntax', failure);
    }
    for (const fn of RULE_FUNCTIONS) this.expression.registerFunction(fn.name, fn.implementation, fn.signature);
  }

  /** Evaluates the rule against one input document; failures become a `RuleError` naming the rule. */
  async evaluate(input: unknown): Promise<unknown> {
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

/** Compiles a rule, throwing a `RuleError` with the rule name and position on a syntax error. */
export function compileRule(name: string, source: string, limits?: Partial<RuleLimits>): Rule {
  return new Rule(name, source, { ...DEFAULT_LIMITS, ...limits });
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
