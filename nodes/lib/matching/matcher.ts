import { keyId, type Mirror, type MirrorKey, type MirrorRecord } from '../mirror';
import { BAIL, type Rule } from '../rules';
import { MatchBook, type MatchDoc, type MatchIssue, toIssue } from './book';
import type { TableBook } from './table-book';
import type { MatchKind } from './issues';
import { matchByKey, summarize, type KeyedRecord, type MatchOutcome } from './join';

export interface AppRecord {
  id: string | number;
  name?: string;
  [field: string]: unknown;
}

export interface MatchReport {
  matched: number;
  issues: number;
  byIssue: ReturnType<typeof summarize>['byIssue'];
  /** Outcomes of the records asked about (ingested ones), or all on a full rematch. */
  outcomes: Array<MatchDoc & { issueDetail?: MatchIssue }>;
  /** App ids whose outcome changed in this run. */
  changed: string[];
}

function asKey(rule: Rule, key: unknown): string {
  if (key === undefined || key === null) return '';
  if (typeof key !== 'string') throw new Error(`Rule "${rule.name}" must give a text key, but gave ${Array.isArray(key) ? 'an array' : typeof key}`);
  return key;
}

/**
 * Evaluates a key rule on one record: synchronously through the rule's fast path when it has one (no
 * promise per record in the hot loop), else a promise of JSONata's answer.
 */
export function keyOf(rule: Rule, record: unknown): string | Promise<string> {
  const fast = rule.evaluateSync(record);
  if (fast !== BAIL) return asKey(rule, fast);
  return rule.evaluate(record).then((key) => asKey(rule, key));
}

/** How the QuickBooks side is keyed: a key rule on each mirror record's fields, or a function of the record. */
export type QbKey = Rule | ((record: MirrorRecord) => string);

/**
 * `rematch`'s options: `each` receives the reported outcomes and the app ids whose outcome changed a
 * page at a time, instead of the report holding them (its `outcomes` and `changed` are then empty), so
 * a re-match of a million records holds one page of them.
 */
export interface RematchOptions {
  each?: (outcomes: MatchReport['outcomes'], changed: string[]) => Promise<void>;
}

/**
 * Matches one kind of app record (items, customers, charges) to one mirrored QuickBooks list through
 * the key rules, persisting every outcome in a `MatchBook`. QuickBooks keys are computed once per
 * mirror record object and cached, so a Re-sync only re-keys what changed.
 *
 * On PostgreSQL (the mirror and the book in tables) nothing is loaded whole: each mirror record's key
 * is computed once when it is written (Mirror.keyBy; `ensureKeys` for the ones written before), and
 * the app records are matched a page at a time by index look-ups of their keys (TableBook.outcomes),
 * with the same outcomes as the hash join. An ingest re-matches the records received and those that
 * share a key with them (old or new), the only ones whose outcome it can change.
 */
export class Matcher {
  private readonly qbKeys = new WeakMap<MirrorRecord, string>();
  /** The QuickBooks-side key as the mirror's table keys records (PostgreSQL). */
  private readonly mirrorKey: MirrorKey;

  constructor(
    readonly kind: MatchKind,
    private readonly mirror: Mirror,
    private readonly entity: string,
    private readonly appRule: Rule,
    private readonly qbKey: QbKey,
    readonly book: MatchBook,
  ) {
    this.mirrorKey = { id: keyId(qbKey), keyOf: (r) => (typeof qbKey === 'function' ? qbKey(r) : keyOf(qbKey, r.data)) };
    mirror.keyBy(entity, this.mirrorKey);
  }

  /** Whether matching runs on the tables (PostgreSQL) rather than in memory. */
  private get tabled(): boolean {
    return this.mirror.tabled && this.book.table !== undefined;
  }

  /** Records app records (one message may carry one or many) and rematches; returns their outcomes. */
  async ingest(records: AppRecord[]): Promise<MatchReport> {
    const rows = [];
    for (const r of records) {
      const key = keyOf(this.appRule, r);
      rows.push({ appId: String(r.id), appName: String(r.name ?? r.id), key: typeof key === 'string' ? key : await key, record: r });
    }
    const ids = rows.map((r) => r.appId);
    if (this.tabled) {
      const before = await this.book.getMany(ids);
      await this.book.upsertApp(rows);
      const keys = new Set([...before.map((d) => d.key), ...rows.map((r) => r.key)].filter((k) => k !== ''));
      return this.rematchTables(new Set(ids), { appIds: ids, keys: [...keys] });
    }
    await this.book.upsertApp(rows);
    return this.rematch(new Set(ids));
  }

  /**
   * Matches every known app record against the mirror again (a Re-sync); persists what changed.
   * `only` limits the outcomes reported, not the work.
   */
  async rematch(only?: Set<string>, options: RematchOptions = {}): Promise<MatchReport> {
    if (this.tabled) return this.rematchTables(only, undefined, options);
    const qb: KeyedRecord[] = [];
    for (const r of await this.mirror.list(this.entity)) {
      let key = this.qbKeys.get(r);
      if (key === undefined) {
        if (typeof this.qbKey === 'function') key = this.qbKey(r);
        else {
          const k = keyOf(this.qbKey, r.data);
          key = typeof k === 'string' ? k : await k;
        }
        this.qbKeys.set(r, key);
      }
      qb.push({ id: r.id, key, active: r.active });
    }
    const docs = await this.book.list();
    const links = new Map<string, string>();
    for (const d of docs) if (d.linkedQbId) links.set(d.appId, d.linkedQbId);
    const outcomes = matchByKey(this.kind, docs.map((d) => ({ id: d.appId, key: d.key })), qb, links);
    const changed = await this.book.save(outcomes);
    const summary = summarize(outcomes);
    const wanted = only ? outcomes.filter((o) => only.has(o.appId)) : outcomes;
    const reported = await this.docsFor(wanted);
    if (options.each) {
      await options.each(reported, changed);
      return { ...summary, changed: [], outcomes: [] };
    }
    return { ...summary, changed, outcomes: reported };
  }

  /**
   * The tables' rematch: the book's records (or those `where` picks) a page at a time, each page's
   * outcomes from index look-ups, its changes written before the next page is read. The counts are
   * the whole book's.
   */
  private async rematchTables(only: Set<string> | undefined, where?: { appIds: string[]; keys: string[] }, options: RematchOptions = {}): Promise<MatchReport> {
    const table = this.book.table as TableBook;
    // A full re-match (a Re-sync, a sync) scans for missing keys; an ingest trusts an earlier scan.
    await this.mirror.ensureKeys(this.entity, this.mirrorKey, where === undefined);
    const changed: string[] = [];
    const kept: MatchReport['outcomes'] = [];
    for await (const docs of this.book.pages(where)) {
      const outcomes = await table.outcomes(docs, this.entity, this.mirrorKey.id);
      const pageChanged = await this.book.saveWith(new Map(docs.map((d) => [d.appId, d])), outcomes);
      const wanted = only ? outcomes.filter((o) => only.has(o.appId)) : outcomes;
      const reported = wanted.length ? await this.docsFor(wanted) : [];
      if (options.each) {
        if (reported.length || pageChanged.length) await options.each(reported, pageChanged);
        continue;
      }
      changed.push(...pageChanged);
      kept.push(...reported);
    }
    // The outcomes asked about in the order asked (the order the in-memory book gives them in).
    if (only) {
      const at = new Map([...only].map((id, i) => [id, i]));
      kept.sort((a, b) => (at.get(a.appId) ?? 0) - (at.get(b.appId) ?? 0));
    }
    return { ...(await table.counts()), changed, outcomes: kept };
  }

  private async docsFor(outcomes: MatchOutcome[]): Promise<MatchReport['outcomes']> {
    const out: MatchReport['outcomes'] = [];
    for (const doc of await this.book.getMany(outcomes.map((o) => o.appId))) {
      const issueDetail = toIssue(doc);
      out.push(issueDetail ? { ...doc, issueDetail } : doc);
    }
    return out;
  }
}
