/**
 * The company's data: one store per list / transaction type, with the indexes QuickBooks resolves
 * references by (ListID, case-insensitive FullName; TxnID), and the shared state handlers need.
 */
import { formatQbDateTime, IdIssuer } from './clock';
import type { Rec } from './ret-writer';

export type ListKind = 'Customer' | 'Item' | 'Terms' | 'Account' | 'PaymentMethod' | 'SalesTaxCode' | 'Vendor' | 'Employee' | 'OtherName';
export type TxnKind = 'Invoice' | 'ReceivePayment';
export type RecordKind = ListKind | TxnKind;

/** Item records carry their qbXML type in `_type` (ItemService, ItemNonInventory, ItemInventory, …). */
export type ItemType = 'ItemService' | 'ItemNonInventory' | 'ItemInventory' | 'ItemOtherCharge' | 'ItemDiscount';

export interface RefInput {
  ListID?: string;
  FullName?: string;
}

/** A status answer for one request (thrown inside handlers, turned into the `…Rs` attributes). */
export class StatusError extends Error {
  constructor(
    readonly statusCode: number,
    readonly statusMessage: string,
    readonly severity: 'Error' | 'Warn' | 'Info' = 'Error',
  ) {
    super(`${statusCode}: ${statusMessage}`);
  }
}

export class ListStore {
  readonly records: Rec[] = [];
  readonly byId = new Map<string, Rec>();
  readonly byName = new Map<string, Rec>();

  add(rec: Rec): void {
    this.records.push(rec);
    this.byId.set(rec.ListID as string, rec);
    this.byName.set((rec.FullName as string).toLowerCase(), rec);
  }

  /** ListID wins over FullName, as QuickBooks ignores FullName when both are given. */
  find(ref: RefInput): Rec | undefined {
    if (ref.ListID !== undefined) return this.byId.get(ref.ListID);
    if (ref.FullName !== undefined) return this.byName.get(ref.FullName.toLowerCase());
    return undefined;
  }
}

export class TxnStore {
  readonly records: Rec[] = [];
  readonly byId = new Map<string, Rec>();
  add(rec: Rec): void {
    this.records.push(rec);
    this.byId.set(rec.TxnID as string, rec);
  }
}

export class CompanyState {
  readonly customers = new ListStore();
  readonly items = new ListStore();
  readonly terms = new ListStore();
  readonly accounts = new ListStore();
  readonly paymentMethods = new ListStore();
  readonly salesTaxCodes = new ListStore();
  readonly invoices = new TxnStore();
  readonly payments = new TxnStore();
  /** Vendors, employees and other names (VendorQuery, EmployeeQuery, OtherNameQuery by FullName). */
  readonly vendors = new ListStore();
  readonly employees = new ListStore();
  readonly otherNameList = new ListStore();
  /** Lower-cased names of vendors, employees and other names: they share the name space with customers. */
  readonly otherNames = new Set<string>();
  readonly ids = new IdIssuer();
  private txnNumber = 0;
  private nextInvoiceNumber = 1;

  constructor(
    readonly clock: () => Date,
    readonly utcOffsetMinutes: number,
  ) {}

  now(): number {
    return this.clock().getTime();
  }

  list(kind: ListKind): ListStore {
    switch (kind) {
      case 'Customer':
        return this.customers;
      case 'Item':
        return this.items;
      case 'Terms':
        return this.terms;
      case 'Account':
        return this.accounts;
      case 'PaymentMethod':
        return this.paymentMethods;
      case 'SalesTaxCode':
        return this.salesTaxCodes;
      case 'Vendor':
        return this.vendors;
      case 'Employee':
        return this.employees;
      case 'OtherName':
        return this.otherNameList;
    }
  }

  time(ms: number): string {
    return formatQbDateTime(ms, this.utcOffsetMinutes);
  }

  /** Sets ListID/TxnID-independent create stamps on a new record. */
  stampNew(rec: Rec, ms: number): void {
    rec.TimeCreated = this.time(ms);
    rec.TimeModified = rec.TimeCreated;
    rec.EditSequence = this.ids.editSequence(ms);
    rec._created = ms;
    rec._modified = ms;
  }

  /** A change: new TimeModified and EditSequence. */
  touch(rec: Rec, ms = this.now()): void {
    rec.TimeModified = this.time(ms);
    rec.EditSequence = this.ids.editSequence(ms, rec.EditSequence as string | undefined);
    rec._modified = ms;
  }

  nextTxnNumber(): number {
    return ++this.txnNumber;
  }

  /** QuickBooks numbers invoices itself when RefNumber is left out. */
  nextRefNumber(): string {
    const used = new Set(this.invoices.records.map((r) => r.RefNumber as string));
    while (used.has(String(this.nextInvoiceNumber))) this.nextInvoiceNumber++;
    return String(this.nextInvoiceNumber++);
  }
}

/** `{ListID, FullName}` of a list record, as QuickBooks writes references. */
export function refTo(rec: Rec): { ListID: string; FullName: string } {
  return { ListID: rec.ListID as string, FullName: rec.FullName as string };
}
