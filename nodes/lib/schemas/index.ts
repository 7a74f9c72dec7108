import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { SCHEMAS } from './definitions';

export { SCHEMAS } from './definitions';

/** One failing field: its JSON Pointer path, what is wrong and the type of the value found there. */
export interface FieldProblem {
  path: string;
  message: string;
  type: string;
}

/** A message that does not match its schema; the message names every failing field path. */
export class SchemaError extends Error {
  override name = 'SchemaError';
  /** Reaches Catch nodes as `msg.error.code` (flows answer HTTP 400). */
  readonly code = 'QB_INVALID_MESSAGE';
  constructor(
    readonly schema: string,
    readonly problems: FieldProblem[],
  ) {
    super(`Invalid ${SCHEMAS[schema]?.title ?? schema}: ${problems.map((p) => `${p.path} ${p.message} (got ${p.type})`).join('; ')}`);
  }
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}:?\d{2})$/;

/** A real calendar date (no 2026-02-30). */
export function isIsoDate(value: string): boolean {
  const m = DATE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

function isIsoDateTime(value: string): boolean {
  const m = DATE_TIME.exec(value);
  return !!m && isIsoDate(`${m[1]}-${m[2]}-${m[3]}`) && Number(m[4]) < 24 && Number(m[5]) < 60 && Number(m[6] ?? 0) < 60;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && Number.isInteger(value)) return 'integer';
  return typeof value;
}

function valueAt(root: unknown, pointer: string): unknown {
  let cur: unknown = root;
  for (const part of pointer.split('/').slice(1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur;
}

function toProblem(data: unknown, e: ErrorObject): FieldProblem {
  if (e.keyword === 'required') {
    const path = `${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}`;
    return { path, message: 'is required', type: 'undefined' };
  }
  if (e.keyword === 'additionalProperties') {
    const path = `${e.instancePath}/${(e.params as { additionalProperty: string }).additionalProperty}`;
    return { path, message: 'is not allowed', type: typeOf(valueAt(data, path)) };
  }
  const path = e.instancePath || '/';
  return { path, message: e.message ?? e.keyword, type: typeOf(valueAt(data, e.instancePath)) };
}

/** Validators compiled once per process; ajv is strict, without `$data` (ReDoS advisory), all errors on. */
export class Schemas {
  private readonly ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor() {
    this.ajv.addFormat('date', { type: 'string', validate: isIsoDate });
    this.ajv.addFormat('date-time', { type: 'string', validate: isIsoDateTime });
    for (const [name, { schema }] of Object.entries(SCHEMAS)) this.compiled.set(name, this.ajv.compile(schema));
  }

  /** Throws one `SchemaError` naming every failing field; returns the value typed when valid. */
  validate<T = unknown>(schema: string, data: unknown): T {
    const check = this.compiled.get(schema);
    if (!check) throw new Error(`unknown schema "${schema}"`);
    if (check(data)) {
      const rangeProblem = dateRangeProblem(schema, data);
      if (rangeProblem) throw new SchemaError(schema, [rangeProblem]);
      return data as T;
    }
    const seen = new Set<string>();
    const problems = (check.errors ?? []).map((e) => toProblem(data, e)).filter((p) => {
      const key = `${p.path} ${p.message}`;
      return seen.has(key) ? false : (seen.add(key), true);
    });
    throw new SchemaError(schema, problems);
  }

  /**
   * Validates every record before any is used (one bad record changes nothing); with `numbered` the
   * error of record i starts "record i: ". Returns the records typed.
   */
  validateEach<T = unknown>(schema: string, records: readonly unknown[], numbered: boolean): T[] {
    records.forEach((r, i) => {
      try {
        this.validate(schema, r);
      } catch (err) {
        if (numbered) (err as Error).message = `record ${i}: ${(err as Error).message}`;
        throw err;
      }
    });
    return records as T[];
  }
}

function dateRangeProblem(schema: string, data: unknown): FieldProblem | undefined {
  if (schema !== 'import-request' && schema !== 'export-request') return undefined;
  const { from, to } = data as { from: string; to: string };
  return from > to ? { path: '/to', message: `must not be before /from (${from})`, type: 'string' } : undefined;
}

let shared: Schemas | undefined;
/** The process-wide compiled schemas. */
export function schemas(): Schemas {
  return (shared ??= new Schemas());
}
