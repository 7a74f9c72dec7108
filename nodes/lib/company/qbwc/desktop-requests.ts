/**
 * The qbXML requests QuickBooks Desktop jobs turn into: writes (adds and the invoice update), look-ups
 * after an unknown outcome, the re-read before a retried update, and import pages. Every document is
 * built with the qbXML library (qbxml.ts), never by hand.
 */
import { resolveJobRefs, withJobTag, type Job, type WritePayload, type WriteResult } from '../../jobs';
import { buildQbxml, type BuildOptions, type ListQuery, type QbxmlRequest } from './qbxml';

/** A write job's payload on Desktop: the shared envelope plus the item type of an item.add. */
export interface DesktopWritePayload extends WritePayload {
  /** item.add: ItemNonInventoryAdd (default) or ItemServiceAdd. */
  itemType?: 'NonInventory' | 'Service';
}

/** Longest Memo (InvoiceAdd, ReceivePaymentAdd) and customer Notes QuickBooks Desktop stores. */
const MEMO_MAX = 4095;

/** An invoice update: the previous TxnID and its current EditSequence. */
export interface EditTarget {
  TxnID: string;
  EditSequence: string;
}

/** InvoiceAdd fields → InvoiceMod fields: same header, lines replaced (TxnLineID -1 = new; unlisted lines are deleted). */
function invoiceMod(fields: Record<string, unknown>, edit: EditTarget): Record<string, unknown> {
  const { InvoiceLineAdd, LinkToTxnID: _link, ...header } = fields;
  const mod: Record<string, unknown> = { ...header, TxnID: edit.TxnID, EditSequence: edit.EditSequence };
  if (InvoiceLineAdd !== undefined) {
    const lines = Array.isArray(InvoiceLineAdd) ? InvoiceLineAdd : [InvoiceLineAdd];
    mod.InvoiceLineMod = lines.map((l) => ({ ...(l as Record<string, unknown>), TxnLineID: '-1' }));
  }
  return mod;
}

/**
 * The write request of a job (the add, or the invoice update when `edit` is given). Its `{ jobRef }`
 * placeholders (jobs/refs.ts) are filled from `results`, the complete dependencies' results, e.g. a
 * payment's `AppliedToTxnAdd: [{ TxnID: { jobRef: 'invoice:so-1001' } }]`.
 */
export function writeRequest(
  job: Job,
  results: (key: string) => WriteResult | undefined,
  requestID: string,
  options: { edit?: EditTarget; incomeAccountId?: string; build?: BuildOptions } = {},
): string {
  const payload = job.payload as DesktopWritePayload;
  if (!payload || typeof payload !== 'object' || typeof payload.fields !== 'object' || payload.fields === null) {
    throw new Error(`job "${job.key}" has no payload fields`);
  }
  const fields = resolveJobRefs(payload.fields, results);
  let request: QbxmlRequest;
  switch (job.kind) {
    case 'customer.add':
      // The job's tag in Notes: the look-up after an unknown outcome tells its own customer from one of the same name.
      request = { type: 'CustomerAdd', requestID, data: { ...fields, Notes: withJobTag(fields.Notes, job.key, MEMO_MAX) } as never };
      break;
    case 'item.add': {
      const data = { ...fields };
      if (data.SalesOrPurchase === undefined && data.SalesAndPurchase === undefined && options.incomeAccountId) {
        data.SalesOrPurchase = { AccountRef: { ListID: options.incomeAccountId } };
      }
      const type = payload.itemType === 'Service' ? 'ItemServiceAdd' : 'ItemNonInventoryAdd';
      request = { type, requestID, data: data as never };
      break;
    }
    case 'invoice.upsert': {
      const data = { ...fields, Memo: withJobTag(fields.Memo, job.key, MEMO_MAX) };
      request = options.edit
        ? { type: 'InvoiceMod', requestID, data: invoiceMod(data, options.edit) as never }
        : { type: 'InvoiceAdd', requestID, data: data as never };
      break;
    }
    case 'payment.add':
      request = { type: 'ReceivePaymentAdd', requestID, data: { ...fields, Memo: withJobTag(fields.Memo, job.key, MEMO_MAX) } as never };
      break;
    default:
      throw new Error(`job kind "${job.kind}" is not a write`);
  }
  return buildQbxml(request, options.build);
}

/**
 * The look-up of a write job's record after an unknown outcome (Name for lists, RefNumber for
 * transactions; a payment with the invoices it is applied to). The company then keeps only the record
 * that carries the job's tag (desktop-company.ts), never a look-alike.
 */
export function lookupRequest(job: Job, requestID: string, build?: BuildOptions): string {
  const { lookup } = job.payload as WritePayload;
  if (!lookup || typeof lookup.value !== 'string' || lookup.value === '') throw new Error(`job "${job.key}" has no lookup`);
  switch (job.kind) {
    case 'customer.add':
      return buildQbxml({ type: 'CustomerQuery', requestID, data: { FullName: lookup.value } }, build);
    case 'item.add':
      return buildQbxml({ type: 'ItemQuery', requestID, data: { FullName: lookup.value } }, build);
    case 'invoice.upsert':
      return buildQbxml({ type: 'InvoiceQuery', requestID, data: { RefNumber: lookup.value } }, build);
    case 'payment.add':
      return buildQbxml({ type: 'ReceivePaymentQuery', requestID, data: { RefNumber: lookup.value, IncludeLineItems: true } }, build);
    default:
      throw new Error(`job kind "${job.kind}" has no look-up`);
  }
}

/** Where a taken name is looked for after 3100, in turn: the job's own list, then the lists sharing the name space. */
export type NameStage = 'own' | 'vendor' | 'employee' | 'other';
export const NEXT_NAME_STAGE: Readonly<Record<NameStage, NameStage | undefined>> = { own: 'vendor', vendor: 'employee', employee: 'other', other: undefined };

/** The query of one stage of the name check (FullName: the name the add was refused for, active or not). */
export function nameCheckRequest(job: Job, stage: NameStage, requestID: string, build?: BuildOptions): string {
  if (stage === 'own') return lookupRequest(job, requestID, build);
  const { lookup } = job.payload as WritePayload;
  const type = stage === 'vendor' ? 'VendorQuery' : stage === 'employee' ? 'EmployeeQuery' : 'OtherNameQuery';
  return buildQbxml({ type, requestID, data: { FullName: lookup.value } }, build);
}

/** Reads an invoice again by TxnID (for its current EditSequence). */
export function rereadRequest(txnId: string, requestID: string, build?: BuildOptions): string {
  return buildQbxml({ type: 'InvoiceQuery', requestID, data: { TxnID: txnId } }, build);
}

/** One page request of an import. */
export interface PageQuery {
  kind: 'import.items' | 'import.customers' | 'import.terms' | 'import.accounts' | 'import.invoices';
  /** Inclusive lower bound (DATETIMETYPE, or DATETYPE for the transaction-date filter). */
  from: string;
  /** Inclusive upper bound. */
  to: string;
  dateField: 'modified' | 'txn';
  pageSize: number;
  /** Continue this iterator (omit to start one). */
  iteratorID?: string;
  /** Lists: active records only (ActiveStatus ActiveOnly) instead of All. */
  activeOnly?: boolean;
}

/** Terms and accounts are short lists: one request without an iterator (their queries take none). */
const UNPAGED: Partial<Record<PageQuery['kind'], 'TermsQuery' | 'AccountQuery'>> = { 'import.terms': 'TermsQuery', 'import.accounts': 'AccountQuery' };

export function isPaged(kind: PageQuery['kind']): boolean {
  return UNPAGED[kind] === undefined;
}

/** The request for one page (or the single request of an unpaged list). */
export function pageRequest(q: PageQuery, requestID: string, build?: BuildOptions): string {
  const iter = isPaged(q.kind)
    ? q.iteratorID
      ? { iterator: 'Continue' as const, iteratorID: q.iteratorID }
      : { iterator: 'Start' as const }
    : {};
  if (q.kind === 'import.invoices') {
    const range =
      q.dateField === 'txn'
        ? { TxnDateRangeFilter: { FromTxnDate: q.from.slice(0, 10), ToTxnDate: q.to.slice(0, 10) } }
        : { ModifiedDateRangeFilter: { FromModifiedDate: q.from, ToModifiedDate: q.to } };
    return buildQbxml({ type: 'InvoiceQuery', requestID, ...iter, data: { MaxReturned: q.pageSize, ...range, IncludeLineItems: true } }, build);
  }
  const data: ListQuery = { ActiveStatus: q.activeOnly ? 'ActiveOnly' : 'All', FromModifiedDate: q.from, ToModifiedDate: q.to };
  const unpaged = UNPAGED[q.kind];
  if (unpaged) return buildQbxml({ type: unpaged, requestID, data }, build);
  data.MaxReturned = q.pageSize;
  if (q.kind === 'import.items') return buildQbxml({ type: 'ItemQuery', requestID, ...iter, data }, build);
  return buildQbxml({ type: 'CustomerQuery', requestID, ...iter, data }, build);
}

/** Inclusive bounds of an import: a date alone means the whole day (start, or its last second). */
export function lowerBound(value: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00` : value;
}
export function upperBound(value: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T23:59:59` : value;
}
