/**
 * The QuickBooks console without Node-RED: the views and actions of the console's tabs (Connections,
 * General, Items, Customers, Invoices, BluBilling, Rule preview). Every action calls the handler of
 * the deployed node that the flows' REST endpoints reach (MatcherHandler, InvoiceHandler,
 * ExportHandler, ImportHandler, ChargeHandler), found in the handler registry; lists are searched,
 * filtered and paged here, on the server.
 */
import type { Company, Edition, MirrorEntity } from '../company/types';
import type { ChargeHandler } from '../handlers/charges';
import { emailsOf } from '../handlers/customer-ref';
import type { ExportHandler } from '../handlers/exporter';
import type { ImportHandler } from '../handlers/importer';
import type { InvoiceHandler } from '../handlers/invoices';
import type { MatcherHandler } from '../handlers/matcher';
import { OPERATION } from '../handlers/queue-view';
import type { Job, WritePayload } from '../jobs';
import { ISSUES, toIssue, type IssueCode, type MatchDoc } from '../matching';
import type { MirrorRecord } from '../mirror';
import { defaultRule, ruleOrDefault } from '../rules';
import { isIsoDate } from '../schemas';
import { previewRules, type PreviewResult } from './preview';
import type { HandlerRegistry, RegisteredNode } from './registry';
import { applySavedGeneral, effectiveGeneral, ID_FIELDS, reloadGeneral, saveGeneral, savedGeneral, syncEnabled, type ConsoleGeneral } from './settings';
import { Checker, ConsoleConflict, ConsoleNotFound, ConsoleRequestError, listQuery, matchesSearch, nameKey, page, safeMessage, TopRows, type Page } from './validate';

/** A deployed connection config node (`qbo-connection` or `qbwc-server`). */
export interface ConnectionRef {
  id: string;
  type: 'qbo-connection' | 'qbwc-server';
  name: string;
  edition: Edition;
  /** The company once its store is open; rejects with why it is not (not connected, no credentials). */
  whenCompany(): Promise<Company>;
}

/** Where the console finds the deployed connections and what a connection reports of itself. */
export interface ConsoleSource {
  connections(): ConnectionRef[];
  /** The state and mirror ages of a company (the connection dialogs' status). */
  status(company: Company): Promise<Record<string, unknown>>;
}

export type AppKind = 'item' | 'customer';
const KINDS = ['item', 'customer'] as const;
const MATCHER_TYPE: Record<AppKind, string> = { item: 'qb-item-matcher', customer: 'qb-customer-matcher' };
const MIRROR_ENTITIES = ['items', 'customers', 'terms', 'accounts'] as const;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** The last Web Connector run of a Desktop company, kept in its store. */
const RUN_LOG = 'console-qbwc-run';

/** One row of the Items / Customers list. */
export interface MatchRow {
  appId: string;
  appName: string;
  key: string;
  status: MatchDoc['status'];
  qbId?: string;
  qbName?: string;
  linked: boolean;
  issue?: IssueCode;
  title?: string;
  resolution?: string;
  candidates?: MirrorView[];
  /** The console may offer "Create in QuickBooks". */
  creatable: boolean;
}

/** A mirrored QuickBooks record as the mirror browser and the candidate lists show it. */
export interface MirrorView {
  id: string;
  name: string;
  sku?: string;
  email?: string;
  active: boolean;
  type?: string;
}

function textAt(data: Record<string, unknown>, ...path: string[]): string | undefined {
  let v: unknown = data;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Name, SKU / part number, email and type of a mirrored record, for either edition. */
export function mirrorView(r: MirrorRecord): MirrorView {
  const d = r.data ?? {};
  const out: MirrorView = { id: r.id, name: r.name, active: r.active };
  const sku = textAt(d, 'Sku') ?? textAt(d, 'ManufacturerPartNumber');
  const email = emailsOf(d).join(', '); // the addresses the exporter matches customers by
  const type = textAt(d, 'AccountType') ?? textAt(d, 'Type') ?? textAt(d, 'ItemType');
  if (sku) out.sku = sku;
  if (email) out.email = email;
  if (type) out.type = type;
  return out;
}

/** Name order for lists (one collator: far cheaper than localeCompare per comparison over 100,000 rows). */
const byName = new Intl.Collator('en').compare;

/** Parses "customers 1,200 / 5,000" (a company's first-load progress) for a progress bar. */
export function progressOf(text: string | undefined): { entity: string; done: number; total?: number } | undefined {
  const m = text ? /^([a-z]+)\s+([\d,]+)(?:\s*\/\s*([\d,]+))?/i.exec(text) : null;
  if (!m) return undefined;
  const num = (s: string) => Number(s.replace(/,/g, ''));
  return { entity: m[1], done: num(m[2]), ...(m[3] ? { total: num(m[3]) } : {}) };
}

export class ConsoleService {
  /**
   * Told when the console itself recorded or changed something an open console shows (the last Web
   * Connector run; jobs queued, approved or skipped from the console; General settings saved), which
   * the consoles of the other instances sharing the store then show too.
   */
  changed?: (companyId: string, event: string) => void;

  constructor(
    private readonly source: ConsoleSource,
    private readonly registry: HandlerRegistry,
  ) {}

  // ------------------------------------------------------------------ connections

  private ref(id: unknown): ConnectionRef {
    if (typeof id !== 'string' || !id || id.length > 100) throw new ConsoleRequestError([{ field: 'id', message: 'must be a connection id' }]);
    const ref = this.source.connections().find((c) => c.id === id);
    if (!ref) throw new ConsoleNotFound('no deployed QuickBooks connection has this id');
    return ref;
  }

  /** The company of a deployed connection (409 when it cannot run: not connected, no credentials). */
  async company(id: unknown): Promise<Company> {
    const ref = this.ref(id);
    let company: Company;
    try {
      company = await ref.whenCompany();
    } catch (err) {
      throw new ConsoleConflict(safeMessage((err as Error).message));
    }
    await this.watch(company);
    return company;
  }

  /**
   * Live events another instance sharing the company's store raised (console-routes hears them): General
   * settings saved there apply here too (its Sync switches, invoice creation, accounts).
   */
  async heardElsewhere(company: Company, events: readonly string[]): Promise<void> {
    if (events.includes('settings')) await reloadGeneral(company);
  }

  private readonly watched = new WeakSet<Company>();
  /** Called once per company the console sees: applies saved settings and keeps the last Web Connector run. */
  async watch(company: Company): Promise<void> {
    if (this.watched.has(company)) return;
    this.watched.add(company);
    await applySavedGeneral(company);
    if (company.edition === 'qbd') {
      company.on('session', (event: { reason?: string; summary?: string }) => {
        this.recordRun(company, event).then(() => this.changed?.(company.id, 'session'), () => undefined);
      });
    }
  }

  /**
   * Keeps a Desktop company's last Web Connector run: when, its outcome and summary, and the errors of
   * the jobs QuickBooks refused since the run before.
   */
  private async recordRun(company: Company, event: { reason?: string; summary?: string }): Promise<void> {
    const log = company.log(RUN_LOG);
    const since = (await log.get('last'))?.updatedAt ?? '';
    const refused = (await company.outbox.list({ state: 'error' })).filter((j) => j.updatedAt > since);
    const errors = refused.slice(0, 5).map((j) => safeMessage(`${j.summary}: ${j.error?.message ?? 'refused'}`));
    const error = event.reason === 'error' || refused.length > 0 || /\berror\b/.test(String(event.summary ?? ''));
    await log.put('last', { status: error ? 'error' : 'ok', label: String(event.summary ?? '').slice(0, 500), detail: { reason: event.reason, errors } });
  }

  /** Every deployed connection with its state, mirror ages and the nodes using it. */
  async connections(): Promise<{ connections: Array<Record<string, unknown>> }> {
    const out = [];
    for (const ref of this.source.connections()) out.push(await this.connectionView(ref));
    return { connections: out };
  }

  async connection(id: unknown): Promise<Record<string, unknown>> {
    return this.connectionView(this.ref(id));
  }

  private async connectionView(ref: ConnectionRef): Promise<Record<string, unknown>> {
    const base = { id: ref.id, type: ref.type, name: ref.name, edition: ref.edition };
    let company: Company;
    try {
      company = await Promise.race([ref.whenCompany(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('still starting')), 2_000).unref())]);
    } catch (err) {
      return { ...base, state: 'error', message: safeMessage((err as Error).message), nodes: [] };
    }
    await this.watch(company);
    const status = await this.source.status(company);
    const progress = progressOf(status.progress as string | undefined);
    const nodes = this.registry.of(company.id).map((n) => ({ id: n.nodeId, type: n.type, name: n.name }));
    const view: Record<string, unknown> = { ...base, ...status, ...(progress ? { progressBar: progress } : {}), nodes };
    if (ref.edition === 'qbd') {
      const waiting = await company.outbox.list({ state: ['approved', 'queued'] });
      const byKind: Record<string, number> = {};
      for (const j of waiting) if (j.state === 'approved') byKind[j.kind] = (byKind[j.kind] ?? 0) + 1;
      const last = await company.log(RUN_LOG).get('last');
      view.desktop = {
        nextRun: { count: waiting.filter((j) => j.state === 'approved').length, byKind, review: waiting.filter((j) => j.state === 'queued').length },
        lastRun: last ? { at: last.updatedAt, outcome: last.status, summary: last.label ?? '', reason: last.detail?.reason, errors: last.detail?.errors ?? [] } : null,
      };
    }
    return view;
  }

  /**
   * Re-sync (both editions): through the item matcher's handler when one uses the company (it refreshes
   * the mirror and matches again, as POST …/resync does), else the company's own Re-sync. On Desktop it
   * queues the imports for the next Web Connector run.
   */
  async resync(id: unknown, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const c = new Checker(body);
    const full = c.bool('full');
    c.done();
    const company = await this.company(id);
    const matcher = this.registry.first(company.id, [MATCHER_TYPE.item, MATCHER_TYPE.customer]);
    if (matcher && !full) await (matcher.handler as MatcherHandler).run({ command: 'resync' });
    else await company.resync({ full: full === true });
    return this.connection(id);
  }

  // ------------------------------------------------------------------ General

  async general(id: unknown): Promise<Record<string, unknown>> {
    const company = await this.company(id);
    const [terms, accounts] = await Promise.all([company.mirror.list('terms'), company.mirror.list('accounts')]);
    const options = (list: MirrorRecord[]) => list.filter((r) => r.active).map(mirrorView).sort((a, b) => byName(a.name, b.name));
    return {
      edition: company.edition,
      fields: company.edition === 'qbo' ? [...ID_FIELDS] : ['defaultTermsId', 'incomeAccountId'],
      settings: effectiveGeneral(company),
      saved: await savedGeneral(company),
      terms: options(terms),
      accounts: options(accounts),
      matchers: KINDS.filter((k) => this.registry.first(company.id, [MATCHER_TYPE[k]])),
    };
  }

  /** Saves General settings; terms and accounts must be names in the mirror (chosen, never typed ids). */
  async saveGeneral(id: unknown, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const c = new Checker(body);
    const edit: ConsoleGeneral = {};
    for (const f of ID_FIELDS) {
      const v = body[f];
      if (v === '' ) edit[f] = '';
      else {
        const t = c.text(f, { max: 100 });
        if (t !== undefined) edit[f] = t;
      }
    }
    for (const f of ['invoiceCreation', 'itemsSync', 'customersSync'] as const) {
      const b = c.bool(f);
      if (b !== undefined) edit[f] = b;
    }
    const unknown = Object.keys(body).filter((k) => !(ID_FIELDS as readonly string[]).includes(k) && !['invoiceCreation', 'itemsSync', 'customersSync'].includes(k));
    for (const k of unknown.slice(0, 10)) c.problems.push({ field: k.slice(0, 50), message: 'is not a General setting' });
    c.done();
    const company = await this.company(id);
    const [terms, accounts] = await Promise.all([company.mirror.load('terms'), company.mirror.load('accounts')]);
    for (const f of ID_FIELDS) {
      const v = edit[f];
      if (!v) continue;
      const list = f === 'defaultTermsId' ? terms : accounts;
      if (!list.has(v)) c.problems.push({ field: f, message: `must be one of the ${f === 'defaultTermsId' ? 'terms' : 'accounts'} in the QuickBooks copy (Re-sync if it is new)` });
    }
    if (company.edition === 'qbd') for (const f of ['expenseAccountId', 'assetAccountId'] as const) if (edit[f]) c.problems.push({ field: f, message: 'is not used by QuickBooks Desktop' });
    c.done();
    const before = effectiveGeneral(company);
    await saveGeneral(company, edit);
    this.changed?.(company.id, 'settings');
    // A Sync switched back on matches again at once (the matcher's own re-match).
    for (const kind of KINDS) {
      const flag = kind === 'item' ? 'itemsSync' : 'customersSync';
      if (edit[flag] === true && before[flag] === false) {
        for (const n of this.registry.of(company.id, [MATCHER_TYPE[kind]])) await (n.handler as MatcherHandler).rematch();
      }
    }
    return this.general(id);
  }

  // ------------------------------------------------------------------ Items and Customers

  private kind(kind: unknown): AppKind {
    if (kind !== 'item' && kind !== 'customer') throw new ConsoleRequestError([{ field: 'kind', message: 'must be item or customer' }]);
    return kind;
  }

  private matcher(company: Company, kind: AppKind): RegisteredNode {
    const node = this.registry.first(company.id, [MATCHER_TYPE[kind]]);
    if (!node) throw new ConsoleConflict(`no ${MATCHER_TYPE[kind]} node uses this connection`);
    return node;
  }

  /** Counts (matched, pending, each issue) and one page of app records with their match or issue. */
  async matches(id: unknown, kindParam: unknown, query: Record<string, unknown>): Promise<Page<MatchRow> & { counts: Record<string, unknown>; issueTypes: Array<{ code: string; title: string }> }> {
    const kind = this.kind(kindParam);
    const codes = (Object.keys(ISSUES) as IssueCode[]).filter((c) => ISSUES[c].kind === kind);
    const q = listQuery(query, ['matched', 'issue', 'pending', 'linked', ...codes]);
    const company = await this.company(id);
    // The book streams by a page at a time (all of it in memory on nedb, read by page on PostgreSQL):
    // counted, filtered, and only the page asked for kept.
    const counts = { total: 0, matched: 0, pending: 0, issues: 0, byIssue: {} as Record<string, number> };
    const f = q.filter;
    const top = new TopRows<MatchDoc>(q, (d) => nameKey(d, d.appName, d.appId));
    for await (const docs of company.matches(kind).pages()) {
      for (const d of docs) {
        counts.total++;
        if (d.status === 'matched') counts.matched++;
        else if (d.status === 'pending') counts.pending++;
        else {
          counts.issues++;
          if (d.issue) counts.byIssue[d.issue] = (counts.byIssue[d.issue] ?? 0) + 1;
        }
        if ((!f || (f === 'matched' ? d.status === 'matched' : f === 'issue' ? d.status === 'issue' : f === 'pending' ? d.status === 'pending' : f === 'linked' ? !!d.linkedQbId : d.issue === f))
          && matchesSearch(q.q, d.appName, d.appId, d.key)) top.add(d);
      }
    }
    const result = top.page();
    const mirror = await this.mirrorOf(company, kind, result.rows);
    const creatable = !!this.registry.first(company.id, [MATCHER_TYPE[kind]]);
    return {
      ...result,
      rows: result.rows.map((d) => this.matchRow(d, mirror, creatable)),
      counts,
      issueTypes: codes.map((code) => ({ code, title: ISSUES[code].title })),
    };
  }

  /** The QuickBooks records the match rows name (their match and candidates), by id. */
  private mirrorOf(company: Company, kind: AppKind, docs: MatchDoc[]): Promise<Map<string, MirrorRecord>> {
    const ids = docs.flatMap((d) => [...(d.status === 'matched' && d.qbId ? [d.qbId] : []), ...(d.candidates ?? [])]);
    return company.mirror.getMany(kind === 'item' ? 'items' : 'customers', ids);
  }

  private matchRow(d: MatchDoc, mirror: Map<string, MirrorRecord>, matcherDeployed: boolean): MatchRow {
    const issue = toIssue(d);
    const qbId = d.status === 'matched' ? d.qbId : undefined;
    const row: MatchRow = {
      appId: d.appId, appName: d.appName, key: d.key, status: d.status, linked: !!d.linkedQbId,
      creatable: matcherDeployed && (d.issue === 'item-not-found' || d.issue === 'customer-not-found'),
    };
    if (qbId) {
      row.qbId = qbId;
      row.qbName = mirror.get(qbId)?.name;
    }
    if (issue) Object.assign(row, { issue: issue.issue, title: issue.title, resolution: issue.resolution });
    const candidates = (d.candidates ?? []).map((cid) => mirror.get(cid)).filter((r): r is MirrorRecord => !!r).map(mirrorView);
    if (candidates.length) row.candidates = candidates;
    return row;
  }

  /** Links an app record to a QuickBooks record (a duplicate match): the matcher's own "link". */
  async link(id: unknown, kindParam: unknown, body: Record<string, unknown>, unlink = false): Promise<Record<string, unknown>> {
    const kind = this.kind(kindParam);
    const c = new Checker(body);
    const appId = c.text('appId', { required: true, max: 300 });
    const qbId = unlink ? undefined : c.text('qbId', { required: true, max: 100 });
    c.done();
    const company = await this.company(id);
    if (!(await company.matches(kind).get(appId as string))) throw new ConsoleNotFound(`no ${kind} with this app id has been received`);
    if (qbId && !(await company.mirror.get(kind === 'item' ? 'items' : 'customers', qbId))) {
      throw new ConsoleRequestError([{ field: 'qbId', message: `is not a ${kind} in the QuickBooks copy` }]);
    }
    const handler = this.matcher(company, kind).handler as MatcherHandler;
    const report = await handler.run({ command: 'link', appId: appId as string, qbId });
    const doc = await company.matches(kind).get(appId as string);
    const mirror = await this.mirrorOf(company, kind, doc ? [doc] : []);
    return { row: doc ? this.matchRow(doc, mirror, true) : undefined, matched: 'matched' in report ? report.matched : undefined };
  }

  /** "Create in QuickBooks" for not-found records: the matcher's create job, once per record. */
  async create(id: unknown, kindParam: unknown, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const kind = this.kind(kindParam);
    const c = new Checker(body);
    const appIds = c.keys('appIds', { required: true, max: 200 });
    c.done();
    const company = await this.company(id);
    const handler = this.matcher(company, kind).handler as MatcherHandler;
    const results = await handler.create(appIds as string[]);
    this.changed?.(company.id, 'job');
    return { results };
  }

  /** The Items / Customers tab's Re-sync: the matcher's own Re-sync (refresh, then match again). */
  async resyncKind(id: unknown, kindParam: unknown): Promise<Record<string, unknown>> {
    const kind = this.kind(kindParam);
    const company = await this.company(id);
    if (!syncEnabled(company.id, kind)) throw new ConsoleConflict(`${kind === 'item' ? 'Items' : 'Customers'} sync is turned off (General tab): turn it on to Re-sync`);
    const report = await (this.matcher(company, kind).handler as MatcherHandler).run({ command: 'resync' });
    return 'matched' in report ? { matched: report.matched, issues: report.issues, byIssue: report.byIssue } : {};
  }

  /** The mirror browser: QuickBooks items, customers, terms or accounts (name, SKU / part number, email, active). */
  async mirror(id: unknown, entityParam: unknown, query: Record<string, unknown>): Promise<Page<MirrorView>> {
    if (!MIRROR_ENTITIES.includes(entityParam as MirrorEntity)) throw new ConsoleRequestError([{ field: 'entity', message: `must be one of ${MIRROR_ENTITIES.join(', ')}` }]);
    const q = listQuery(query, ['active', 'inactive']);
    const company = await this.company(id);
    // The list streams by a page at a time; only the page asked for is kept.
    const top = new TopRows<MirrorRecord>(q, (r) => nameKey(r, r.name, r.id));
    for await (const records of company.mirror.pages(entityParam as string)) {
      for (const r of records) {
        if (q.filter === 'active' && !r.active) continue;
        if (q.filter === 'inactive' && r.active) continue;
        if (q.q) {
          const v = mirrorView(r);
          if (!matchesSearch(q.q, v.name, v.sku, v.email, v.id)) continue;
        }
        top.add(r);
      }
    }
    const result = top.page();
    return { ...result, rows: result.rows.map(mirrorView) };
  }

  // ------------------------------------------------------------------ Invoices (BlueTrace)

  private invoiceHandler(company: Company): InvoiceHandler {
    const node = this.registry.first(company.id, ['qb-invoice-creator']);
    if (!node) throw new ConsoleConflict('no qb-invoice-creator node uses this connection');
    return node.handler as InvoiceHandler;
  }

  /** The invoice log: status, QuickBooks number and id, the Action column, attempts; filtered by status. */
  async invoices(id: unknown, query: Record<string, unknown>): Promise<Page<Record<string, unknown>> & { counts: Record<string, number> }> {
    const q = listQuery(query, ['needs-action', 'queued', 'created', 'updated', 'error', 'disabled']);
    const company = await this.company(id);
    const handler = this.invoiceHandler(company);
    const entries = await handler.list({});
    const counts: Record<string, number> = {};
    for (const e of entries) counts[e.status] = (counts[e.status] ?? 0) + 1;
    const picked = entries.filter((e) => (!q.filter || e.status === q.filter) && matchesSearch(q.q, e.label, e.sourceId, e.qbId, ...e.actions));
    const result = page(picked, q);
    const rows = [];
    for (const e of result.rows) {
      const job = await company.outbox.get(`invoice:${e.sourceId}`);
      const payload = job?.payload as WritePayload | undefined;
      rows.push({
        orderId: e.sourceId, orderNumber: e.label ?? e.sourceId, status: e.status, qbId: e.qbId, qbNumber: payload?.lookup?.value,
        actions: e.actions, attempts: e.attempts, updatedAt: e.updatedAt, jobState: job?.state,
        retryable: e.status === 'needs-action' || e.status === 'error' || e.status === 'disabled' || job?.state === 'error',
      });
    }
    return { ...result, rows, counts };
  }

  /**
   * "Retry now": a job QuickBooks refused is approved again (sent at once on Online, in the next run on
   * Desktop); an order waiting for matches goes through the invoice creator again (its own `handle`).
   */
  async retryInvoice(id: unknown, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const c = new Checker(body);
    const orderId = c.text('orderId', { required: true, max: 300 });
    c.done();
    const company = await this.company(id);
    const handler = this.invoiceHandler(company);
    const job = await company.outbox.get(`invoice:${orderId}`);
    if (job?.state === 'error') {
      await company.outbox.approve([job.key]);
      await company.log('invoice').put(orderId as string, { status: 'queued', actions: [] });
      company.kick();
      this.changed?.(company.id, 'job');
      return { orderId, status: 'queued', retried: 'job' };
    }
    const entry = (await company.log('invoice').list({ withSource: true })).find((e) => e.sourceId === orderId);
    if (!entry) throw new ConsoleNotFound('no invoice log entry for this order');
    if (!entry.source) throw new ConsoleConflict('this order cannot be retried: its packed order was not kept');
    const outcome = await handler.handle(entry.source);
    return { ...outcome, retried: 'order' };
  }

  // ------------------------------------------------------------------ BluBilling

  private exporter(company: Company): RegisteredNode {
    const node = this.registry.first(company.id, ['qb-date-range-exporter']);
    if (!node) throw new ConsoleConflict('no qb-date-range-exporter node uses this connection');
    return node;
  }

  private importer(company: Company): ImportHandler {
    const node = this.registry.first(company.id, ['qb-importer']);
    if (!node) throw new ConsoleConflict('no qb-importer node uses this connection');
    return node.handler as ImportHandler;
  }

  private dateRange(c: Checker): { from?: string; to?: string } {
    const from = c.text('from', { required: true, max: 10, pattern: DATE, patternText: 'must be a date YYYY-MM-DD', check: isIsoDate });
    const to = c.text('to', { required: true, max: 10, pattern: DATE, patternText: 'must be a date YYYY-MM-DD', check: isIsoDate });
    if (from && to && from > to) c.problems.push({ field: 'to', message: 'must not be before from' });
    return { from, to };
  }

  private entities<T extends string>(c: Checker, body: Record<string, unknown>, allowed: readonly T[]): T[] | undefined {
    const v = body.entities;
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.length === 0 || v.length > allowed.length || !v.every((e) => allowed.includes(e))) {
      c.problems.push({ field: 'entities', message: `must be a non-empty list of ${allowed.join(', ')}` });
      return undefined;
    }
    return [...new Set(v as T[])];
  }

  /** Import by date range (the importer's own request, validated by its schema as well). */
  async import(id: unknown, body: Record<string, unknown>): Promise<unknown> {
    const c = new Checker(body);
    const range = this.dateRange(c);
    const entities = this.entities(c, body, ['items', 'customers', 'invoices'] as const);
    const dateField = c.oneOf('dateField', ['modified', 'txn'] as const);
    c.done();
    const company = await this.company(id);
    const requested = await this.importer(company).request({ ...range, ...(entities ? { entities } : {}), ...(dateField ? { dateField } : {}) });
    this.changed?.(company.id, 'job');
    return requested;
  }

  /** Progress of every import (the importer's own status), with the total QuickBooks announced where it did. */
  async imports(id: unknown): Promise<unknown> {
    const company = await this.company(id);
    const status = (await this.importer(company).run({ command: 'status' })) as { imports: Array<{ key: string }>; text: string };
    const imports = [];
    for (const row of status.imports.slice(0, 100)) {
      const total = (await company.log('import').get(row.key))?.detail?.total;
      imports.push(typeof total === 'number' ? { ...row, total } : row);
    }
    return { ...status, imports };
  }

  /** The unmapped charges with BluBilling's instruction, and how many are mapped. */
  async charges(id: unknown, query: Record<string, unknown>): Promise<Page<unknown> & { mapped: number; unmapped: number }> {
    const q = listQuery(query, ['missing-price-code', 'unmapped-charge']);
    const company = await this.company(id);
    const node = this.registry.first(company.id, ['qb-charge-mapper']);
    if (!node) throw new ConsoleConflict('no qb-charge-mapper node uses this connection');
    const handler = node.handler as ChargeHandler;
    const { issues } = (await handler.run({ command: 'issues' })) as { issues: Array<{ appId: string; appName: string; key: string; issue: string }> };
    const all = await handler.book.list();
    const picked = issues.filter((i) => (!q.filter || i.issue === q.filter) && matchesSearch(q.q, i.appName, i.appId, i.key))
      .sort((a, b) => byName(a.appName, b.appName));
    return { ...page(picked, q), mapped: all.filter((d) => d.status === 'matched').length, unmapped: issues.length };
  }

  async export(id: unknown, body: Record<string, unknown>): Promise<unknown> {
    const c = new Checker(body);
    const range = this.dateRange(c);
    const entities = this.entities(c, body, ['customers', 'invoices', 'payments'] as const);
    c.done();
    const company = await this.company(id);
    const exported = await (this.exporter(company).handler as ExportHandler).export({ ...range, ...(entities ? { entities } : {}) });
    this.changed?.(company.id, 'job');
    return exported;
  }

  /** The review queue, with what each job will send. */
  async queue(id: unknown, query: Record<string, unknown>): Promise<Page<unknown>> {
    const q = listQuery(query, ['queued', 'approved', 'sent', 'error'], 100);
    const company = await this.company(id);
    const rows = await (this.exporter(company).handler as ExportHandler).queue();
    const picked = rows.filter((r) => (!q.filter || r.state === q.filter) && matchesSearch(q.q, r.summary, r.key, r.operation));
    const result = page(picked, q);
    const out = [];
    for (const r of result.rows) out.push({ ...r, preview: preview(await company.outbox.get(r.key)) });
    return { ...result, rows: out };
  }

  async approve(id: unknown, body: Record<string, unknown>): Promise<unknown> {
    const c = new Checker(body);
    const keys = c.keys('keys', { required: true });
    c.done();
    const company = await this.company(id);
    const approved = await (this.exporter(company).handler as ExportHandler).approve(keys);
    this.changed?.(company.id, 'job');
    return { approved };
  }

  async skip(id: unknown, body: Record<string, unknown>): Promise<unknown> {
    const c = new Checker(body);
    const keys = c.keys('keys', { required: true });
    c.done();
    const company = await this.company(id);
    const skipped = await (this.exporter(company).handler as ExportHandler).skip(keys as string[]);
    this.changed?.(company.id, 'job');
    return { skipped };
  }

  /** Previous History, newest first, paged. */
  async history(id: unknown, query: Record<string, unknown>): Promise<Page<unknown>> {
    const q = listQuery(query, ['In Queue', 'Complete', 'Error', 'Skipped']);
    const company = await this.company(id);
    const rows = await (this.exporter(company).handler as ExportHandler).history();
    return page(rows.filter((r) => (!q.filter || r.status === q.filter) && matchesSearch(q.q, r.summary, r.key, r.operation, r.qbId)), q);
  }

  /** One job: what it imported or exported (its payload, result, error and history). */
  async job(id: unknown, key: unknown): Promise<Record<string, unknown>> {
    if (typeof key !== 'string' || !key || key.length > 300) throw new ConsoleRequestError([{ field: 'key', message: 'must be a job key' }]);
    const company = await this.company(id);
    const job = await company.outbox.get(key);
    if (!job) throw new ConsoleNotFound('no job with this key');
    const out: Record<string, unknown> = {
      key: job.key, kind: job.kind, operation: OPERATION[job.kind] ?? job.kind, state: job.state, summary: job.summary, attempts: job.attempts,
      createdAt: job.createdAt, completedAt: job.completedAt, result: job.result, error: job.error?.message, history: job.history, preview: preview(job),
    };
    if (job.kind.startsWith('import.')) {
      const entry = await company.log('import').get(job.key);
      out.imported = { count: entry?.detail?.count ?? job.result?.count ?? 0, total: entry?.detail?.total };
      // The mirrored records of the list changed in the job's range (items and customers are mirrored; invoices leave on the node's output).
      const entity = job.kind.slice('import.'.length);
      const range = job.payload as { from?: string; to?: string };
      if ((entity === 'items' || entity === 'customers') && range?.from && range.to) {
        let total = 0;
        const shown: MirrorRecord[] = [];
        for await (const records of company.mirror.pages(entity)) {
          for (const r of records) {
            const at = textAt(r.data ?? {}, 'MetaData', 'LastUpdatedTime') ?? textAt(r.data ?? {}, 'TimeModified');
            const day = at?.slice(0, 10);
            if (!day || day < (range.from as string).slice(0, 10) || day > (range.to as string).slice(0, 10)) continue;
            total++;
            if (shown.length < 50) shown.push(r);
          }
        }
        out.records = { total, shown: shown.map(mirrorView) };
      }
    } else {
      const exporter = this.registry.first(company.id, ['qb-date-range-exporter']);
      const entity = ({ 'customer.add': 'customer', 'invoice.upsert': 'invoice', 'payment.add': 'payment' } as const)[job.kind as 'customer.add'];
      if (exporter && entity) out.record = (await (exporter.handler as ExportHandler).records.get(entity, job.sourceId))?.source;
    }
    return out;
  }

  /** The Accounting Scheduler's next export date of each exporter that has one. */
  async scheduler(id: unknown): Promise<Record<string, unknown>> {
    const company = await this.company(id);
    const schedules = [];
    for (const n of this.registry.of(company.id, ['qb-date-range-exporter'])) {
      const s = n.extras.scheduler as { nextExport(): Promise<{ period: { from: string; to: string }; exportDate: string }> } | undefined;
      if (!s) {
        schedules.push({ nodeId: n.nodeId, name: n.name, enabled: false });
        continue;
      }
      const next = await s.nextExport();
      schedules.push({ nodeId: n.nodeId, name: n.name, enabled: true, exportDate: next.exportDate, from: next.period.from, to: next.period.to });
    }
    return { schedules };
  }

  // ------------------------------------------------------------------ Rule preview

  /** The key rules a matcher of this kind runs now (its edits, else the defaults), to start a preview from. */
  async currentRules(id: unknown, query: Record<string, unknown>): Promise<{ kind: AppKind; appRule: string; qbRule: string }> {
    const c = new Checker(query ?? {});
    const kind = c.oneOf('kind', ['item', 'customer'] as const, { required: true }) as AppKind;
    c.done();
    const company = await this.company(id);
    const matcher = this.registry.first(company.id, [MATCHER_TYPE[kind]])?.handler as MatcherHandler | undefined;
    const qbDefault = kind === 'item' ? company.rules.itemKey : company.rules.customerKey;
    const pick = (edited: string | undefined, name: string) => (edited?.trim() ? edited : defaultRule(name).source);
    return { kind, appRule: pick(matcher?.options.appRule, `${kind}-key.app`), qbRule: pick(matcher?.options.qbRule, qbDefault) };
  }

  /** Runs edited key rules over the stored app records and the mirror beside the current ones (reads only). */
  async preview(id: unknown, body: Record<string, unknown>): Promise<PreviewResult> {
    const c = new Checker(body);
    const kind = c.oneOf('kind', ['item', 'customer'] as const, { required: true });
    const appRule = c.text('appRule', { max: 64 * 1024 });
    const qbRule = c.text('qbRule', { max: 64 * 1024 });
    c.done();
    const company = await this.company(id);
    const k = kind as AppKind;
    const matcher = this.registry.first(company.id, [MATCHER_TYPE[k]])?.handler as MatcherHandler | undefined;
    const qbDefault = k === 'item' ? company.rules.itemKey : company.rules.customerKey;
    const current = { app: ruleOrDefault(`${k}-key.app`, matcher?.options.appRule), qb: ruleOrDefault(qbDefault, matcher?.options.qbRule) };
    const entity = k === 'item' ? 'items' : 'customers';
    // One preview at a time: over 100,000 × 100,000 each takes a core for a second or two.
    if (this.previewing) throw new ConsoleConflict('another rule preview is running: try again when it has finished');
    this.previewing = true;
    try {
      const [docs, mirror] = await Promise.all([company.matches(k).list(), company.mirror.load(entity)]);
      return await previewRules(
        { kind: k, docs, qb: [...mirror.values()], current, appRule: sameAs(appRule, matcher?.options.appRule, `${k}-key.app`), qbRule: sameAs(qbRule, matcher?.options.qbRule, qbDefault) },
        (qid) => mirror.get(qid)?.name,
      );
    } finally {
      this.previewing = false;
    }
  }

  private previewing = false;
}

/** An edited rule, or undefined when it is the current one (so only what changed is evaluated). */
function sameAs(edited: string | undefined, current: string | undefined, defaultName: string): string | undefined {
  if (edited === undefined) return undefined;
  const now = current?.trim() ? current : defaultRule(defaultName).source;
  return edited.trim() === now.trim() ? undefined : edited;
}

/** What a job will send: the QuickBooks entity and fields (writes) or the date range (imports). */
export function preview(job: Job | null): Record<string, unknown> | undefined {
  if (!job) return undefined;
  const p = job.payload as Partial<WritePayload> & { from?: string; to?: string; dateField?: string };
  if (p && typeof p === 'object' && p.entity) return { entity: p.entity, fields: p.fields, lookup: p.lookup };
  if (p && typeof p === 'object' && p.from) return { from: p.from, to: p.to, ...(p.dateField ? { dateField: p.dateField } : {}) };
  return undefined;
}
