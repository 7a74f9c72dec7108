import type { Mirror, MirrorRecord } from '../mirror';
import { BAIL, type Rule } from '../rules';
import { MatchBook, type MatchDoc, type MatchIssue, toIssue } from './book';
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
 * Matches one kind of app record (items, customers, charges) to one mirrored QuickBooks list through
 * the key rules, persisting every outcome in a `MatchBook`. QuickBooks keys are computed once per
 * mirror record object and cached, so a Re-sync only re-keys what changed.
 */
export class Matcher {
  private readonly qbKeys = new WeakMap<MirrorRecord, string>();

  constructor(
    readonly kind: MatchKind,
    private readonly mirror: Mirror,
    private readonly entity: string,
    private readonly appRule: Rule,
    private readonly qbKey: QbKey,
    readonly book: MatchBook,
  ) {}

  /** Records app records (one message may carry one or many) and rematches; returns their outcomes. */
  async ingest(records: AppRecord[]): Promise<MatchReport> {
    const rows = [];
    for (const r of records) {
      const key = keyOf(this.appRule, r);
      rows.push({ appId: String(r.id), appName: String(r.name ?? r.id), key: typeof key === 'string' ? key : await key, record: r });
    }
    await this.book.upsertApp(rows);
    return this.rematch(new Set(rows.map((r) => r.appId)));
  }

  /**
   * Matches every known app record against the mirror again (a Re-sync); persists what changed.
   * `only` limits the outcomes reported, not the work.
   */
  async rematch(only?: Set<string>): Promise<MatchReport> {
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
    return { ...summary, changed, outcomes: await this.docsFor(wanted) };
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
