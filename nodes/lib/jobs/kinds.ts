/**
 * The job kinds both editions execute, and the envelope of a write job's payload. Handlers (matchers,
 * invoice creator, exporter, importer) build jobs; each edition's company sends them its own way
 * (QuickBooks Online: REST now; QuickBooks Desktop: qbXML in the next Web Connector session).
 */
export type WriteKind = 'customer.add' | 'item.add' | 'invoice.upsert' | 'payment.add';
export type ImportKind = 'import.items' | 'import.customers' | 'import.invoices' | 'import.terms' | 'import.accounts';
export type JobKind = WriteKind | ImportKind;

/** Dependency order: imports, then lists, then invoices, then payments. */
export const RANK: Readonly<Record<JobKind, number>> = Object.freeze({
  'import.terms': 0, 'import.accounts': 0, 'import.items': 0, 'import.customers': 0, 'import.invoices': 1,
  'customer.add': 2, 'item.add': 2, 'invoice.upsert': 3, 'payment.add': 4,
});

/** The QuickBooks entity a write job touches. */
export type WriteEntity = 'Customer' | 'Item' | 'Invoice' | 'Payment';

/**
 * A write job's payload. `fields` is in the edition's own shape (QBO JSON entity, or qbXML Add fields
 * in qbXML names). `lookup` is how to find the record in QuickBooks after an unknown outcome before
 * adding it again (Name for lists, DocNumber/RefNumber for transactions).
 */
export interface WritePayload {
  entity: WriteEntity;
  fields: Record<string, unknown>;
  lookup: { field: 'Name' | 'DisplayName' | 'DocNumber' | 'RefNumber'; value: string };
  /** For item.add / customer.add: the app record and kind to mark matched (or duplicate-name) after. */
  match?: { kind: 'item' | 'customer'; appId: string };
  /** Values cut to QuickBooks' length (shown on the job: its history and the queue). */
  cut?: FieldCut[];
}

/** A value cut to the length QuickBooks keeps, e.g. RefNumber "INV-2026-000123" → "2026-000123" (11). */
export interface FieldCut {
  field: string;
  from: string;
  to: string;
  max: number;
}

/** An import job's payload: a date range over one list or transaction type. */
export interface ImportPayload {
  /** Inclusive ISO dates (YYYY-MM-DD) or date-times. */
  from: string;
  to: string;
  /** Transactions: filter by modification time (default) or by transaction date. */
  dateField?: 'modified' | 'txn';
  /** Page size (QuickBooks Desktop MaxReturned; default 500). */
  pageSize?: number;
  /** Items and customers: active records only (BluBilling's "active customers"); default both. */
  activeOnly?: boolean;
}

/** The result a complete write job keeps. */
export interface WriteResult {
  qbId: string;
  /** QBO SyncToken or QBD EditSequence, for a later update. */
  version?: string;
  /** DocNumber / RefNumber / Name as QuickBooks stored it. */
  ref?: string;
  /** The job was found already in QuickBooks after an unknown outcome, not added again. */
  foundExisting?: boolean;
  /**
   * QuickBooks refused the add because the name was taken (3100 / 6240) by an active record of the same
   * kind that no other job owns: that record is referenced (and remembered as the match) instead.
   */
  matchedExisting?: boolean;
  updated?: boolean;
}
