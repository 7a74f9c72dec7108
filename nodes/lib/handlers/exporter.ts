import type { Company } from '../company/types';
import { RANK, jobRefsIn, type Job, type WriteKind, type WritePayload } from '../jobs';
import type { LogEntry } from '../log';
import { RequestError, wholeNumberParam } from '../errors';
import { schemas } from '../schemas';
import { BLU_ENTITIES, BluRecords, PLURAL, type BluEntity, type RecordStatus } from './blubilling-records';
import { chargeItems, type ChargeItem } from './charges';
import { CustomerIndex } from './customer-ref';
import { checkTimeZone, hostTimeZone } from './dates';
import { customerPayload, cutNote, invoicePayload, paymentPayload, type BluCustomer, type BluInvoice, type BluPayment, type LineItem, type QbRef } from './export-shapes';
import { IMPORT_LOG, IMPORT_PREFIX } from './importer';
import { historyRow, queueRow, WAITING, type HistoryRow, type QueueRow } from './queue-view';

/** `msg.payload` of an export (schema `export-request`): inclusive local dates; entities default to all. */
export interface ExportRequest {
  from: string;
  to: string;
  entities?: Array<'customers' | 'invoices' | 'payments'>;
}

/** Where one BluBilling record stands after an export. */
export interface RecordOutcome {
  entity: BluEntity;
  sourceId: string;
  label: string;
  status: RecordStatus;
  /** Its job's key, once queued. */
  key?: string;
  /** The QuickBooks id, once known (exported, or a customer already in QuickBooks). */
  qbId?: string;
  /** What an admin must do (held or refused records). */
  actions: string[];
}

export interface ExportReport {
  from: string;
  to: string;
  entities: string[];
  /** Records whose job this export created (dependencies outside the range included). */
  queued: RecordOutcome[];
  /** Records that cannot be sent yet; a later export queues them once fixed. */
  held: RecordOutcome[];
  /** Customers found in QuickBooks already: referenced, not added. */
  matched: RecordOutcome[];
}

export type ExportCommand =
  | { command: 'records'; entity: BluEntity; records: unknown[] }
  | { command: 'export'; request: ExportRequest }
  | { command: 'queue' }
  | { command: 'history'; limit?: number }
  | { command: 'approve'; keys?: string[] }
  | { command: 'skip'; keys: string[] };

export type ExportResult =
  | Awaited<ReturnType<BluRecords['receive']>>
  | ExportReport
  | { queue: QueueRow[] }
  | { history: HistoryRow[] }
  | { approved: number }
  | { skipped: number };

const TOPIC_ENTITY: Readonly<Record<string, BluEntity>> = {
  customer: 'customer', customers: 'customer', invoice: 'invoice', invoices: 'invoice', payment: 'payment', payments: 'payment',
};
const KIND: Readonly<Record<BluEntity, WriteKind>> = { customer: 'customer.add', invoice: 'invoice.upsert', payment: 'payment.add' };
const ENTITY_OF_KIND: Readonly<Record<string, BluEntity>> = { 'customer.add': 'customer', 'invoice.upsert': 'invoice', 'payment.add': 'payment' };
const WHAT: Readonly<Record<BluEntity, string>> = { customer: 'Customer', invoice: 'Invoice', payment: 'Payment' };

/** The most job keys one approve or skip may name. */
const MAX_KEYS = 10_000;
/** The most history rows one answer may hold. */
export const MAX_HISTORY_LIMIT = 10_000;

function keysOf(payload: unknown, required: boolean): string[] | undefined {
  const isObject = payload !== null && typeof payload === 'object' && !Array.isArray(payload);
  // Only `keys`: an approve with a misspelt field must not read as "approve everything".
  const unknown = isObject ? Object.keys(payload as object).filter((k) => k !== 'keys') : [];
  if (unknown.length) throw new RequestError(`unknown field "${unknown[0]!.slice(0, 40)}": send {"keys": [job keys]}${required ? '' : ', or {} for every waiting job'}`);
  const raw = isObject ? (payload as { keys?: unknown }).keys : payload;
  if (raw === undefined || raw === null || raw === '') {
    if (required) throw new RequestError('skip needs payload: a job key or an array of job keys');
    return undefined;
  }
  const keys = Array.isArray(raw) ? raw : [raw];
  if (keys.length > MAX_KEYS) throw new RequestError(`at most ${MAX_KEYS} job keys at once`);
  if (!keys.every((k) => typeof k === 'string' && k !== '' && k.length <= 512)) throw new RequestError('job keys must be non-empty strings');
  return keys as string[];
}

/**
 * Reads what a message asks for, by `msg.topic`: "customer(s)" / "invoice(s)" / "payment(s)" with
 * records (one or an array); "export" with `{from, to, entities?}` (also recognised without a topic);
 * "queue"; "history" (payload `{limit}` optional); "approve" (payload: keys, or none for every queued
 * job); "skip" (payload: keys).
 */
export function parseExportMessage(msg: { topic?: unknown; payload?: unknown }): ExportCommand {
  const topic = typeof msg.topic === 'string' ? msg.topic.toLowerCase() : '';
  const entity = TOPIC_ENTITY[topic];
  if (entity) return { command: 'records', entity, records: Array.isArray(msg.payload) ? msg.payload : [msg.payload] };
  switch (topic) {
    case 'queue':
      return { command: 'queue' };
    case 'history': {
      const limit = wholeNumberParam((msg.payload as { limit?: unknown } | undefined)?.limit, 'limit', MAX_HISTORY_LIMIT);
      return limit === undefined ? { command: 'history' } : { command: 'history', limit };
    }
    case 'approve':
      return { command: 'approve', keys: keysOf(msg.payload, false) };
    case 'skip':
      return { command: 'skip', keys: keysOf(msg.payload, true) as string[] };
    case 'export':
    case '':
      return { command: 'export', request: schemas().validate<ExportRequest>('export-request', msg.payload) };
    default:
      throw new RequestError(`unknown topic "${String(msg.topic).slice(0, 40)}": use customers, invoices, payments, export, queue, history, approve or skip`);
  }
}

/** A reference to another record for a job's fields, or why it cannot be made yet. */
type Ref = { ref: QbRef; label: string } | { hold: string; label: string };

/** One export run: outcomes by record (each record is decided once), and the customer index. */
interface Run {
  outcomes: Map<string, RecordOutcome>;
  queued: RecordOutcome[];
  /** A refused customer.add was linked to a customer the import brought: its dependents can go. */
  linked?: boolean;
  customers?: CustomerIndex;
}

/**
 * BluBilling's "Export of Invoices/Payments/Customers" without Node-RED. Records arrive as messages and
 * are kept in the store (see `blubilling-records.ts`); an export request queues, once per record, every
 * record created in the range (by its `createdAt` as a calendar date in the company's time zone) that
 * was not exported before: `customer.add`, `invoice.upsert`, `payment.add`, in the edition's shape.
 * Invoices reference their customer and payments their invoice (a QuickBooks id when known, else a
 * `jobRef` to the job that will give it, listed in `dependsOn`). A record whose charges are unmapped is
 * held with the action to take and queued by a later export once mapped. Jobs wait for approval unless
 * `autoApprove`.
 *
 * Time-zone rule: `timeZone` (IANA name) is the company's zone, default this host's. The request's
 * dates are local calendar dates, both ends included; a record belongs to the local date its
 * `createdAt` instant falls on in that zone.
 */
export class ExportHandler {
  readonly records: BluRecords;
  readonly timeZone: string;
  private readonly autoApprove: boolean;

  constructor(
    readonly company: Company,
    options: { autoApprove?: boolean; timeZone?: string } = {},
  ) {
    this.records = new BluRecords(company);
    this.timeZone = checkTimeZone(options.timeZone?.trim() || hostTimeZone());
    this.autoApprove = options.autoApprove === true;
  }

  /** Runs one parsed command. */
  async run(cmd: ExportCommand): Promise<ExportResult> {
    switch (cmd.command) {
      case 'records':
        return this.records.receive(cmd.entity, cmd.records);
      case 'export':
        return this.export(cmd.request);
      case 'queue':
        return { queue: await this.queue() };
      case 'history':
        return { history: await this.history(cmd.limit) };
      case 'approve':
        return { approved: await this.approve(cmd.keys) };
      case 'skip':
        return { skipped: await this.skip(cmd.keys) };
    }
  }

  /**
   * Queues every exportable record created in the range, in dependency order (customers, invoices,
   * payments), and retries every held record whatever its date. Records already queued or exported are
   * left alone, so overlapping exports queue nothing twice.
   */
  async export(request: unknown): Promise<ExportReport> {
    const req = schemas().validate<ExportRequest>('export-request', request);
    const entities = req.entities ?? BLU_ENTITIES.map((e) => PLURAL[e]);
    const run: Run = { outcomes: new Map(), queued: [] };
    for (const entity of BLU_ENTITIES) {
      const picked = new Map<string, LogEntry>();
      if (entities.includes(PLURAL[entity])) for (const e of await this.records.createdIn(entity, req.from, req.to, this.timeZone)) picked.set(e.sourceId, e);
      for (const e of await this.records.held(entity)) picked.set(e.sourceId, e);
      for (const id of picked.keys()) await this.exportOne(entity, id, run);
    }
    if (run.queued.length || run.linked) this.company.kick();
    const all = [...run.outcomes.values()];
    return {
      from: req.from, to: req.to, entities, queued: run.queued,
      held: all.filter((o) => o.status === 'held'), matched: all.filter((o) => o.status === 'matched'),
    };
  }

  /** Decides one record (once per run): its existing job, a match in QuickBooks, a new job, or a hold. */
  private async exportOne(entity: BluEntity, id: string, run: Run): Promise<RecordOutcome | undefined> {
    const memo = run.outcomes.get(`${entity}:${id}`);
    if (memo) return memo;
    const entry = await this.records.get(entity, id);
    if (!entry?.source) return undefined;
    const outcome = (await this.fromJob(entity, entry)) ?? (await this.decide(entity, entry, run));
    run.outcomes.set(`${entity}:${id}`, outcome);
    return outcome;
  }

  /** The outcome of a record whose job exists already (the log follows the job if it lagged). */
  private async fromJob(entity: BluEntity, entry: LogEntry): Promise<RecordOutcome | undefined> {
    const key = `${entity}:${entry.sourceId}`;
    const job = await this.company.outbox.get(key);
    if (!job) return undefined;
    // A job QuickBooks refused (and not retried by itself) is decided again: an import may have brought the
    // customer (it is then linked), a rename changes the payload (the job is re-opened with it).
    if (job.state === 'error' && !job.retryAt) return undefined;
    if ((job.state === 'queued' || job.state === 'approved') && job.heldBy) {
      const held = await this.onJob(job);
      if (held) return held;
    }
    const status: RecordStatus = job.state === 'complete' ? 'exported' : job.state === 'skipped' || job.state === 'error' ? job.state : 'queued';
    const qbId = typeof job.result?.qbId === 'string' ? job.result.qbId : undefined;
    if (entry.status !== status) await this.records.put(entity, entry.sourceId, { status, actions: [], detail: { key }, ...(qbId ? { qbId } : {}) });
    return { entity, sourceId: entry.sourceId, label: entry.label ?? entry.sourceId, status, key, ...(qbId ? { qbId } : {}), actions: [] };
  }

  private async decide(entity: BluEntity, entry: LogEntry, run: Run): Promise<RecordOutcome> {
    switch (entity) {
      case 'customer':
        return this.exportCustomer(entry, run);
      case 'invoice':
        return this.exportInvoice(entry, run);
      case 'payment':
        return this.exportPayment(entry, run);
    }
  }

  private async exportCustomer(entry: LogEntry, run: Run): Promise<RecordOutcome> {
    const id = entry.sourceId;
    const label = entry.label ?? id;
    if (entry.status === 'matched' && entry.qbId) return { entity: 'customer', sourceId: id, label, status: 'matched', qbId: entry.qbId, actions: [] };
    const customer = entry.source as BluCustomer;
    const payload = customerPayload(this.company.edition, customer);
    run.customers ??= await CustomerIndex.from(this.company.mirror.pages('customers'));
    const found = run.customers.find(payload.lookup.value, customer.email);
    if (found.found === 'one') {
      // A refused customer.add of this record is linked to the customer found (its invoices and payments, held by it, go out).
      const failed = await this.company.outbox.get(`customer:${id}`);
      if (failed?.state === 'error') {
        await this.company.outbox.complete(failed, { qbId: found.qbId, matchedExisting: true }, `linked to the QuickBooks customer found by ${found.by} (imported)`);
        run.linked = true;
      }
      await this.records.put('customer', id, { status: 'matched', qbId: found.qbId, actions: [], detail: { matchedBy: found.by, ...(failed ? { key: failed.key } : {}) } });
      return { entity: 'customer', sourceId: id, label, status: 'matched', qbId: found.qbId, actions: [] };
    }
    if (found.found === 'several') {
      return this.hold('customer', id, label, [
        `Several QuickBooks customers match "${label}" (${found.candidates.join(', ')}): give the BluBilling customer the exact QuickBooks name of the right one, or make the names and emails in QuickBooks distinct, then export again.`,
      ], []);
    }
    return this.enqueue('customer', id, label, payload, `Customer ${label}`, run);
  }

  private async exportInvoice(entry: LogEntry, run: Run): Promise<RecordOutcome> {
    const id = entry.sourceId;
    const invoice = entry.source as BluInvoice;
    const label = entry.label ?? id;
    const customer = await this.refTo('customer', String(invoice.customerId), run);
    const chargeIds = invoice.lines.map((l) => String(l.chargeId));
    const items = await chargeItems(this.company, chargeIds);
    const actions: string[] = [];
    const waitingFor: string[] = [];
    if ('hold' in customer) {
      actions.push(customer.hold);
      waitingFor.push(`customer:${invoice.customerId}`);
    }
    for (const [chargeId, item] of items) {
      if (item.mapped) continue;
      actions.push(item.action);
      waitingFor.push(`charge:${chargeId}`);
    }
    if (actions.length || 'hold' in customer) return this.hold('invoice', id, label, actions, waitingFor);
    const lines = chargeIds.map((c) => items.get(c) as Extract<ChargeItem, { mapped: true }>) as LineItem[];
    const payload = invoicePayload(this.company.edition, invoice, customer.ref, lines);
    return this.enqueue('invoice', id, label, payload, `Invoice ${label} for ${customer.label}`, run);
  }

  private async exportPayment(entry: LogEntry, run: Run): Promise<RecordOutcome> {
    const id = entry.sourceId;
    const payment = entry.source as BluPayment;
    const label = entry.label ?? id;
    const customer = await this.refTo('customer', String(payment.customerId), run);
    const invoice = await this.refTo('invoice', String(payment.invoiceId), run);
    const actions: string[] = [];
    const waitingFor: string[] = [];
    if ('hold' in customer) {
      actions.push(customer.hold);
      waitingFor.push(`customer:${payment.customerId}`);
    }
    if ('hold' in invoice) {
      actions.push(invoice.hold);
      waitingFor.push(`invoice:${payment.invoiceId}`);
    }
    if ('hold' in customer || 'hold' in invoice) return this.hold('payment', id, label, actions, waitingFor);
    const payload = paymentPayload(this.company.edition, payment, customer.ref, invoice.ref);
    return this.enqueue('payment', id, label, payload, `Payment ${label} on invoice ${invoice.label} (${customer.label})`, run);
  }

  /**
   * The QuickBooks id of a customer or invoice this record needs: known (exported, or already in
   * QuickBooks), a `jobRef` to its pending job (exported first if it was not yet, whatever its date),
   * or why not.
   */
  private async refTo(entity: 'customer' | 'invoice', id: string, run: Run): Promise<Ref> {
    const o = await this.exportOne(entity, id, run);
    if (!o) return { hold: `${WHAT[entity]} ${id} has not been received from BluBilling: send it before exporting what refers to it.`, label: id };
    const label = o.label;
    if ((o.status === 'exported' || o.status === 'matched') && o.qbId) return { ref: o.qbId, label };
    // A job waiting (even held by its own dependency) is referred to: the outbox holds this one with the same reason.
    if ((o.status === 'queued' || o.status === 'error' || o.status === 'held') && o.key) return { ref: { jobRef: o.key }, label };
    if (o.status === 'skipped') return { hold: `${WHAT[entity]} ${label} was skipped in the queue, so it is not in QuickBooks.`, label };
    return { hold: `${WHAT[entity]} ${label} is held: ${o.actions.join(' ')}`, label };
  }

  private async enqueue(entity: BluEntity, id: string, label: string, payload: WritePayload, summary: string, run: Run): Promise<RecordOutcome> {
    const key = `${entity}:${id}`;
    const kind = KIND[entity];
    const note = cutNote(payload.cut);
    const { job } = await this.company.outbox.enqueue({ key, kind, rank: RANK[kind], dependsOn: jobRefsIn(payload.fields), sourceId: id, payload, summary, autoApprove: this.autoApprove, ...(note ? { note } : {}) });
    if (job.state === 'error') {
      // Unchanged and still refused: the record keeps its error and the action to take.
      const outcome = (await this.onJob(job)) ?? { entity, sourceId: id, label, status: 'error' as const, key, actions: [] };
      return outcome;
    }
    const held = job.heldBy && (job.state === 'queued' || job.state === 'approved') ? [job.heldBy.reason] : [];
    await this.records.put(entity, id, { status: held.length ? 'held' : 'queued', actions: held, detail: { key, ...(held.length ? { waitingFor: [job.heldBy?.key] } : {}) } });
    const outcome: RecordOutcome = { entity, sourceId: id, label, status: held.length ? 'held' : 'queued', key, actions: held };
    run.queued.push(outcome);
    return outcome;
  }

  private async hold(entity: BluEntity, id: string, label: string, actions: string[], waitingFor: string[]): Promise<RecordOutcome> {
    await this.records.put(entity, id, { status: 'held', actions, detail: { waitingFor } });
    return { entity, sourceId: id, label, status: 'held', actions };
  }

  /**
   * The company's `job` event for one of the exporter's jobs: records the QuickBooks id (or the
   * refusal) on the record; returns its outcome, or undefined for other jobs.
   */
  async onJob(job: Job): Promise<RecordOutcome | undefined> {
    const entity = ENTITY_OF_KIND[job.kind];
    if (!entity || job.company !== this.company.id) return undefined;
    const entry = await this.records.get(entity, job.sourceId);
    if (!entry || entry.detail?.key !== job.key) return undefined;
    const label = entry.label ?? job.sourceId;
    const base = { entity, sourceId: job.sourceId, label, key: job.key };
    if (job.state === 'complete') {
      const qbId = String(job.result?.qbId ?? '');
      await this.records.put(entity, job.sourceId, { status: 'exported', qbId, actions: [], error: undefined, attempts: job.attempts });
      return { ...base, status: 'exported', qbId, actions: [] };
    }
    if ((job.state === 'approved' || job.state === 'queued') && job.heldBy) {
      // Waiting on a job in error or skipped: held, with its reason (the needs-action output says so).
      const actions = [`${WHAT[entity]} ${label} is held: ${job.heldBy.reason}`];
      await this.records.put(entity, job.sourceId, { status: 'held', actions, detail: { key: job.key, waitingFor: [job.heldBy.key] } });
      return { ...base, status: 'held', actions };
    }
    if (job.state === 'error' || job.state === 'skipped') {
      const code = job.error?.statusCode ?? job.error?.code;
      const what = `${WHAT[entity].toLowerCase()} ${label}${code !== undefined ? ` (${code})` : ''}: ${job.error?.message ?? 'unknown error'}`;
      const actions = job.state !== 'error' ? []
        : job.retryAt ? [`QuickBooks did not take ${what} It is retried automatically at ${job.retryAt} (approve it to retry now).`]
        : [`QuickBooks refused ${what}. Fix it, then approve the job again.`];
      await this.records.put(entity, job.sourceId, { status: job.state, actions, attempts: job.attempts, ...(job.error ? { error: job.error } : {}) });
      return { ...base, status: job.state, actions };
    }
    return undefined;
  }

  /** The exporter's and importer's jobs (not BlueTrace's, nor the company's own Re-syncs). */
  private async jobs(states?: Job['state'][]): Promise<Job[]> {
    const keys = await this.records.jobKeys();
    const jobs = await this.company.outbox.list(states ? { state: states } : {});
    return jobs.filter((j) => (j.kind.startsWith('import.') && j.key.startsWith(IMPORT_PREFIX)) || keys.has(j.key));
  }

  /** BluBilling's "Review items queued for Import/Export": every job not finished, in sending order. */
  async queue(): Promise<QueueRow[]> {
    return (await this.jobs([...WAITING])).map(queueRow);
  }

  /** "Previous History": every operation, newest first, with the QuickBooks id or the import count. */
  async history(limit?: number): Promise<HistoryRow[]> {
    const jobs = (await this.jobs()).sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.rank - b.rank);
    const rows: HistoryRow[] = [];
    for (const job of limit ? jobs.slice(0, limit) : jobs) {
      let count: number | undefined;
      if (job.kind.startsWith('import.')) {
        const c = (await this.company.log(IMPORT_LOG).get(job.key))?.detail?.count;
        count = typeof c === 'number' ? c : undefined;
      }
      rows.push(historyRow(job, count));
    }
    return rows;
  }

  /** Approves queued jobs (all of the exporter's and importer's when no keys are given); sends what can go. */
  async approve(keys?: string[]): Promise<number> {
    const wanted = keys ?? (await this.jobs(['queued'])).map((j) => j.key);
    const n = await this.company.outbox.approve(wanted);
    if (n) this.company.kick();
    return n;
  }

  /** Skips jobs not sent yet: they are never sent; their records show `skipped`. */
  async skip(keys: string[]): Promise<number> {
    const n = await this.company.outbox.skip(keys);
    for (const key of keys) {
      const job = await this.company.outbox.get(key);
      if (job?.state === 'skipped') await this.onJob(job);
    }
    return n;
  }
}
