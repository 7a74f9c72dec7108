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

  /**
   * Applies changes (an import page, an incremental sync, or a record QuickBooks just answered with) as
   * one bulk write: the page's documents are inserted in one nedb insert (one append to the datafile),
   * after removing in one operation those of its records the list already holds. A record given twice
   * counts once, with its last version (as if the records were applied one after the other).
   */
  async upsert(entity: string, records: MirrorRecord[], cursor?: string): Promise<void> {
    const cache = await this.load(entity);
    const latest = new Map<string, MirrorRecord>();
    for (const r of records) latest.set(r.id, r);
    if (latest.size > 0) {
      const docs = [...latest.values()].map((r) => this.doc(entity, r));
      const known = docs.filter((d) => cache.has(d.id)).map((d) => d._id);
      if (known.length > 0) await this.removeDocs(known);
      try {
        await this.store.mirror.insert(docs);
      } catch (err) {
        // The store held a record this cache did not know (another writer): replace them all, once.
        if ((err as { errorType?: string }).errorType !== 'uniqueViolated') throw err;
        await this.removeDocs(docs.map((d) => d._id));
        await this.store.mirror.insert(docs);
      }
      for (const r of latest.values()) cache.set(r.id, r);
    }
    if (cursor !== undefined) await this.markSynced(entity, cursor, cache.size);
  }

  /** Removes records QuickBooks deleted (one bulk remove). */
  async delete(entity: string, ids: string[]): Promise<void> {
    const cache = await this.load(entity);
    if (ids.length === 0) return;
    await this.removeDocs([...new Set(ids)].map((id) => this.docId(entity, id)));
    for (const id of ids) cache.delete(id);
  }

  /** The stored document of a record (built field by field: an object spread costs more on 100,000 records). */
  private doc(entity: string, r: MirrorRecord): MirrorDoc {
    const d: MirrorDoc = { _id: this.docId(entity, r.id), company: this.company, entity, id: r.id, name: r.name, active: r.active, data: r.data };
    if (r.termsId !== undefined) d.termsId = r.termsId;
    return d;
  }

  private async removeDocs(docIds: string[]): Promise<void> {
    await this.store.mirror.remove(docIds.length === 1 ? { _id: docIds[0] } : { _id: { $in: docIds } }, { multi: true });
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
