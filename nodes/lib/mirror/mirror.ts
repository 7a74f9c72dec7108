import type { Store } from '../store';

/** One QuickBooks list record as the mirror keeps it: the fields matching and mapping need. */
export interface MirrorRecord {
  /** QuickBooks Online Id or QuickBooks Desktop ListID. */
  id: string;
  name: string;
  active: boolean;
  /** Customers: their payment terms (QBO SalesTermRef, QBD TermsRef), normalised by the edition. */
  termsId?: string;
  /** The record's fields the rules read (Sku, PrimaryEmailAddr, ManufacturerPartNumber, Email, terms, …). */
  data: Record<string, unknown>;
}

interface MirrorDoc extends MirrorRecord {
  _id: string;
  company: string;
  entity: string;
}

interface MirrorState {
  _id: string;
  syncedAt: string;
  cursor?: string;
  count: number;
}

/**
 * A company's local copy of its QuickBooks lists, in memory for matching (hash joins over arrays, no
 * store query per record) and in the store's `mirror` collection so a restart does not need a full
 * reload. `state` keeps each list's last sync time (the mirror's age) and cursor.
 */
export class Mirror {
  private readonly cache = new Map<string, Map<string, MirrorRecord>>();

  constructor(
    private readonly store: Store,
    readonly company: string,
  ) {}

  private docId(entity: string, id: string): string {
    return `${this.company}|${entity}|${id}`;
  }

  private stateId(entity: string): string {
    return `${this.company}|mirror|${entity}`;
  }

  /** Loads a list from the store into memory (once). */
  async load(entity: string): Promise<Map<string, MirrorRecord>> {
    let records = this.cache.get(entity);
    if (records) return records;
    const docs = (await this.store.mirror.find({ company: this.company, entity })) as MirrorDoc[];
    records = new Map(docs.map((d) => [d.id, { id: d.id, name: d.name, active: d.active, ...(d.termsId ? { termsId: d.termsId } : {}), data: d.data }]));
    this.cache.set(entity, records);
    return records;
  }

  async list(entity: string): Promise<MirrorRecord[]> {
    return [...(await this.load(entity)).values()];
  }

  async get(entity: string, id: string): Promise<MirrorRecord | undefined> {
    return (await this.load(entity)).get(id);
  }

  /** Replaces a whole list (a full load). */
  async replace(entity: string, records: MirrorRecord[], cursor?: string): Promise<void> {
    await this.store.mirror.remove({ company: this.company, entity }, { multi: true });
    const docs: MirrorDoc[] = records.map((r) => ({ ...r, _id: this.docId(entity, r.id), company: this.company, entity }));
    for (let i = 0; i < docs.length; i += 10_000) await this.store.mirror.insert(docs.slice(i, i + 10_000));
    this.cache.set(entity, new Map(records.map((r) => [r.id, r])));
    await this.markSynced(entity, cursor, records.length);
  }

  /** Applies changes (an incremental sync or a record QuickBooks just answered with). */
  async upsert(entity: string, records: MirrorRecord[], cursor?: string): Promise<void> {
    const cache = await this.load(entity);
    for (const r of records) {
      await this.store.mirror.update({ _id: this.docId(entity, r.id) }, { ...r, _id: this.docId(entity, r.id), company: this.company, entity }, { upsert: true });
      cache.set(r.id, r);
    }
    if (cursor !== undefined) await this.markSynced(entity, cursor, cache.size);
  }

  /** Removes records QuickBooks deleted. */
  async delete(entity: string, ids: string[]): Promise<void> {
    const cache = await this.load(entity);
    for (const id of ids) {
      await this.store.mirror.remove({ _id: this.docId(entity, id) }, { multi: false });
      cache.delete(id);
    }
  }

  private async markSynced(entity: string, cursor: string | undefined, count: number): Promise<void> {
    const doc: MirrorState = { _id: this.stateId(entity), syncedAt: new Date().toISOString(), count, ...(cursor ? { cursor } : {}) };
    await this.store.state.update({ _id: doc._id }, doc, { upsert: true });
  }

  /** When each list was last synced, its cursor and size: the mirror's visible age. */
  async age(entity: string): Promise<{ syncedAt?: Date; cursor?: string; count: number; ageMs?: number }> {
    const doc = (await this.store.state.findOne({ _id: this.stateId(entity) })) as MirrorState | null;
    if (!doc) return { count: 0 };
    const syncedAt = new Date(doc.syncedAt);
    return { syncedAt, cursor: doc.cursor, count: doc.count, ageMs: Date.now() - syncedAt.getTime() };
  }

  /** Forgets the in-memory copy (e.g. after another process-level change); the store stays. */
  invalidate(entity?: string): void {
    if (entity) this.cache.delete(entity);
    else this.cache.clear();
  }
}
