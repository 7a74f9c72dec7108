import type { Company } from '../company/types';
import { RequestError, wholeNumberParam } from '../errors';
import { type Job, RANK, type WritePayload, type WriteResult } from '../jobs';
import { resolveOrder, type InvoiceAction, type PackedOrder } from '../invoicing/resolve';
import type { LogEntry } from '../log';
import { ruleOrDefault, type Rule } from '../rules';
import { schemas } from '../schemas';

/** Where an order stands in the invoice log (BlueTrace's Invoices tab). */
export const INVOICE_STATUSES = ['needs-action', 'queued', 'created', 'updated', 'error', 'disabled'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

/** The most log entries one answer holds. */
export const MAX_LOG_LIMIT = 1000;

/**
 * The invoice log's filter from a message or a query string: `status` one of the statuses (or a
 * comma-separated list), `limit` a whole number 1–1,000; anything else is a RequestError (HTTP 400).
 */
export function parseLogFilter(raw: unknown): { status?: InvoiceStatus[]; limit: number } {
  const q = (raw && typeof raw === 'object' && !Array.isArray(raw) ? raw : {}) as { status?: unknown; limit?: unknown };
  const filter: { status?: InvoiceStatus[]; limit: number } = { limit: MAX_LOG_LIMIT };
  if (q.status !== undefined && q.status !== '') {
    const list = typeof q.status === 'string' ? q.status.split(',').map((x) => x.trim()) : undefined;
    if (!list || !list.every((x): x is InvoiceStatus => (INVOICE_STATUSES as readonly string[]).includes(x))) {
      throw new RequestError(`status must be one of ${INVOICE_STATUSES.join(', ')} (or several, separated by commas)`);
    }
    filter.status = list;
  }
  const limit = wholeNumberParam(q.limit, 'limit', MAX_LOG_LIMIT);
  if (limit !== undefined) filter.limit = limit;
  return filter;
}

export interface InvoiceOutcome {
  orderId: string;
  orderNumber: string;
  status: InvoiceStatus;
  qbId?: string;
  actions: string[];
  /** The order repeats one already sent unchanged: nothing new was queued. */
  unchanged?: boolean;
  /** The order was closed: its invoice is final, later changes are not applied. */
  closed?: boolean;
}

const LOG_KIND = 'invoice';

function jobKey(orderId: string): string {
  return `invoice:${orderId}`;
}

/**
 * The invoice creator without Node-RED: a packed order becomes exactly one QuickBooks invoice, ever.
 * Its customer and items resolve through the persisted matches; the mapping is the edition's invoice
 * rule (or an admin's edit). Unresolved orders are logged as needs-action with one action per problem
 * and retried by themselves when matches change.
 */
export class InvoiceHandler {
  readonly rule: Rule;

  constructor(
    readonly company: Company,
    options: { rule?: string } = {},
  ) {
    this.rule = ruleOrDefault(company.rules.invoice, options.rule);
  }

  private get log() {
    return this.company.log(LOG_KIND);
  }

  /** Handles one packed order (validated first); returns where it stands now. */
  async handle(payload: unknown): Promise<InvoiceOutcome> {
    const order = schemas().validate<PackedOrder>('bluetrace-packed-order', payload);
    const orderId = String(order.id);
    const orderNumber = String(order.orderNumber);
    const base = { orderId, orderNumber };
    const previous = await this.log.get(orderId);
    if (previous?.detail?.closed === true) {
      // BlueTrace keeps an invoice current until its order is closed; after that it is final.
      return { ...base, status: previous.status as InvoiceStatus, qbId: previous.qbId, actions: previous.actions, unchanged: true, closed: true };
    }
    if (!this.company.settings.invoiceCreation) {
      await this.log.put(orderId, { status: 'disabled', label: orderNumber, actions: ['Invoice creation is turned off in the connection\'s General settings'], source: order });
      return { ...base, status: 'disabled', actions: ['Invoice creation is turned off in the connection\'s General settings'] };
    }
    const resolved = await resolveOrder(order, {
      customers: this.company.matches('customer'), items: this.company.matches('item'), mirror: this.company.mirror, settings: this.company.settings,
    });
    if (!resolved.input) return this.needsAction(order, resolved.actions);

    const fields = (await this.rule.evaluate(resolved.input)) as Record<string, unknown>;
    if (!fields || typeof fields !== 'object' || Array.isArray(fields)) {
      throw new Error(`Rule "${this.rule.name}" must give an invoice object, but gave ${Array.isArray(fields) ? 'an array' : typeof fields}`);
    }
    const lookupField = this.company.edition === 'qbo' ? 'DocNumber' : 'RefNumber';
    const payloadOut: WritePayload = { entity: 'Invoice', fields, lookup: { field: lookupField, value: String(fields[lookupField] ?? orderNumber) } };
    const { job, created, changed } = await this.company.outbox.enqueue({
      key: jobKey(orderId), kind: 'invoice.upsert', rank: RANK['invoice.upsert'], sourceId: orderId, payload: payloadOut,
      summary: `Invoice ${orderNumber} for ${resolved.input.customer.name}`, reopenOnChange: true,
    });
    const closed = order.status === 'closed';
    if (closed) await this.log.put(orderId, { label: orderNumber, detail: { ...(previous?.detail ?? {}), closed: true } });
    if (!created && !changed) {
      const entry = closed ? await this.log.get(orderId) : previous; // nothing else wrote the entry meanwhile
      return { ...base, status: (entry?.status as InvoiceStatus) ?? 'queued', qbId: entry?.qbId, actions: entry?.actions ?? [], unchanged: true, ...(closed ? { closed } : {}) };
    }
    // Another instance may have sent this job version already and logged it: "queued" never hides that.
    const entry = await this.log.put(orderId, { status: 'queued', label: orderNumber, actions: [], source: order, attempts: job.attempts, jobVersion: job.version }, {}, { ifOlderThan: job.version });
    this.company.kick();
    const status = (entry.status as InvoiceStatus) ?? 'queued';
    return { ...base, status, qbId: status === 'queued' ? (job.result as WriteResult | undefined)?.qbId : entry.qbId, actions: entry.actions ?? [], ...(closed ? { closed } : {}) };
  }

  private async needsAction(order: PackedOrder, actions: InvoiceAction[]): Promise<InvoiceOutcome> {
    const orderId = String(order.id);
    const messages = actions.map((a) => a.message);
    await this.log.put(orderId, { status: 'needs-action', label: String(order.orderNumber), actions: messages, source: order, detail: { waitingFor: actions.map((a) => `${a.kind}:${a.appId}`) } });
    return { orderId, orderNumber: String(order.orderNumber), status: 'needs-action', actions: messages };
  }

  /**
   * Records a finished invoice job in the log; returns the outcome to emit, or undefined for other jobs.
   */
  async onJob(job: Job): Promise<InvoiceOutcome | undefined> {
    if (job.kind !== 'invoice.upsert' || job.company !== this.company.id) return undefined;
    const orderId = job.sourceId;
    const entry = await this.log.get(orderId);
    const orderNumber = entry?.label ?? orderId;
    if (job.state === 'complete') {
      const result = job.result as unknown as WriteResult;
      const status: InvoiceStatus = result.updated ? 'updated' : 'created';
      await this.log.put(orderId, { status, qbId: result.qbId, actions: [], attempts: job.attempts, error: undefined, jobVersion: job.version });
      return { orderId, orderNumber, status, qbId: result.qbId, actions: [] };
    }
    if (job.state === 'error') {
      const code = job.error?.statusCode ?? job.error?.code;
      const action = job.retryAt
        ? `QuickBooks did not take invoice ${orderNumber}${code !== undefined ? ` (${code})` : ''}: ${job.error?.message ?? 'unknown error'} It is retried automatically at ${job.retryAt}.`
        : `QuickBooks refused invoice ${orderNumber}${code !== undefined ? ` (${code})` : ''}: ${job.error?.message ?? 'unknown error'}`;
      await this.log.put(orderId, { status: 'needs-action', actions: [action], attempts: job.attempts, error: job.error, jobVersion: job.version });
      return { orderId, orderNumber, status: 'needs-action', actions: [action] };
    }
    return undefined;
  }

  /**
   * Brings "queued" log entries up to their job's end (complete or error) when the instance that ended
   * the job stopped before it logged it (a crash between QuickBooks' answer and the log write). Run when
   * the handler starts; returns the outcomes recorded.
   */
  async reconcile(): Promise<InvoiceOutcome[]> {
    const queued = await this.log.list({ status: 'queued' });
    const out: InvoiceOutcome[] = [];
    for (const entry of queued) {
      const job = await this.company.outbox.get(jobKey(entry.sourceId));
      if (!job || (job.state !== 'complete' && job.state !== 'error') || (entry.jobVersion ?? 0) > job.version) continue;
      const outcome = await this.onJob(job);
      if (outcome) out.push(outcome);
    }
    return out;
  }

  /** Retries every needs-action order waiting for one of these app records (matches changed). */
  async retryWaiting(kind: 'item' | 'customer', appIds: string[]): Promise<InvoiceOutcome[]> {
    const wanted = new Set(appIds.map((id) => `${kind}:${id}`));
    const waiting = await this.log.list({ status: 'needs-action', withSource: true });
    const out: InvoiceOutcome[] = [];
    for (const entry of waiting) {
      const deps = (entry.detail?.waitingFor as string[] | undefined) ?? [];
      if (!entry.source || !deps.some((d) => wanted.has(d))) continue;
      out.push(await this.handle(entry.source));
    }
    return out;
  }

  /** The invoice log (BlueTrace's Invoices tab): status, QuickBooks id, actions, attempts. */
  async list(filter: { status?: string | string[]; limit?: number } = {}): Promise<LogEntry[]> {
    return this.log.list(filter);
  }
}
