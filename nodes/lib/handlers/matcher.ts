import type { Company } from '../company/types';
import { RequestError } from '../errors';
import { RANK, type WritePayload } from '../jobs';
import { Matcher, toIssue, type AppRecord, type MatchKind, type MatchReport } from '../matching';
import { ruleOrDefault } from '../rules';
import { schemas } from '../schemas';

/** QuickBooks' "name already in use" answers: QBO 6240, QBD 3100. */
const DUPLICATE_NAME_CODES = new Set(['6240', '3100']);

/** How a matcher node is configured: its kind, and the rules an admin may have edited. */
export interface MatcherOptions {
  kind: Extract<MatchKind, 'item' | 'customer'>;
  /** The app-side key rule (empty: the default `<kind>-key.app`). */
  appRule?: string;
  /** The QuickBooks-side key rule (empty: the edition's default). */
  qbRule?: string;
  /** Option "create missing … in QuickBooks". */
  createMissing?: boolean;
}

export type MatcherCommand =
  | { command: 'match'; records: AppRecord[] }
  | { command: 'resync'; full?: boolean }
  | { command: 'issues' }
  | { command: 'link'; appId: string; qbId?: string };

const SCHEMA = { item: 'bluetrace-item', customer: 'bluetrace-customer' } as const;
const ENTITY = { item: 'items', customer: 'customers' } as const;

/** A Re-sync's body: none, or `{full: true}` for a full reload instead of the changes since the last sync. */
function resyncOptions(payload: unknown): { full?: boolean } {
  if (payload === undefined || payload === null || payload === '') return {};
  if (typeof payload === 'object' && !Array.isArray(payload)) {
    const { full, ...rest } = payload as { full?: unknown };
    if (Object.keys(rest).length === 0 && (full === undefined || typeof full === 'boolean')) return full ? { full } : {};
  }
  throw new RequestError('a Re-sync takes no body, or {"full": true} for a full reload');
}

/**
 * Reads what a message asks for: `msg.topic` "resync", "issues" or "link" (payload `{appId, qbId}`),
 * otherwise records to match (one object or an array), each validated by its schema.
 */
export function parseMatcherMessage(kind: MatcherOptions['kind'], msg: { topic?: unknown; payload?: unknown }): MatcherCommand {
  const topic = typeof msg.topic === 'string' ? msg.topic.toLowerCase() : '';
  if (topic === 'resync' || topic === 're-sync') return { command: 'resync', ...resyncOptions(msg.payload) };
  if (topic === 'issues') return { command: 'issues' };
  if (topic === 'link' || topic === 'unlink') {
    const p = (msg.payload ?? {}) as { appId?: unknown; qbId?: unknown };
    if ((typeof p.appId !== 'string' && typeof p.appId !== 'number') || String(p.appId) === '') throw new RequestError('a link needs payload.appId (the app record id)');
    if (topic === 'link' && (typeof p.qbId !== 'string' || p.qbId === '')) throw new RequestError('a link needs payload.qbId (the QuickBooks id)');
    return { command: 'link', appId: String(p.appId), qbId: topic === 'link' ? String(p.qbId) : undefined };
  }
  const records = Array.isArray(msg.payload) ? msg.payload : [msg.payload];
  return { command: 'match', records: schemas().validateEach<AppRecord>(SCHEMA[kind], records, Array.isArray(msg.payload)) };
}

/**
 * The behaviour of the item and customer matcher nodes, without Node-RED: compile the rules once,
 * match records through the company's mirror and persisted matches, Re-sync, link, and create
 * missing records as jobs when asked.
 */
export class MatcherHandler {
  readonly matcher: Matcher;

  constructor(
    readonly company: Company,
    readonly options: MatcherOptions,
  ) {
    const appRule = ruleOrDefault(`${options.kind}-key.app`, options.appRule);
    const qbRule = ruleOrDefault(options.kind === 'item' ? company.rules.itemKey : company.rules.customerKey, options.qbRule);
    this.matcher = new Matcher(options.kind, company.mirror, ENTITY[options.kind], appRule, qbRule, company.matches(options.kind));
  }

  async run(cmd: MatcherCommand): Promise<MatchReport | { issues: Awaited<ReturnType<Matcher['book']['issues']>> }> {
    switch (cmd.command) {
      case 'issues':
        return { issues: await this.matcher.book.issues() };
      case 'resync':
        await this.company.resync({ full: cmd.full === true });
        return this.finish(await this.matcher.rematch());
      case 'link': {
        await this.matcher.book.link(cmd.appId, cmd.qbId);
        return this.finish(await this.matcher.rematch(new Set([cmd.appId])));
      }
      case 'match':
        return this.finish(await this.matcher.ingest(cmd.records));
    }
  }

  /**
   * Re-matches after the mirror changed (a sync, or a record QuickBooks just created). The outcomes go
   * to "create missing" and the changes to the company a page at a time, and are not kept: the report
   * holds the counts.
   */
  async rematch(): Promise<MatchReport> {
    const report = await this.matcher.rematch(undefined, {
      each: async (outcomes, changed) => {
        const created: MatchReport = { matched: 0, issues: 0, byIssue: {}, outcomes: [], changed: [] };
        if (this.options.createMissing) for (const o of outcomes) await this.createFor(o, created);
        const seen = new Set(changed);
        this.company.matchesChanged(this.options.kind, [...changed, ...created.changed.filter((id) => !seen.has(id))]);
      },
    });
    if (this.options.createMissing) this.company.kick();
    return report;
  }

  /** A job of this kind finished (a created record): the mirror has it, so match again. */
  async onJob(job: { kind: string; company: string }): Promise<MatchReport | undefined> {
    const mine = this.options.kind === 'item' ? 'item.add' : 'customer.add';
    if (job.kind !== mine || job.company !== this.company.id) return undefined;
    return this.rematch();
  }

  private async finish(report: MatchReport): Promise<MatchReport> {
    if (this.options.createMissing) await this.createMissing(report);
    this.company.matchesChanged(this.options.kind, report.changed);
    return report;
  }

  /**
   * Option "create missing … in QuickBooks": one job per not-found record (keyed by its app id, so
   * never two). A create QuickBooks refused for a duplicate name keeps the duplicate-name issue
   * instead of "not found", and is never retried into a second record.
   */
  private async createMissing(report: MatchReport): Promise<void> {
    for (const o of report.outcomes) await this.createFor(o, report);
    this.company.kick();
  }

  /**
   * An admin's "Create in QuickBooks" for app records whose QuickBooks record is not found (the
   * console): the same job the option queues, once per record. Returns, per app id, the job's key and
   * state, or why nothing was queued.
   */
  async create(appIds: readonly string[]): Promise<Array<{ appId: string; key?: string; state?: string; created: boolean; reason?: string }>> {
    const notFound = this.options.kind === 'item' ? 'item-not-found' : 'customer-not-found';
    const out: Array<{ appId: string; key?: string; state?: string; created: boolean; reason?: string }> = [];
    const report: MatchReport = { matched: 0, issues: 0, byIssue: {}, outcomes: [], changed: [] };
    for (const doc of await this.matcher.book.getMany(appIds)) {
      if (doc.issue !== notFound) {
        out.push({ appId: doc.appId, created: false, reason: doc.status === 'matched' ? 'matched' : `issue ${doc.issue ?? doc.status}` });
        continue;
      }
      const job = await this.createFor(doc, report);
      out.push({ appId: doc.appId, key: job?.key, state: job?.state, created: !!job?.created, ...(job ? {} : { reason: 'duplicate-name' }) });
    }
    for (const id of appIds) if (!out.some((o) => o.appId === id)) out.push({ appId: id, created: false, reason: 'unknown' });
    if (report.changed.length) this.company.matchesChanged(this.options.kind, report.changed);
    this.company.kick();
    return out;
  }

  /** Queues the create job of one not-found record (once); returns it, or undefined when none is due. */
  private async createFor(o: MatchReport['outcomes'][number], report: MatchReport): Promise<{ key: string; state: string; created: boolean } | undefined> {
    const kind = this.options.kind;
    const notFound = kind === 'item' ? 'item-not-found' : 'customer-not-found';
    const nameTaken = kind === 'item' ? 'duplicate-item-name' : 'duplicate-customer-name';
    if (o.issue !== notFound && o.issue !== nameTaken) return undefined;
    const key = `${kind}:${o.appId}`;
    const existing = await this.company.outbox.get(key);
    const payload = { ...this.company.newRecord(kind, o.record), match: { kind, appId: o.appId } };
    const renamed = existing?.state === 'error' && JSON.stringify((existing.payload as WritePayload | undefined)?.lookup) !== JSON.stringify(payload.lookup);
    if (!renamed && existing?.state === 'error' && DUPLICATE_NAME_CODES.has(String(existing.error?.statusCode ?? existing.error?.code))) {
      if (o.issue !== nameTaken) {
        await this.company.matches(kind).setIssue(o.appId, nameTaken);
        o.issue = nameTaken;
        o.issueDetail = toIssue({ ...o, issue: nameTaken });
        report.changed.push(o.appId);
      }
      return undefined;
    }
    // A refused create is sent again only when the record was renamed since (the job re-opens with the new name).
    if (existing && existing.state !== 'skipped' && !renamed) return { key, state: existing.state, created: false };
    const { job, created } = await this.company.outbox.enqueue({
      key, kind: kind === 'item' ? 'item.add' : 'customer.add', rank: RANK[kind === 'item' ? 'item.add' : 'customer.add'],
      sourceId: o.appId, payload, summary: `Create ${kind} ${o.appName} in QuickBooks`,
    });
    return { key, state: job.state, created };
  }
}
