import { RequestError } from '../errors';
import { companyTopic, fewIds, type Store } from '../store';
import { ISSUES, type IssueCode, type MatchKind } from './issues';
import type { MatchOutcome } from './join';
import { BOOK_PAGE, TableBook } from './table-book';

/** One app record and its match as persisted: the app side, its key, and the outcome. */
export interface MatchDoc {
  _id: string;
  company: string;
  kind: MatchKind;
  appId: string;
  appName: string;
  key: string;
  /** The app record as last received (rules read it again on Re-sync). */
  record: Record<string, unknown>;
  status: 'matched' | 'issue' | 'pending';
  qbId?: string;
  issue?: IssueCode;
  candidates?: string[];
  inactiveOnly?: boolean;
  /** An admin's link; it overrides the rules and survives Re-syncs. */
  linkedQbId?: string;
  updatedAt: string;
}

/** What a node reports for a record with an issue: the seed's title and resolution with it. */
export interface MatchIssue {
  kind: MatchKind;
  appId: string;
  appName: string;
  key: string;
  issue: IssueCode;
  title: string;
  resolution: string;
  candidates?: string[];
}

export function toIssue(doc: Pick<MatchDoc, 'kind' | 'appId' | 'appName' | 'key' | 'issue' | 'candidates'>): MatchIssue | undefined {
  if (!doc.issue) return undefined;
  const text = ISSUES[doc.issue];
  return {
    kind: doc.kind, appId: doc.appId, appName: doc.appName, key: doc.key, issue: doc.issue, title: text.title,
    resolution: text.resolution, ...(doc.candidates?.length ? { candidates: doc.candidates } : {}),
  };
}

const OUTCOME_FIELDS = ['status', 'qbId', 'issue', 'candidates', 'inactiveOnly'] as const;

/** The document with an outcome applied, or undefined when the outcome is the one it has. */
function withOutcome(doc: MatchDoc, o: MatchOutcome, at: string): MatchDoc | undefined {
  const next: MatchDoc = { ...doc };
  for (const f of OUTCOME_FIELDS) delete next[f];
  next.status = o.status;
  if (o.qbId) next.qbId = o.qbId;
  if (o.issue) next.issue = o.issue;
  if (o.candidates?.length) next.candidates = o.candidates;
  if (o.inactiveOnly) next.inactiveOnly = true;
  if (OUTCOME_FIELDS.every((f) => JSON.stringify(doc[f]) === JSON.stringify(next[f]))) return undefined;
  next.updatedAt = at;
  return next;
}

/**
 * The persisted matches of one company and one kind (items, customers or charges) in the store's
 * `matches` collection, keyed `<company>|<kind>|<appId>`: held in memory on nedb, read and written by
 * page and by index on PostgreSQL (table-book.ts), where nothing holds the whole book.
 */
export class MatchBook {
  private docs?: Map<string, MatchDoc>;
  /** App ids received but not yet written, and the subset not yet in the store at all. */
  private readonly dirty = new Set<string>();
  private readonly unsaved = new Set<string>();
  /** Another instance changed this book: re-read it once nothing received is waiting to be written. */
  private stale = false;
  /** On PostgreSQL: the book's rows. */
  readonly table?: TableBook;

  constructor(
    private readonly store: Store,
    readonly company: string,
    readonly kind: MatchKind,
  ) {
    if (store.backendKind === 'postgres') this.table = new TableBook(store, company, kind);
  }

  /**
   * The documents, `size` at a time (in `_id` order on PostgreSQL, the book's order in memory); with
   * `where`, only those of these app ids or with one of these keys.
   */
  async *pages(where?: { appIds: string[]; keys: string[] }, size = BOOK_PAGE): AsyncGenerator<MatchDoc[]> {
    if (this.table) {
      yield* this.table.pages(where, size);
      return;
    }
    const ids = where && new Set(where.appIds);
    const keys = where && new Set(where.keys);
    const all = [...(await this.all()).values()].filter((d) => !where || ids!.has(d.appId) || keys!.has(d.key));
    for (let i = 0; i < all.length; i += size) yield all.slice(i, i + size);
  }

  private id(appId: string): string {
    return `${this.company}|${this.kind}|${appId}`;
  }

  private async all(): Promise<Map<string, MatchDoc>> {
    if (this.stale && this.dirty.size === 0) {
      this.stale = false;
      this.docs = undefined;
    }
    if (!this.docs) {
      const docs = (await this.store.matches.find({ company: this.company, kind: this.kind })) as MatchDoc[];
      this.docs = new Map(docs.map((d) => [d.appId, d]));
    }
    return this.docs;
  }

  /** Every document: the whole book in memory (on PostgreSQL too): not for paths that must scale (use `pages`). */
  async list(): Promise<MatchDoc[]> {
    if (this.table) {
      const out: MatchDoc[] = [];
      for await (const page of this.table.pages()) out.push(...page);
      return out;
    }
    return [...(await this.all()).values()];
  }

  async get(appId: string): Promise<MatchDoc | undefined> {
    if (this.table) return (await this.table.getMany([appId])).get(appId);
    return (await this.all()).get(appId);
  }

  /**
   * Records (or refreshes) app records with their keys; new ones start `pending` until matched. They
   * are written by the next `save` (or `flush`), so one ingest writes each document once.
   */
  async upsertApp(records: Array<{ appId: string; appName: string; key: string; record: Record<string, unknown> }>): Promise<void> {
    const at = new Date().toISOString();
    if (this.table) {
      // Written at once, a statement per page (a page of one message's records at a time).
      for (let i = 0; i < records.length; i += BOOK_PAGE) {
        const part = records.slice(i, i + BOOK_PAGE);
        const old = await this.table.getMany(part.map((r) => r.appId));
        const latest = new Map<string, MatchDoc>();
        for (const r of part) {
          const before = latest.get(r.appId) ?? old.get(r.appId);
          latest.set(r.appId, before
            ? { ...before, appName: r.appName, key: r.key, record: r.record, updatedAt: at }
            : { _id: this.id(r.appId), company: this.company, kind: this.kind, appId: r.appId, appName: r.appName, key: r.key, record: r.record, status: 'pending', updatedAt: at });
        }
        await this.table.write([...latest.values()]);
      }
      return;
    }
    const docs = await this.all();
    for (const r of records) {
      const old = docs.get(r.appId);
      const doc: MatchDoc = old
        ? { ...old, appName: r.appName, key: r.key, record: r.record, updatedAt: at }
        : { _id: this.id(r.appId), company: this.company, kind: this.kind, appId: r.appId, appName: r.appName, key: r.key, record: r.record, status: 'pending', updatedAt: at };
      if (!old) this.unsaved.add(r.appId);
      this.dirty.add(r.appId);
      docs.set(r.appId, doc);
    }
  }

  /** Writes what changed in memory: new documents in bulk, changed ones one by one. */
  async flush(): Promise<void> {
    if (this.table) return; // every write is committed as it is made
    const docs = await this.all();
    const fresh = [...this.unsaved].map((id) => docs.get(id) as MatchDoc);
    for (let i = 0; i < fresh.length; i += 10_000) await this.store.matches.insert(fresh.slice(i, i + 10_000));
    for (const id of this.dirty) {
      if (this.unsaved.has(id)) continue;
      const doc = docs.get(id) as MatchDoc;
      await this.store.matches.update({ _id: doc._id }, doc);
    }
    const written = [...this.dirty];
    this.unsaved.clear();
    this.dirty.clear();
    if (written.length === 0) return;
    const few = fewIds(written);
    await this.store.events.publish(companyTopic('matches', this.company), { kind: this.kind, ...(few ? { appIds: few } : {}) });
  }

  /**
   * Forgets the in-memory copy (another instance changed the book: store/events.ts); it is read again
   * on next use, or after the next flush when records received here are still waiting to be written.
   */
  invalidate(): void {
    this.stale = true;
  }

  /** The documents of these app ids, in their order (ids never received are left out). */
  async getMany(appIds: Iterable<string>): Promise<MatchDoc[]> {
    const ids = [...appIds];
    const docs = this.table ? await this.table.getMany(ids) : await this.all();
    const out: MatchDoc[] = [];
    for (const id of ids) {
      const doc = docs.get(id);
      if (doc) out.push(doc);
    }
    return out;
  }

  /** An admin links an app record to a QuickBooks record (or unlinks it with `undefined`). */
  async link(appId: string, qbId: string | undefined): Promise<MatchDoc> {
    const doc = await this.get(appId);
    if (!doc) throw new RequestError(`no ${this.kind} with app id "${appId}" has been received yet`, 'QB_NOT_FOUND');
    const next: MatchDoc = { ...doc, updatedAt: new Date().toISOString() };
    if (qbId) next.linkedQbId = qbId;
    else delete next.linkedQbId;
    if (this.table) {
      await this.table.write([next]);
      return next;
    }
    (await this.all()).set(appId, next);
    this.dirty.add(appId);
    await this.flush();
    return next;
  }

  /** Applies outcomes, writes every change (and pending new records); returns the ids whose outcome changed. */
  async save(outcomes: MatchOutcome[]): Promise<string[]> {
    if (this.table) {
      const changed: string[] = [];
      for (let i = 0; i < outcomes.length; i += BOOK_PAGE) {
        const part = outcomes.slice(i, i + BOOK_PAGE);
        changed.push(...(await this.saveWith(await this.table.getMany(part.map((o) => o.appId)), part)));
      }
      return changed;
    }
    const docs = await this.all();
    const changed: string[] = [];
    const at = new Date().toISOString();
    for (const o of outcomes) {
      const doc = docs.get(o.appId);
      if (!doc) continue;
      const next = withOutcome(doc, o, at);
      if (!next) continue;
      docs.set(o.appId, next);
      this.dirty.add(o.appId);
      changed.push(o.appId);
    }
    await this.flush();
    return changed;
  }

  /**
   * PostgreSQL: applies outcomes to the documents they were computed from (as read in this page) and
   * writes the changed ones; returns their app ids.
   */
  async saveWith(docs: ReadonlyMap<string, MatchDoc>, outcomes: MatchOutcome[]): Promise<string[]> {
    const at = new Date().toISOString();
    const changed: MatchDoc[] = [];
    for (const o of outcomes) {
      const doc = docs.get(o.appId);
      const next = doc && withOutcome(doc, o, at);
      if (next) changed.push(next);
    }
    await (this.table as TableBook).write(changed);
    return changed.map((d) => d.appId);
  }

  /** Sets one record's issue directly (e.g. a duplicate name QuickBooks reported on create). */
  async setIssue(appId: string, issue: IssueCode, candidates?: string[]): Promise<void> {
    await this.save([{ appId, key: (await this.get(appId))?.key ?? '', status: 'issue', issue, candidates }]);
  }

  /** Every record with an issue, with its resolution text. */
  async issues(): Promise<MatchIssue[]> {
    const out: MatchIssue[] = [];
    for await (const page of this.pages()) for (const d of page) {
      const issue = toIssue(d);
      if (issue) out.push(issue);
    }
    return out;
  }
}
