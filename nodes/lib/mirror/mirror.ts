import { createHash } from 'node:crypto';
import path from 'node:path';
import { companyTopic, fewIds, type Store } from '../store';
import { TABLE_PAGE, TableMirror, type MirrorKey, type MirrorReplacement } from './table-mirror';

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

/**
 * Reads a segment file written in a format other than JSON: the records exactly as QuickBooks sent them
 * (e.g. a QuickBooks Desktop import page as qbXML), so an import stores its page without serialising
 * it again. Given by the company that writes such segments; `decode` must give the records that
 * `upsert` was given with that text.
 */
export type MirrorCodecs = Readonly<Record<string, (text: string, entity: string) => MirrorRecord[]>>;

/** The text QuickBooks sent for an upsert's records, in a format one of the Mirror's codecs reads. */
export interface MirrorSource {
  format: string;
  text: string;
}

/**
 * One stored write of a list (a segment). Its records live in a file beside the datastore (`file`,
 * relative to the store folder; `format` json or a codec's), its deletes in the document (`deleted`).
 * Segments apply in `seq` order on load; a later copy of a record wins. A snapshot (a full load, or a
 * compaction) is written as `parts` segments sharing `snapshot` (the seq of its first part): once all
 * its parts are stored, every segment before it is void.
 */
interface SegmentDoc {
  _id: string;
  company: string;
  entity: string;
  seq: number;
  file?: string;
  format?: string;
  deleted?: string[];
  snapshot?: number;
  parts?: number;
}

/** A document of the first layout (one per record, no `seq`): read, then rewritten as a snapshot. */
interface LegacyDoc extends MirrorRecord {
  _id: string;
}

interface MirrorState {
  _id: string;
  syncedAt: string;
  cursor?: string;
  count: number;
}

/** One list in memory: its records, and how many record copies and tombstones its segments hold. */
interface List {
  records: Map<string, MirrorRecord>;
  stored: number;
}

/** Records per snapshot segment. */
const SNAPSHOT_PART = 2_000;
/** A list is rewritten as a snapshot once its segments hold more than 2 × its records + this. */
const COMPACT_SLACK = 1_000;
/** The folder (in the store's) of the segment files. */
const SEGMENTS_DIR = 'mirror-segments';

/** Segment order across every Mirror of the process: increasing, and after any seq already stored. */
let lastSeq = 0;
function nextSeq(): number {
  lastSeq = Math.max(lastSeq + 1, Date.now() * 1000);
  return lastSeq;
}

/** A file-name-safe, collision-free form of a company id or list name. */
function safeName(name: string): string {
  const readable = name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40);
  return `${readable}-${createHash('sha1').update(name).digest('hex').slice(0, 8)}`;
}

const SEQ_FILE = /^(\d+)\.[A-Za-z0-9]+$/;

/**
 * A company's local copy of its QuickBooks lists, in memory for matching (hash joins over arrays, no
 * store query per record) and on disk so a restart does not need a full reload. `state` keeps each
 * list's last sync time (the mirror's age) and cursor.
 *
 * On PostgreSQL the records live in a table instead (table-mirror.ts: one row per record, its match
 * keys indexed), so memory does not grow with the list: the methods below hand over to it, and the hot
 * paths read with `pages`, `getMany` and `count` rather than `list` or `load`. Segments a store wrote
 * before (migration 1) are moved into the table the first time their list is used.
 *
 * Storage: each write is one segment: a document in the store's `mirror` collection and, for records,
 * one payload holding them (a file beside the nedb store, a row on PostgreSQL: store.segments; an import page of 500 customers is one payload write and one small document),
 * never a document per record: nedb copies, checks and serialises documents key by key, which cost
 * more than parsing the page. A record written again is superseded by its later copy; deletes are
 * tombstones; when the stored copies outgrow twice the live records the list is rewritten as a snapshot
 * (new segments first, then the old ones removed, so a crash in between loses nothing).
 */
export class Mirror {
  private readonly lists = new Map<string, List>();
  private readonly loading = new Map<string, Promise<List>>();
  /** On PostgreSQL: the records' table, and each list's move of older segments into it (once). */
  private readonly table?: TableMirror;
  private readonly moved = new Map<string, Promise<TableMirror>>();

  constructor(
    private readonly store: Store,
    readonly company: string,
    private readonly codecs: MirrorCodecs = {},
  ) {
    if (store.backendKind === 'postgres') this.table = new TableMirror(store, company);
  }

  /** Whether the lists live in a table (PostgreSQL) rather than in memory. */
  get tabled(): boolean {
    return this.table !== undefined;
  }

  /** The table of a list, once the segments an older version stored for it are moved in. */
  private tableFor(entity: string): Promise<TableMirror> {
    const table = this.table as TableMirror;
    let ready = this.moved.get(entity);
    if (!ready) {
      ready = this.moveSegments(table, entity);
      this.moved.set(entity, ready);
      ready.catch(() => this.moved.delete(entity));
    }
    return ready;
  }

  /** Moves a list's segments (migration 1's layout) into the table: read as before, written, removed. */
  private async moveSegments(table: TableMirror, entity: string): Promise<TableMirror> {
    if ((await this.store.mirror.count({ company: this.company, entity })) === 0) return table;
    const list = await this.read(entity);
    await table.replace(entity, [...list.records.values()]);
    const docs = (await this.store.mirror.find({ company: this.company, entity })) as SegmentDoc[];
    await this.store.mirror.remove({ company: this.company, entity }, { multi: true });
    for (const d of docs) if (d.file) await this.store.segments.remove(d.file);
    return table;
  }

  /**
   * Keys each record of a list for matching as it is written (PostgreSQL; the in-memory mirror keys
   * while it matches). `ensureKeys` computes the keys of records written before.
   */
  keyBy(entity: string, key: MirrorKey): void {
    this.table?.keyBy(entity, key);
  }

  /**
   * Computes the missing keys of a list under `key` (PostgreSQL; nothing to do in memory). A scan that
   * found them complete is not repeated unless `rescan` or after `invalidate` (table-mirror.ts).
   */
  async ensureKeys(entity: string, key: MirrorKey, rescan = false): Promise<number> {
    if (!this.table) return 0;
    return (await this.tableFor(entity)).ensureKeys(entity, key, rescan);
  }

  /** A list's records, `size` at a time, in the order they were first written: never the whole list at once on PostgreSQL. */
  async *pages(entity: string, size = TABLE_PAGE): AsyncGenerator<MirrorRecord[]> {
    if (this.table) {
      yield* (await this.tableFor(entity)).pages(entity, size);
      return;
    }
    const all = [...(await this.load(entity)).values()];
    for (let i = 0; i < all.length; i += size) yield all.slice(i, i + size);
  }

  /** The records of these ids that the list holds, by id. */
  async getMany(entity: string, ids: Iterable<string>): Promise<Map<string, MirrorRecord>> {
    if (this.table) return (await this.tableFor(entity)).getMany(entity, ids);
    const records = await this.load(entity);
    const out = new Map<string, MirrorRecord>();
    for (const id of ids) {
      const r = records.get(id);
      if (r) out.set(id, r);
    }
    return out;
  }

  /** How many records a list holds. */
  async count(entity: string): Promise<number> {
    if (this.table) return (await this.tableFor(entity)).count(entity);
    return (await this.load(entity)).size;
  }

  private stateId(entity: string): string {
    return `${this.company}|mirror|${entity}`;
  }

  /**
   * Loads a list from the store into memory (once). On PostgreSQL it reads the whole table each time:
   * for small lists (terms, accounts) and tests, never on a path that must scale (use `pages`, `getMany`).
   */
  async load(entity: string): Promise<Map<string, MirrorRecord>> {
    if (this.table) {
      const out = new Map<string, MirrorRecord>();
      for await (const page of this.pages(entity)) for (const r of page) out.set(r.id, r);
      return out;
    }
    return (await this.open(entity)).records;
  }

  async list(entity: string): Promise<MirrorRecord[]> {
    return [...(await this.load(entity)).values()];
  }

  async get(entity: string, id: string): Promise<MirrorRecord | undefined> {
    if (this.table) return (await this.getMany(entity, [id])).get(id);
    return (await this.load(entity)).get(id);
  }

  /** Replaces a whole list (a full load). */
  async replace(entity: string, records: MirrorRecord[], cursor?: string): Promise<void> {
    if (this.table) {
      await (await this.tableFor(entity)).replace(entity, records);
      await this.markSynced(entity, cursor, await this.count(entity));
      await this.changed(entity);
      return;
    }
    const list = await this.open(entity);
    list.records = new Map(records.map((r) => [r.id, r]));
    await this.snapshot(entity, list);
    await this.markSynced(entity, cursor, list.records.size);
    await this.changed(entity);
  }

  /**
   * Replaces a whole list whose records arrive a page at a time (a full load): on PostgreSQL each page
   * is written as it comes in one transaction, committed by `commit` (readers see the old list until
   * then; `abort` keeps it); in memory the pages are gathered and `commit` is `replace`. `commit` does
   * not mark the list synced: `upsert(entity, [], cursor)` does.
   */
  async replacing(entity: string): Promise<MirrorReplacement> {
    if (this.table) {
      const replacement = await (await this.tableFor(entity)).replacing(entity);
      return { ...replacement, commit: async () => { await replacement.commit(); await this.changed(entity); } };
    }
    const gathered: MirrorRecord[] = [];
    return {
      add: async (records) => void gathered.push(...records),
      commit: () => this.replace(entity, gathered),
      abort: async () => void (gathered.length = 0),
    };
  }

  /**
   * Applies changes (an import page, an incremental sync, or a record QuickBooks just answered with) as
   * one segment: the records serialised once, or `source` (the text QuickBooks sent, which one of this
   * Mirror's codecs reads back as these records) stored as it is. A record given twice counts once, with
   * its last version (as if the records were applied one after the other).
   */
  async upsert(entity: string, records: MirrorRecord[], cursor?: string, source?: MirrorSource): Promise<void> {
    if (this.table) {
      // The page is committed as it arrives; `source` is not kept (the rows are the records).
      await (await this.tableFor(entity)).upsert(entity, records);
      if (records.length > 0) await this.changed(entity, records.map((r) => r.id));
      if (cursor !== undefined) await this.markSynced(entity, cursor, await this.count(entity));
      return;
    }
    const list = await this.open(entity);
    if (records.length > 0) {
      const latest = new Map<string, MirrorRecord>();
      for (const r of records) latest.set(r.id, r);
      const page = [...latest.values()];
      // Memory first, then the append: a snapshot taken meanwhile either holds these records or is older.
      for (const r of page) list.records.set(r.id, r);
      list.stored += page.length;
      const usable = source !== undefined && this.codecs[source.format] !== undefined;
      await this.append(entity, usable ? source : { format: 'json', text: JSON.stringify(page) });
      await this.compactIfWasteful(entity, list);
      await this.changed(entity, page.map((r) => r.id));
    }
    if (cursor !== undefined) await this.markSynced(entity, cursor, list.records.size);
  }

  /** Removes records QuickBooks deleted (one tombstone segment). */
  async delete(entity: string, ids: string[]): Promise<void> {
    if (this.table) {
      await (await this.tableFor(entity)).delete(entity, ids);
      if (ids.length > 0) await this.changed(entity, [...new Set(ids)]);
      return;
    }
    const list = await this.open(entity);
    const gone = [...new Set(ids)];
    if (gone.length === 0) return;
    for (const id of gone) list.records.delete(id);
    list.stored += gone.length;
    await this.append(entity, undefined, gone);
    await this.compactIfWasteful(entity, list);
    await this.changed(entity, gone);
  }

  /** When each list was last synced, its cursor and size: the mirror's visible age. */
  async age(entity: string): Promise<{ syncedAt?: Date; cursor?: string; count: number; ageMs?: number }> {
    const doc = (await this.store.state.findOne({ _id: this.stateId(entity) })) as MirrorState | null;
    if (!doc) return { count: 0 };
    const syncedAt = new Date(doc.syncedAt);
    return { syncedAt, cursor: doc.cursor, count: doc.count, ageMs: Date.now() - syncedAt.getTime() };
  }

  /**
   * Tells the other instances sharing the store that a list changed (written, not before): they drop
   * their copy of it (BaseCompany). The ids go along when few; never the records.
   */
  private changed(entity: string, ids?: string[]): Promise<void> {
    const few = ids && fewIds(ids);
    return this.store.events.publish(companyTopic('mirror', this.company), { entity, ...(few ? { ids: few } : {}) });
  }

  /** Forgets the in-memory copy (e.g. after another instance changed the list); the store stays. Nothing is cached on PostgreSQL but the key scan. */
  invalidate(entity?: string): void {
    this.table?.forget(entity);
    if (entity) {
      this.lists.delete(entity);
      this.loading.delete(entity);
    } else {
      this.lists.clear();
      this.loading.clear();
    }
  }

  // ------------------------------------------------------------------ storage

  private open(entity: string): Promise<List> {
    const list = this.lists.get(entity);
    if (list) return Promise.resolve(list);
    let loading = this.loading.get(entity);
    if (!loading) {
      loading = this.read(entity).then(
        (l) => {
          if (this.loading.get(entity) === loading) {
            this.lists.set(entity, l);
            this.loading.delete(entity);
          }
          return l;
        },
        (err: unknown) => {
          this.loading.delete(entity);
          throw err;
        },
      );
      this.loading.set(entity, loading);
    }
    return loading;
  }

  /** The folder of a list's segment files, relative to the store folder. */
  private listDir(entity: string): string {
    return path.join(SEGMENTS_DIR, safeName(this.company), safeName(entity));
  }

  /** A segment's records (none for a tombstone), or undefined when its file is gone. */
  private async segmentRecords(entity: string, d: SegmentDoc): Promise<MirrorRecord[] | undefined> {
    if (d.file === undefined) return [];
    const text = await this.store.segments.read(d.file);
    if (text === undefined) return undefined;
    const format = d.format ?? 'json';
    if (format === 'json') return JSON.parse(text) as MirrorRecord[];
    const decode = this.codecs[format];
    if (!decode) throw new Error(`the ${entity} mirror of ${this.company} has a "${format}" segment and no decoder for it`);
    return decode(text, entity);
  }

  /** Reads a list's segments (and any first-layout documents) into memory. */
  private async read(entity: string): Promise<List> {
    const docs = (await this.store.mirror.find({ company: this.company, entity })) as Array<SegmentDoc | LegacyDoc>;
    const records = new Map<string, MirrorRecord>();
    const legacy = docs.filter((d): d is LegacyDoc => typeof (d as SegmentDoc).seq !== 'number');
    for (const d of legacy) records.set(d.id, { id: d.id, name: d.name, active: d.active, ...(d.termsId ? { termsId: d.termsId } : {}), data: d.data });
    const segments = (docs as SegmentDoc[]).filter((d) => typeof d.seq === 'number').sort((a, b) => a.seq - b.seq);
    const maxSeq = segments.length > 0 ? (segments[segments.length - 1] as SegmentDoc).seq : 0;
    lastSeq = Math.max(lastSeq, maxSeq);
    // The latest snapshot whose parts are all stored voids what came before it; an incomplete one (a
    // crash while it was written) is ignored.
    const parts = new Map<number, number>();
    for (const d of segments) if (d.snapshot !== undefined) parts.set(d.snapshot, (parts.get(d.snapshot) ?? 0) + 1);
    let base = Number.NEGATIVE_INFINITY;
    for (const d of segments) if (d.snapshot === d.seq && parts.get(d.seq) === d.parts) base = d.seq;
    if (base !== Number.NEGATIVE_INFINITY) records.clear();
    const live = segments.filter((d) => d.seq >= base && (d.snapshot === undefined || parts.get(d.snapshot) === d.parts));
    const pages = await Promise.all(live.map((d) => this.segmentRecords(entity, d)));
    let stored = 0;
    let damaged = segments.length - live.length;
    live.forEach((d, i) => {
      const page = pages[i];
      if (page === undefined) {
        damaged++; // its file is gone: its records are lost until the next sync
        return;
      }
      for (const r of page) records.set(r.id, r);
      stored += page.length;
      if (d.deleted) {
        for (const id of d.deleted) records.delete(id);
        stored += d.deleted.length;
      }
    });
    const list: List = { records, stored };
    await this.removeOrphanFiles(entity, new Set(segments.map((d) => d.file).filter((f): f is string => f !== undefined)), maxSeq);
    // First-layout documents, void or damaged segments, or too many superseded copies: rewrite the list once.
    if (legacy.length > 0 || damaged > 0) await this.snapshot(entity, list);
    else await this.compactIfWasteful(entity, list);
    return list;
  }

  /**
   * Files of a list no document names: written by a process that stopped before the document (a crash),
   * or left by a snapshot that did not finish removing. Only files older than the newest document are
   * removed, never one a write still in progress is about to name.
   */
  private async removeOrphanFiles(entity: string, named: Set<string>, maxSeq: number): Promise<void> {
    const dir = this.listDir(entity);
    const files = await this.store.segments.list(dir);
    for (const f of files) {
      const m = SEQ_FILE.exec(f);
      if (!m || Number(m[1]) >= maxSeq || named.has(path.join(dir, f))) continue;
      await this.store.segments.remove(path.join(dir, f));
    }
  }

  /** Writes a segment's file (when it has records), then its document. */
  private async append(entity: string, content?: MirrorSource, deleted?: string[]): Promise<void> {
    const seq = nextSeq();
    const doc: SegmentDoc = { _id: `${this.company}|${entity}|${seq}`, company: this.company, entity, seq };
    if (content) Object.assign(doc, await this.writeFile(entity, seq, content));
    if (deleted) doc.deleted = deleted;
    await this.store.mirror.insert(doc);
  }

  private async writeFile(entity: string, seq: number, content: MirrorSource): Promise<{ file: string; format: string }> {
    const file = path.join(this.listDir(entity), `${seq}.${content.format}`);
    await this.store.segments.write(file, content.text);
    return { file, format: content.format };
  }

  private async compactIfWasteful(entity: string, list: List): Promise<void> {
    if (list.stored > 2 * list.records.size + COMPACT_SLACK) await this.snapshot(entity, list);
  }

  /** Writes the list as a snapshot, then removes every segment before it (documents, then files). */
  private async snapshot(entity: string, list: List): Promise<void> {
    const all = [...list.records.values()];
    const count = Math.max(1, Math.ceil(all.length / SNAPSHOT_PART));
    const first = nextSeq();
    const docs: SegmentDoc[] = [];
    for (let i = 0; i < count; i++) {
      const seq = i === 0 ? first : nextSeq();
      const text = JSON.stringify(all.slice(i * SNAPSHOT_PART, (i + 1) * SNAPSHOT_PART));
      const written = await this.writeFile(entity, seq, { format: 'json', text });
      docs.push({ _id: `${this.company}|${entity}|${seq}`, company: this.company, entity, seq, snapshot: first, parts: count, ...written });
    }
    await this.store.mirror.insert(docs);
    const before = { company: this.company, entity, $or: [{ seq: { $lt: first } }, { seq: { $exists: false } }] };
    const old = (await this.store.mirror.find(before)) as SegmentDoc[];
    await this.store.mirror.remove(before, { multi: true });
    for (const d of old) if (d.file) await this.store.segments.remove(d.file);
    list.stored = all.length;
  }

  private async markSynced(entity: string, cursor: string | undefined, count: number): Promise<void> {
    const doc: MirrorState = { _id: this.stateId(entity), syncedAt: new Date().toISOString(), count, ...(cursor ? { cursor } : {}) };
    await this.store.state.update({ _id: doc._id }, doc, { upsert: true });
  }
}
