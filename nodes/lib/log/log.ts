import type { Store } from '../store';

/**
 * What happened to each invoice, export and import: status, QuickBooks id, the actions an admin must
 * take, attempts. One entry per source record and kind, keyed `<company>|<kind>|<sourceId>`.
 */
export interface LogEntry {
  _id: string;
  company: string;
  kind: string;
  sourceId: string;
  status: string;
  /** Human-readable label, e.g. the order number. */
  label?: string;
  qbId?: string;
  actions: string[];
  attempts: number;
  error?: { code?: string; message: string };
  /** What the entry needs to be retried by itself (e.g. the packed order). */
  source?: unknown;
  detail?: Record<string, unknown>;
  /** The version of the job whose state this entry shows (Outbox job `version`), when it shows one. */
  jobVersion?: number;
  createdAt: string;
  updatedAt: string;
}

export type LogUpdate = Partial<Omit<LogEntry, '_id' | 'company' | 'kind' | 'sourceId' | 'createdAt' | 'updatedAt'>>;

export class ActivityLog {
  constructor(
    private readonly store: Store,
    readonly company: string,
    readonly kind: string,
  ) {}

  private id(sourceId: string): string {
    return `${this.company}|${this.kind}|${sourceId}`;
  }

  async get(sourceId: string): Promise<LogEntry | null> {
    return (await this.store.log.findOne({ _id: this.id(sourceId) })) as LogEntry | null;
  }

  /**
   * Creates or updates the entry of a source record; fields set to undefined are removed. A new entry
   * starts from `initial` (e.g. its first status), which an existing one ignores. With `ifOlderThan`
   * (a job version) the entry is written only while it shows no state of that job version or a later
   * one: "queued" for version 3 never overwrites "created" for version 3 that another instance (which
   * sent the job meanwhile) wrote first. That condition is part of the write (a compare on the stored
   * entry), so it holds between instances too. Returns the entry as it is now.
   */
  async put(sourceId: string, update: LogUpdate, initial: LogUpdate = {}, options: { ifOlderThan?: number } = {}): Promise<LogEntry> {
    const at = new Date().toISOString();
    const old = await this.get(sourceId);
    const next: LogEntry = {
      ...(old ?? { _id: this.id(sourceId), company: this.company, kind: this.kind, sourceId, status: 'new', actions: [], attempts: 0, createdAt: at, ...initial }),
      ...update,
      updatedAt: at,
    } as LogEntry;
    for (const k of Object.keys(update) as Array<keyof LogUpdate>) if (update[k] === undefined) delete (next as unknown as Record<string, unknown>)[k];
    const version = options.ifOlderThan;
    if (version === undefined) {
      await this.store.log.update({ _id: next._id }, next, { upsert: true });
      return next;
    }
    if (old && (old.jobVersion ?? -1) >= version) return old;
    if (old) {
      const n = await this.store.log.update({ _id: next._id, $or: [{ jobVersion: { $exists: false } }, { jobVersion: { $lt: version } }] }, next);
      return n === 1 ? next : ((await this.get(sourceId)) ?? next);
    }
    try {
      await this.store.log.insert(next);
      return next;
    } catch (err) {
      if (!/unique constraint/i.test(String((err as Error).message))) throw err;
      return this.put(sourceId, update, initial, options); // written meanwhile by another instance: decide again
    }
  }

  /** Entries, newest first, optionally of some statuses; `source` is left out unless asked for. */
  async list(filter: { status?: string | string[]; limit?: number; withSource?: boolean } = {}): Promise<LogEntry[]> {
    const query: Record<string, unknown> = { company: this.company, kind: this.kind };
    if (filter.status) query.status = Array.isArray(filter.status) ? { $in: filter.status } : filter.status;
    const projection = filter.withSource ? {} : { source: 0 };
    let cursor = this.store.log.find(query, projection).sort({ updatedAt: -1 });
    if (filter.limit) cursor = cursor.limit(filter.limit);
    return (await cursor) as LogEntry[];
  }
}
