/**
 * The QuickBooks Online client: node-quickbooks behind promises, one error type, the per-realm throttle, retries with
 * backoff, token refresh, deterministic requestids, batched creates with a look-up before any re-add after an unknown
 * outcome, and paged queries. No Node-RED here.
 */
import { Clock, systemClock } from './clock';
import type { Endpoints } from './environment';
import { normalizeError, QboError } from './errors';
import { NqInstance, nqCall, NqResult, QuickBooks } from './nq';
import type { AppCredentials } from './oauth';
import { hasJobTag, tagIn } from '../../jobs/tag';
import { requestIdFor } from './requestid';
import { RealmThrottle, ThrottleLimits, throttleFor } from './throttle';
import type { TokenManager } from './tokens';

export type QboEntity = 'Item' | 'Customer' | 'Vendor' | 'Employee' | 'Invoice' | 'Payment' | 'Term' | 'Account' | 'PaymentMethod';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type QboRecord = Record<string, any>;

export type Scalar = string | number | boolean;
export interface Condition {
  field: string;
  op?: '=' | '<' | '>' | '<=' | '>=' | 'IN' | 'LIKE';
  value: Scalar | Scalar[];
}

export interface Progress {
  entity: QboEntity;
  loaded: number;
  /** From COUNT(*) with the same WHERE clause; undefined when no progress callback was given. */
  total?: number;
}

export interface QueryOptions {
  where?: Condition[];
  /** Adds `Active IN (true,false)` unless the conditions already mention Active. */
  includeInactive?: boolean;
  orderBy?: string;
  desc?: boolean;
  /** Rows per page (≤ 1000, the default). */
  pageSize?: number;
  /** Called after each page; a COUNT(*) is made first so `total` is known. */
  onProgress?: (p: Progress) => void;
}

export interface RetryOptions {
  /** Attempts per request, the first included (8). */
  maxAttempts: number;
  /** Backoff for 5xx and network failures: base, doubled per attempt, capped (1 s, 30 s). */
  baseMs: number;
  maxMs: number;
  /** Backoff for a 429 without Retry-After: Intuit says wait 60 s; doubled per 429, capped (60 s, 120 s). */
  throttleBaseMs: number;
  throttleMaxMs: number;
  /**
   * A call not answered within this long (real time, 120 s) counts as a network failure with an unknown
   * outcome: retried after a look-up like any other. node-quickbooks sets no timeout on its requests, so
   * without this a hung connection would hold its job (and a throttle slot) forever.
   */
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { maxAttempts: 8, baseMs: 1000, maxMs: 30_000, throttleBaseMs: 60_000, throttleMaxMs: 120_000, timeoutMs: 120_000 };

/** The call's answer, or a network failure of unknown outcome once `ms` have passed without one (the call is abandoned). */
function answeredWithin<T>(call: Promise<T>, ms: number): Promise<T> {
  if (!(ms > 0 && Number.isFinite(ms))) return call;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new QboError({ code: 'NETWORK', message: `network failure: QuickBooks Online did not answer within ${ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`}`, unknownOutcome: true }));
    }, ms);
  });
  return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
}

export interface QboClientOptions {
  realmId: string;
  app: AppCredentials;
  endpoints: Endpoints;
  tokens: TokenManager;
  clock?: Clock;
  /** A throttle to share; by default the process-wide one of the realm. */
  throttle?: RealmThrottle;
  limits?: Partial<ThrottleLimits>;
  retry?: Partial<RetryOptions>;
  /** Operations per batch request (≤ 30). */
  batchSize?: number;
  minorVersion?: number;
}

export interface WriteResult {
  record: QboRecord;
  /** True when the record was found by a look-up after an unknown outcome rather than returned by the create. */
  recovered: boolean;
  intuitTid?: string;
}

export interface CreateItem {
  /** The source record's key; the requestid derives from it. */
  sourceKey: string;
  record: QboRecord;
  /** The source record's content version (default: a hash of `record`). */
  version?: string;
}

export type CreateManyResult = ({ ok: true } & WriteResult & { sourceKey: string }) | { ok: false; sourceKey: string; error: QboError };

/** The field that identifies a record of each entity well enough to look it up after an unknown outcome. */
export const NATURAL_KEY: Partial<Record<QboEntity, string>> = {
  Item: 'Name',
  Customer: 'DisplayName',
  Vendor: 'DisplayName',
  Employee: 'DisplayName',
  Term: 'Name',
  Account: 'Name',
  PaymentMethod: 'Name',
  Invoice: 'DocNumber',
};

/**
 * The text field that carries a write's job tag (jobs/tag.ts) on each entity QuickBooks Online keeps it
 * on, with its length limit: the look-up after an unknown outcome accepts a record only when it carries
 * the same tag as the record sent. Items have no such field: their Name is unique.
 */
export const TAG_FIELD: Partial<Record<QboEntity, { field: string; max: number }>> = {
  Invoice: { field: 'PrivateNote', max: 4000 },
  Payment: { field: 'PrivateNote', max: 4000 },
  Customer: { field: 'Notes', max: 2000 },
};

/** Whether a record found by a look-up is the one `sent` created: same job tag when the sent record carries one. */
export function ownsRecord(entity: QboEntity, sent: QboRecord, found: QboRecord): boolean {
  const f = TAG_FIELD[entity];
  const key = f ? tagIn(sent[f.field]) : undefined;
  return key === undefined || hasJobTag(found[(f as { field: string }).field], key);
}

/** Entities with an Active flag (inactive rows are hidden from queries unless asked for). */
export const NAME_LISTS = new Set<QboEntity>(['Item', 'Customer', 'Vendor', 'Employee', 'Term', 'Account', 'PaymentMethod']);

const PLURAL: Record<QboEntity, string> = {
  Item: 'Items',
  Customer: 'Customers',
  Vendor: 'Vendors',
  Employee: 'Employees',
  Invoice: 'Invoices',
  Payment: 'Payments',
  Term: 'Terms',
  PaymentMethod: 'PaymentMethods',
  Account: 'Accounts',
};

const TYPOGRAPHIC = /[\u2018\u2019\u201C\u201D]/g;
const HAS_TYPOGRAPHIC = /[\u2018\u2019\u201C\u201D]/;

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** The record's natural key value (as `findByNaturalKeys` looks it up), if it has one. */
export function naturalKeyOf(entity: QboEntity, record: QboRecord): string | undefined {
  const field = NATURAL_KEY[entity];
  const v = field ? record[field] : undefined;
  return v === undefined || v === null || v === '' ? undefined : String(v);
}

interface SendResult<T> extends NqResult<T> {
  recovered: boolean;
}

export class QboClient {
  readonly realmId: string;
  readonly throttle: RealmThrottle;
  private readonly clock: Clock;
  private readonly retry: RetryOptions;
  private readonly batchSize: number;

  constructor(private readonly o: QboClientOptions) {
    this.realmId = o.realmId;
    this.clock = o.clock ?? systemClock;
    this.throttle = o.throttle ?? throttleFor(o.realmId, this.clock, o.limits);
    this.retry = { ...DEFAULT_RETRY, ...o.retry };
    this.batchSize = Math.min(30, Math.max(1, o.batchSize ?? 30));
  }

  // ------------------------------------------------------------------ transport

  private instance(token: string): NqInstance {
    const qbo = new QuickBooks({
      consumerKey: this.o.app.clientId,
      consumerSecret: this.o.app.clientSecret,
      token,
      tokenSecret: false,
      realmId: this.realmId,
      useSandbox: false,
      debug: false,
      minorversion: this.o.minorVersion ?? 75,
      oauthversion: '2.0',
      refreshToken: null,
    });
    qbo.endpoint = this.o.endpoints.apiBase;
    return qbo;
  }

  private backoff(error: QboError, throttled: number, failed: number): number {
    const jitter = 0.5 + this.clock.random() / 2;
    if (error.status === 429 || error.code === '3001') {
      if (error.retryAfterMs !== undefined) return error.retryAfterMs;
      return Math.min(this.retry.throttleMaxMs, this.retry.throttleBaseMs * 2 ** (throttled - 1)) * jitter;
    }
    return Math.min(this.retry.maxMs, this.retry.baseMs * 2 ** (failed - 1)) * jitter;
  }

  /**
   * One API call with throttling, one token refresh on 401, and bounded retries of transient failures.
   * `onUnknown` runs after a failure whose outcome is unknown (network, 5xx) and before any resend: it may find the
   * result (→ returned as recovered), or return undefined to resend; `resendUnknown: false` throws instead.
   */
  private async send<T>(
    op: (qbo: NqInstance) => Promise<NqResult<T>>,
    opts: { batch?: boolean; onUnknown?: () => Promise<T | undefined>; resendUnknown?: boolean } = {},
  ): Promise<SendResult<T>> {
    let token = await this.o.tokens.accessToken();
    let refreshed = false;
    let throttled = 0;
    let failed = 0;
    for (let attempt = 1; ; attempt += 1) {
      const release = await this.throttle.acquire(!!opts.batch);
      let error: QboError;
      try {
        const r = await answeredWithin(op(this.instance(token)), this.retry.timeoutMs);
        return { ...r, recovered: false };
      } catch (err) {
        error = normalizeError(err);
      } finally {
        release();
      }
      if (error.status === 401 && !refreshed) {
        refreshed = true;
        token = await this.o.tokens.afterUnauthorized(token);
        continue;
      }
      if (!error.transient) throw error;
      if (error.unknownOutcome && opts.resendUnknown === false) throw error;
      if (attempt >= this.retry.maxAttempts) throw error;
      const is429 = error.status === 429 || error.code === '3001';
      if (is429) throttled += 1;
      else failed += 1;
      const wait = this.backoff(error, throttled, failed);
      if (is429) this.throttle.pause(wait);
      await this.clock.sleep(wait);
      if (error.unknownOutcome && opts.onUnknown) {
        const found = await opts.onUnknown();
        if (found !== undefined) return { data: found, recovered: true };
      }
      token = await this.o.tokens.accessToken();
    }
  }

  // ------------------------------------------------------------------ reads

  async get(entity: QboEntity, id: string): Promise<QboRecord> {
    return (await this.send<QboRecord>((qbo) => nqCall((cb) => qbo[`get${entity}`](id, cb)))).data;
  }

  async companyInfo(): Promise<QboRecord> {
    return (await this.send<QboRecord>((qbo) => nqCall((cb) => qbo.getCompanyInfo(this.realmId, cb)))).data;
  }

  /** node-quickbooks criteria (array form) for a query; see qbo.md §1.3. */
  private criteria(entity: QboEntity, opts: QueryOptions, page?: { start: number; size: number }, count = false): { criteria: unknown[]; exact: Condition[] } {
    const list: unknown[] = count ? [{ count: true }] : [];
    const exact: Condition[] = [];
    const where = opts.where ?? [];
    for (const c of where) {
      let op = c.op ?? (Array.isArray(c.value) ? 'IN' : '=');
      const escape = (v: Scalar): Scalar => (typeof v === 'string' ? v.replace(/\\/g, '\\\\') : v);
      let value: Scalar | Scalar[] = Array.isArray(c.value) ? c.value.map(escape) : escape(c.value);
      const typographic = (v: Scalar) => typeof v === 'string' && HAS_TYPOGRAPHIC.test(v);
      if (Array.isArray(value) ? value.some(typographic) : typographic(value)) {
        // QBO's query lexer rejects typographic quotes (qbo.md §2.3): match them with % and filter exactly here.
        if (op === '=') {
          exact.push(c);
          op = 'LIKE';
          value = String(value).replace(TYPOGRAPHIC, '%');
        } else if (op === 'LIKE') {
          value = String(value).replace(TYPOGRAPHIC, '%');
        } else {
          throw new QboError({ code: 'UNSUPPORTED_CHARACTER', message: `QuickBooks queries cannot contain typographic quotes (field ${c.field}, operator ${op})` });
        }
      }
      list.push({ field: c.field, value, operator: op });
    }
    if (opts.includeInactive && NAME_LISTS.has(entity) && !where.some((c) => c.field === 'Active')) list.push({ field: 'Active', value: [true, false], operator: 'IN' });
    if (opts.orderBy) list.push({ field: opts.desc ? 'desc' : 'asc', value: opts.orderBy });
    list.push({ field: 'offset', value: page?.start ?? 1 });
    list.push({ field: 'limit', value: page?.size ?? 1000 });
    return { criteria: list, exact };
  }

  private async find(entity: QboEntity, criteria: unknown[]): Promise<QboRecord> {
    return (await this.send<QboRecord>((qbo) => nqCall((cb) => qbo[`find${PLURAL[entity]}`](criteria, cb)))).data;
  }

  /** COUNT(*) with the same conditions; also returns the server time of the answer. */
  async countWithTime(entity: QboEntity, opts: QueryOptions = {}): Promise<{ count: number; time?: string }> {
    const data = await this.find(entity, this.criteria(entity, opts, undefined, true).criteria);
    return { count: Number(data.QueryResponse?.totalCount ?? 0), time: data.time };
  }

  async count(entity: QboEntity, opts: QueryOptions = {}): Promise<number> {
    return (await this.countWithTime(entity, opts)).count;
  }

  /** Pages of a query (STARTPOSITION/MAXRESULTS, until a short page). */
  async *pages(entity: QboEntity, opts: QueryOptions = {}): AsyncGenerator<QboRecord[]> {
    const size = Math.min(1000, Math.max(1, opts.pageSize ?? 1000));
    const total = opts.onProgress ? await this.count(entity, opts) : undefined;
    let start = 1;
    let loaded = 0;
    for (;;) {
      const { criteria, exact } = this.criteria(entity, opts, { start, size });
      const data = await this.find(entity, criteria);
      const rows: QboRecord[] = data.QueryResponse?.[entity] ?? [];
      const kept = exact.length === 0 ? rows : rows.filter((r) => exact.every((c) => String((c.field === 'PrimaryEmailAddr' ? r.PrimaryEmailAddr?.Address : r[c.field]) ?? '').toLowerCase() === String(c.value).toLowerCase()));
      loaded += kept.length;
      opts.onProgress?.({ entity, loaded, total });
      if (kept.length > 0) yield kept;
      if (rows.length < size) return;
      start += size;
    }
  }

  async queryAll(entity: QboEntity, opts: QueryOptions = {}): Promise<QboRecord[]> {
    const out: QboRecord[] = [];
    for await (const page of this.pages(entity, opts)) out.push(...page);
    return out;
  }

  /** Records whose natural key (Name, DisplayName, DocNumber) is one of `keys`, inactive included; lower-cased key → record. */
  async findByNaturalKeys(entity: QboEntity, keys: string[]): Promise<Map<string, QboRecord>> {
    const field = NATURAL_KEY[entity];
    const found = new Map<string, QboRecord>();
    if (!field || keys.length === 0) return found;
    for (let i = 0; i < keys.length; i += 100) {
      const chunk = keys.slice(i, i + 100);
      const rows = await this.queryAll(entity, { where: [{ field, op: 'IN', value: chunk }], includeInactive: entity !== 'Invoice' });
      for (const r of rows) found.set(String(r[field]).toLowerCase(), r);
    }
    return found;
  }

  // ------------------------------------------------------------------ writes

  /**
   * Creates one record. The requestid comes from realm + entity + sourceKey + version and is rebuilt on every attempt
   * (node-quickbooks deletes it from the payload). After an unknown outcome the record is looked up by its natural key
   * before the resend (which Intuit replays if the first attempt was applied).
   */
  async create(entity: QboEntity, record: QboRecord, opts: { sourceKey: string; version?: string }): Promise<WriteResult> {
    const requestId = requestIdFor({ realmId: this.realmId, entity, sourceKey: opts.sourceKey, version: opts.version, payload: record });
    const key = naturalKeyOf(entity, record);
    const r = await this.send<QboRecord>((qbo) => nqCall((cb) => qbo[`create${entity}`]({ ...clone(record), requestId }, cb)), {
      onUnknown: key
        ? async () => {
            const hit = (await this.findByNaturalKeys(entity, [key])).get(key.toLowerCase());
            return hit && ownsRecord(entity, record, hit) ? hit : undefined;
          }
        : undefined,
    });
    return { record: r.data, recovered: r.recovered, intuitTid: r.intuitTid };
  }

  /** Sparse (default) or full update with the record's Id and SyncToken; a stale SyncToken gives QboError 5010. */
  async update(entity: QboEntity, record: QboRecord, opts: { sparse?: boolean; sourceKey?: string } = {}): Promise<WriteResult> {
    if (record.Id === undefined || record.SyncToken === undefined) {
      throw new QboError({ code: 'MISSING_ID', message: `${entity} update needs Id and SyncToken` });
    }
    const sparse = opts.sparse ?? true;
    const requestId = requestIdFor({
      realmId: this.realmId,
      entity,
      operation: 'update',
      sourceKey: opts.sourceKey ?? `${entity}:${record.Id}`,
      payload: { ...record, sparse }, // holds Id and SyncToken: a new content or SyncToken gives a new id
    });
    const r = await this.send<QboRecord>((qbo) => nqCall((cb) => qbo[`update${entity}`]({ ...clone(record), sparse, requestId }, cb)));
    return { record: r.data, recovered: false, intuitTid: r.intuitTid };
  }

  /** Makes a name-list record inactive (QBO never deletes them). */
  async deactivate(entity: QboEntity, id: string): Promise<WriteResult> {
    const current = await this.get(entity, id);
    return this.update(entity, { Id: current.Id, SyncToken: current.SyncToken, Active: false }, { sparse: true });
  }

  /**
   * Creates many records. Those with a natural key go through the batch endpoint (≤ 30 per request); as batch cannot
   * carry a requestid, an unknown outcome is followed by a look-up of every pending record before anything is
   * re-sent. Records without a natural key are created one by one with their requestid. Results keep the input order.
   */
  async createMany(entity: QboEntity, items: CreateItem[], onProgress?: (done: number, total: number) => void): Promise<CreateManyResult[]> {
    const results: CreateManyResult[] = new Array(items.length);
    let done = 0;
    const finish = (i: number, r: CreateManyResult) => {
      results[i] = r;
      done += 1;
      onProgress?.(done, items.length);
    };
    const keyed: number[] = [];
    const single: number[] = [];
    items.forEach((it, i) => (naturalKeyOf(entity, it.record) ? keyed : single).push(i));
    const work: Array<Promise<void>> = [];
    for (let i = 0; i < keyed.length; i += this.batchSize) {
      work.push(this.createBatch(entity, items, keyed.slice(i, i + this.batchSize), finish));
    }
    for (const i of single) {
      const it = items[i];
      work.push(
        this.create(entity, it.record, { sourceKey: it.sourceKey, version: it.version }).then(
          (r) => finish(i, { ok: true, sourceKey: it.sourceKey, ...r }),
          (error: unknown) => finish(i, { ok: false, sourceKey: it.sourceKey, error: normalizeError(error) }),
        ),
      );
    }
    await Promise.all(work);
    return results;
  }

  private async createBatch(entity: QboEntity, items: CreateItem[], indexes: number[], finish: (i: number, r: CreateManyResult) => void): Promise<void> {
    let pending = [...indexes];
    for (let round = 1; pending.length > 0; round += 1) {
      const batch = pending.map((i, n) => ({ bId: `b${n}`, operation: 'create', [entity]: clone(items[i].record) }));
      let answer: SendResult<QboRecord>;
      try {
        answer = await this.send<QboRecord>((qbo) => nqCall((cb) => qbo.batch(batch, cb)), { batch: true, resendUnknown: false });
      } catch (err) {
        const error = normalizeError(err);
        if (!error.unknownOutcome || round >= this.retry.maxAttempts) {
          for (const i of pending) finish(i, { ok: false, sourceKey: items[i].sourceKey, error });
          return;
        }
        // Unknown outcome: find what was applied before re-sending anything.
        await this.clock.sleep(this.backoff(error, 0, round));
        const found = await this.findByNaturalKeys(entity, pending.map((i) => naturalKeyOf(entity, items[i].record) as string));
        pending = pending.filter((i) => {
          const found1 = found.get((naturalKeyOf(entity, items[i].record) as string).toLowerCase());
          // Only the record this item created (its job tag), never a look-alike with the same key.
          const hit = found1 && ownsRecord(entity, items[i].record, found1) ? found1 : undefined;
          if (hit) finish(i, { ok: true, sourceKey: items[i].sourceKey, record: hit, recovered: true });
          return !hit;
        });
        continue;
      }
      const byId = new Map<string, QboRecord>();
      for (const r of (answer.data.BatchItemResponse ?? []) as QboRecord[]) byId.set(String(r.bId), r);
      pending.forEach((i, n) => {
        const r = byId.get(`b${n}`);
        if (r && r[entity]) finish(i, { ok: true, sourceKey: items[i].sourceKey, record: r[entity], recovered: false, intuitTid: answer.intuitTid });
        else finish(i, { ok: false, sourceKey: items[i].sourceKey, error: normalizeError(r ?? { Fault: { Error: [{ code: 'MISSING', Message: 'no answer for batch item' }] } }) });
      });
      return;
    }
  }

  // ------------------------------------------------------------------ change data capture

  /** Raw CDC call; `since` is sent as a UTC timestamp ending in Z (qbo.md §1.3). */
  async changeDataCapture(entities: QboEntity[], since: Date | string): Promise<QboRecord> {
    const iso = new Date(typeof since === 'string' ? Date.parse(since) : since.getTime()).toISOString();
    return (await this.send<QboRecord>((qbo) => nqCall((cb) => qbo.changeDataCapture(entities, iso, cb)))).data;
  }
}
