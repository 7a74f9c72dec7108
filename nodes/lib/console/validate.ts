/**
 * Checks of the console's query strings and bodies: every problem names its field, nothing is changed
 * when one is found, and hostile values (arrays for strings, huge numbers, long texts) are refused.
 */

export interface FieldProblem {
  field: string;
  message: string;
}

/** A request the console cannot carry out as asked: answered 400 with `{error, problems}`. */
export class ConsoleRequestError extends Error {
  override name = 'ConsoleRequestError';
  readonly status: number;
  constructor(
    readonly problems: FieldProblem[],
    status = 400,
  ) {
    super(problems.map((p) => `${p.field} ${p.message}`).join('; '));
    this.status = status;
  }
}

/** A record or node the console was asked about does not exist (404). */
export class ConsoleNotFound extends Error {
  override name = 'ConsoleNotFound';
  readonly status = 404;
}

/** A request that is well formed but cannot be done now (e.g. no node of that kind is deployed): 409. */
export class ConsoleConflict extends Error {
  override name = 'ConsoleConflict';
  readonly status = 409;
}

export const MAX_TEXT = 200;
export const MAX_PAGE = 200;
const MAX_OFFSET = 10_000_000;
const MAX_KEYS = 1_000;

/** Collects problems, then throws them all at once. */
export class Checker {
  readonly problems: FieldProblem[] = [];

  constructor(private readonly source: Record<string, unknown>) {}

  private fail(field: string, message: string): undefined {
    this.problems.push({ field, message });
    return undefined;
  }

  /** An optional text (a single value, at most `max` characters). */
  text(field: string, options: { required?: boolean; max?: number; pattern?: RegExp; patternText?: string; check?: (v: string) => boolean } = {}): string | undefined {
    const v = this.source[field];
    if (v === undefined || v === null || v === '') return options.required ? this.fail(field, 'is required') : undefined;
    if (typeof v !== 'string') return this.fail(field, 'must be a text');
    if (v.length > (options.max ?? MAX_TEXT)) return this.fail(field, `must be at most ${options.max ?? MAX_TEXT} characters`);
    if ((options.pattern && !options.pattern.test(v)) || (options.check && !options.check(v))) return this.fail(field, options.patternText ?? 'has the wrong form');
    return v;
  }

  /** One of some values. */
  oneOf<T extends string>(field: string, values: readonly T[], options: { required?: boolean } = {}): T | undefined {
    const v = this.source[field];
    if (v === undefined || v === null || v === '') return options.required ? this.fail(field, `is required (one of ${values.join(', ')})`) : undefined;
    if (typeof v !== 'string' || !values.includes(v as T)) return this.fail(field, `must be one of ${values.join(', ')}`);
    return v as T;
  }

  /** A whole number in a range; query strings give it as text. */
  int(field: string, min: number, max: number, fallback: number): number {
    const v = this.source[field];
    if (v === undefined || v === null || v === '') return fallback;
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d{1,12}$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) return this.fail(field, `must be a whole number from ${min} to ${max}`) ?? fallback;
    return n;
  }

  /** An optional boolean (JSON true/false). */
  bool(field: string): boolean | undefined {
    const v = this.source[field];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') return this.fail(field, 'must be true or false');
    return v;
  }

  /** A non-empty list of non-empty texts (job keys, app ids). */
  keys(field: string, options: { required?: boolean; max?: number } = {}): string[] | undefined {
    const v = this.source[field];
    if (v === undefined || v === null) return options.required ? this.fail(field, 'is required (a list of texts)') : undefined;
    if (!Array.isArray(v) || v.length === 0) return this.fail(field, 'must be a non-empty list of texts');
    if (v.length > (options.max ?? MAX_KEYS)) return this.fail(field, `must hold at most ${options.max ?? MAX_KEYS} entries`);
    if (!v.every((k) => typeof k === 'string' && k !== '' && k.length <= 300)) return this.fail(field, 'must hold only non-empty texts of at most 300 characters');
    return v as string[];
  }

  /** Throws every problem found (400). */
  done(): void {
    if (this.problems.length) throw new ConsoleRequestError(this.problems);
  }
}

/** The body of a request as an object (anything else is one problem: "body"). */
export function bodyOf(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null || body === '') return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new ConsoleRequestError([{ field: 'body', message: 'must be a JSON object' }]);
  return body as Record<string, unknown>;
}

/** Paging, search and one filter of a list, from a query string. */
export interface ListQuery {
  offset: number;
  limit: number;
  /** Lower-cased search text ('' for none). */
  q: string;
  filter?: string;
}

/** Reads `offset`, `limit` (1…200, default 50), `q` (search) and `filter` (one of `filters`). */
export function listQuery(query: Record<string, unknown>, filters: readonly string[] = [], defaultLimit = 50): ListQuery {
  const c = new Checker(query ?? {});
  const offset = c.int('offset', 0, MAX_OFFSET, 0);
  const limit = c.int('limit', 1, MAX_PAGE, defaultLimit);
  const q = c.text('q') ?? '';
  const filter = filters.length ? c.oneOf('filter', filters) : c.text('filter');
  c.done();
  return { offset, limit, q: q.trim().toLowerCase(), ...(filter ? { filter } : {}) };
}

/** One page of rows and the total before paging. */
export interface Page<T> {
  total: number;
  offset: number;
  limit: number;
  rows: T[];
}

export function page<T>(all: readonly T[], query: Pick<ListQuery, 'offset' | 'limit'>): Page<T> {
  return { total: all.length, offset: query.offset, limit: query.limit, rows: all.slice(query.offset, query.offset + query.limit) };
}

/** Whether any of the texts contains the (lower-cased) search text. */
export function matchesSearch(q: string, ...texts: Array<string | undefined | null>): boolean {
  if (!q) return true;
  for (const t of texts) if (t && t.toLowerCase().includes(q)) return true;
  return false;
}

/**
 * The page `offset … offset + limit` of items that stream by (a list read a page at a time), in the
 * order of `key` (compared as plain strings; equal keys keep their order), without sorting them all and holding at most twice `offset + limit` of them: items are gathered, and each time the
 * buffer is full it is sorted (stably) and cut to the first `offset + limit`, whose last key then turns
 * away every later item that cannot come before it. `total` counts every item added.
 */
export class TopRows<T> {
  private best: Array<{ item: T; key: string }> = [];
  private cutoff?: string;
  private readonly keep: number;
  total = 0;

  constructor(
    private readonly query: Pick<ListQuery, 'offset' | 'limit'>,
    private readonly key: (item: T) => string,
  ) {
    this.keep = query.offset + query.limit;
  }

  add(item: T): void {
    this.total++;
    const key = this.key(item);
    if (this.cutoff !== undefined && key >= this.cutoff) return;
    this.best.push({ item, key });
    if (this.best.length >= 2 * Math.max(this.keep, 512)) this.cut();
  }

  private cut(): void {
    this.best.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    if (this.best.length >= this.keep) {
      this.best.length = this.keep;
      this.cutoff = this.best[this.keep - 1]!.key;
    }
  }

  page(): Page<T> {
    this.cut();
    return { total: this.total, offset: this.query.offset, limit: this.query.limit, rows: this.best.slice(this.query.offset, this.keep).map((e) => e.item) };
  }
}

/**
 * A record's sort key (its name lower-cased, then its id), computed once per record object: the match
 * book and the mirror keep their objects until a record changes, so a list answer does not lower-case
 * 100,000 names again.
 */
const sortKeys = new WeakMap<object, string>();
export function nameKey(record: object, name: string, id: string): string {
  let key = sortKeys.get(record);
  if (key === undefined) sortKeys.set(record, (key = `${name.toLowerCase()}\u0000${id}`));
  return key;
}

/** A message fit for an admin's screen: file-system paths replaced by "…" (never a path in an answer). */
export function safeMessage(message: unknown): string {
  return String(message ?? '').replace(/(?:[A-Za-z]:)?[\\/][^\s'"]*[\\/][^\s'"]*/g, '…').slice(0, 500);
}
