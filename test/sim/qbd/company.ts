/**
 * An in-memory QuickBooks Desktop company that answers qbXML request documents the way QuickBooks'
 * request processor does (qbwc.md §3, qbwc-wire-examples.md §B). See README.md in this folder.
 */
import { defaultSeed, seedListRecords, type SeedData } from './seed';
import { IteratorRegistry, QUERIES, runQuery } from './queries';
import { validateOrder, SUPPORTED_REQUESTS } from './request-schema';
import { writeRs, writeResponse, type Rec, type RsParts } from './ret-writer';
import { CompanyState, StatusError, type ItemType, type RecordKind } from './store';
import { customerAdd, invoiceAdd, invoiceMod, itemAdd, receivePaymentAdd } from './writes';
import { QbdRequestError, readRequest, type XNode } from './xml-request';

export { QbdRequestError, PARSE_ERROR_HRESULT, PARSE_ERROR_MESSAGE } from './xml-request';
export type { SeedData } from './seed';
export type { RecordKind, ItemType } from './store';

/** What the Web Connector simulator drives (same shape as test/sim/qbwc/request-processor.ts). */
export interface RequestProcessor {
  processRequest(qbxml: string, ticket?: string): string;
}

export interface QbdCompanyOptions {
  /** Full path of the company file (what authenticate returns / HostQuery reports). */
  companyFile?: string;
  companyName?: string;
  /** Records to start with; the standard accounts, terms, payment methods and tax codes are added unless `defaults: false`. */
  seed?: SeedData;
  /** The company's clock (default: real time). */
  clock?: () => Date;
  /** UTC offset of the QuickBooks machine, in minutes (default -300, i.e. -05:00 as in the wire examples). */
  utcOffsetMinutes?: number;
  /** Iterators older than this are invalid (3391). Default: they live for the whole session. */
  iteratorTtlMs?: number;
  /** SupportedQBXMLVersion values in HostQuery (default 1.0 … 16.0). */
  supportedVersions?: string[];
}

/** A forced answer for the next request of a type. */
export interface InjectedStatus {
  statusCode: number;
  statusSeverity?: 'Info' | 'Warn' | 'Error';
  statusMessage?: string;
}

const DEFAULT_MESSAGES: Record<number, string> = {
  1: 'A query request did not find a matching object in QuickBooks',
  500: 'The query request has not been fully completed. There was a required element ("") that could not be found in QuickBooks.',
  3100: 'The name "" of the list element is already in use.',
  3140: 'There is an invalid reference to QuickBooks object "" in the request.',
  3170: 'There was an error when modifying the record.',
  3175: 'There was an error when saving the record. The record is in use by another user.',
  3176: 'There was an error when saving the record. The record is in use by another user.',
  3180: 'There was an error when saving the record. The list has been modified by another user.',
  3200: 'The provided edit sequence "" is out-of-date.',
  3391: 'The iteratorID "" is not valid.',
};

function severityOf(code: number): 'Info' | 'Warn' | 'Error' {
  if (code === 0 || code === 1) return 'Info';
  if (code >= 500 && code < 1000) return 'Warn';
  return 'Error';
}

const KIND_STORE: Record<RecordKind, (s: CompanyState) => { records: Rec[]; byId: Map<string, Rec>; byName?: Map<string, Rec> }> = {
  Customer: (s) => s.customers,
  Item: (s) => s.items,
  Terms: (s) => s.terms,
  Account: (s) => s.accounts,
  PaymentMethod: (s) => s.paymentMethods,
  SalesTaxCode: (s) => s.salesTaxCodes,
  Vendor: (s) => s.vendors,
  Employee: (s) => s.employees,
  OtherName: (s) => s.otherNameList,
  Invoice: (s) => s.invoices,
  ReceivePayment: (s) => s.payments,
};

function publicCopy(rec: Rec): Rec {
  const out: Rec = {};
  for (const [k, v] of Object.entries(rec)) {
    if (k === '_created' || k === '_modified' || k === '_kind') continue;
    out[k] = v === null || typeof v !== 'object' ? v : structuredClone(v);
  }
  return out;
}

export class QbdCompany implements RequestProcessor {
  readonly companyFile: string;
  readonly companyName: string;
  private readonly state: CompanyState;
  private readonly iterators: IteratorRegistry;
  private readonly supportedVersions: string[];
  private sessionTicket: string | undefined;
  private readonly injected = new Map<string, InjectedStatus[]>();
  private readonly injectedFailures: { hresult: string; message: string }[] = [];
  /** Every request document received (for assertions). */
  readonly received: string[] = [];

  constructor(options: QbdCompanyOptions = {}) {
    this.companyFile = options.companyFile ?? 'C:\\Users\\Public\\Documents\\Intuit\\QuickBooks\\Company Files\\Acme Tools.QBW';
    this.companyName = options.companyName ?? 'Acme Tools & Supply';
    this.state = new CompanyState(options.clock ?? (() => new Date()), options.utcOffsetMinutes ?? -300);
    this.iterators = new IteratorRegistry(options.iteratorTtlMs);
    this.supportedVersions = options.supportedVersions ?? Array.from({ length: 16 }, (_, i) => `${i + 1}.0`);
    const seed = options.seed ?? {};
    if (seed.defaults !== false) seedListRecords(this.state, defaultSeed());
    seedListRecords(this.state, seed);
  }

  // ---------------------------------------------------------------- the request processor

  /**
   * Answers one qbXML request document. `ticket` identifies the Web Connector session: a different
   * ticket means the previous QuickBooks session ended, so its iterators are gone. Throws
   * QbdRequestError (hresult 0x80040400) for documents QuickBooks could not parse.
   */
  processRequest(qbxml: string, ticket?: string): string {
    this.received.push(qbxml);
    const failure = this.injectedFailures.shift();
    if (failure) throw new QbdRequestError('injected failure', failure.hresult, failure.message);
    if (ticket !== this.sessionTicket) {
      this.iterators.clear();
      this.sessionTicket = ticket;
    }
    const doc = readRequest(qbxml);
    for (const rq of doc.requests) {
      if (!SUPPORTED_REQUESTS.has(rq.name)) throw new QbdRequestError(`<${rq.name}> is not a request this company knows`);
      validateOrder(rq);
    }
    const out: string[] = [];
    for (const rq of doc.requests) {
      const rs = this.answer(rq, ticket);
      out.push(writeRs(rs));
      if (rs.statusSeverity === 'Error' && doc.onError !== 'continueOnError') break;
    }
    return writeResponse(out);
  }

  private answer(rq: XNode, ticket: string | undefined): RsParts {
    const requestID = rq.attrs.requestID;
    const rsName = rq.name.replace(/Rq$/, 'Rs');
    const base = requestID === undefined ? {} : { requestID };
    const forced = this.takeInjected(rq.name);
    if (forced) {
      return {
        ...base,
        name: rsName,
        statusCode: forced.statusCode,
        statusSeverity: forced.statusSeverity ?? severityOf(forced.statusCode),
        statusMessage: forced.statusMessage ?? DEFAULT_MESSAGES[forced.statusCode] ?? `Injected status ${forced.statusCode}`,
      };
    }
    try {
      return { ...base, ...this.dispatch(rq, ticket) };
    } catch (err) {
      if (err instanceof StatusError) {
        return { ...base, name: rsName, statusCode: err.statusCode, statusSeverity: err.severity, statusMessage: err.statusMessage };
      }
      throw err;
    }
  }

  private dispatch(rq: XNode, ticket: string | undefined): Omit<RsParts, 'requestID'> {
    if (QUERIES[rq.name]) return runQuery({ state: this.state, iterators: this.iterators, ticket }, rq);
    switch (rq.name) {
      case 'HostQueryRq':
        return this.hostQuery();
      case 'CompanyQueryRq':
        return this.companyQuery();
      case 'PreferencesQueryRq':
        return {
          name: 'PreferencesQueryRs',
          statusCode: 0,
          statusSeverity: 'Info',
          statusMessage: 'Status OK',
          body: ['<PreferencesRet>\n<PurchasesAndVendorsPreferences>\n<IsUsingInventory>true</IsUsingInventory>\n</PurchasesAndVendorsPreferences>\n</PreferencesRet>'],
        };
      case 'CustomerAddRq':
        return customerAdd(this.state, rq);
      case 'ItemServiceAddRq':
        return itemAdd(this.state, rq, 'ItemService');
      case 'ItemNonInventoryAddRq':
        return itemAdd(this.state, rq, 'ItemNonInventory');
      case 'InvoiceAddRq':
        return invoiceAdd(this.state, rq);
      case 'InvoiceModRq':
        return invoiceMod(this.state, rq);
      case 'ReceivePaymentAddRq':
        return receivePaymentAdd(this.state, rq);
      default:
        throw new QbdRequestError(`<${rq.name}> is not simulated`);
    }
  }

  private hostQuery(): Omit<RsParts, 'requestID'> {
    const versions = this.supportedVersions.map((v) => `<SupportedQBXMLVersion>${v}</SupportedQBXMLVersion>`).join('');
    return {
      name: 'HostQueryRs',
      statusCode: 0,
      statusSeverity: 'Info',
      statusMessage: 'Status OK',
      body: [
        `<HostRet><ProductName>QuickBooks Enterprise Solutions: Wholesale 23.0</ProductName><MajorVersion>33</MajorVersion><MinorVersion>0</MinorVersion><Country>US</Country>${versions}<IsAutomaticLogin>false</IsAutomaticLogin><QBFileMode>SingleUser</QBFileMode></HostRet>`,
      ],
    };
  }

  private companyQuery(): Omit<RsParts, 'requestID'> {
    const name = this.companyName.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    return {
      name: 'CompanyQueryRs',
      statusCode: 0,
      statusSeverity: 'Info',
      statusMessage: 'Status OK',
      body: [`<CompanyRet><IsSampleCompany>false</IsSampleCompany><CompanyName>${name}</CompanyName></CompanyRet>`],
    };
  }

  // ---------------------------------------------------------------- sessions

  /** The QuickBooks session of the current ticket ends (closeConnection): its iterators are gone. */
  endSession(): void {
    this.iterators.clear();
    this.sessionTicket = undefined;
  }

  /** QuickBooks is closed and reopened: data stays, every iterator is gone. */
  restart(): void {
    this.endSession();
  }

  /** Number of iterators currently alive. */
  get liveIterators(): number {
    return this.iterators.size;
  }

  // ---------------------------------------------------------------- fault injection

  /**
   * The next request of `requestType` (e.g. `CustomerAdd` or `CustomerAddRq`) answers with this status
   * instead of being processed (nothing changes). Repeat the call to queue several.
   */
  injectStatus(requestType: string, status: number | InjectedStatus): void {
    const key = requestType.endsWith('Rq') ? requestType : `${requestType}Rq`;
    const list = this.injected.get(key) ?? [];
    list.push(typeof status === 'number' ? { statusCode: status } : status);
    this.injected.set(key, list);
  }

  /** The next processRequest call throws as a failing request processor would (default 0x80040400). */
  injectFailure(hresult = '0x80040400', message = 'QuickBooks found an error when parsing the provided XML text stream.'): void {
    this.injectedFailures.push({ hresult, message });
  }

  private takeInjected(rqName: string): InjectedStatus | undefined {
    const list = this.injected.get(rqName);
    const next = list?.shift();
    if (list && list.length === 0) this.injected.delete(rqName);
    return next;
  }

  // ---------------------------------------------------------------- accessors for assertions

  /** Number of records of a kind. */
  count(kind: RecordKind): number {
    return KIND_STORE[kind](this.state).records.length;
  }

  /** Copies of every record of a kind, in creation order (items carry their type in `_type`). */
  all(kind: RecordKind): Rec[] {
    return KIND_STORE[kind](this.state).records.map(publicCopy);
  }

  /** Copy of one record by ListID / TxnID, or by (case-insensitive) FullName for lists. */
  get(kind: RecordKind, idOrName: string): Rec | undefined {
    const store = KIND_STORE[kind](this.state);
    const rec = store.byId.get(idOrName) ?? store.byName?.get(idOrName.toLowerCase());
    return rec ? publicCopy(rec) : undefined;
  }

  // ---------------------------------------------------------------- seeding

  /** Adds records directly (no request, no validation beyond uniqueness); see SeedData. */
  seed(data: SeedData): void {
    seedListRecords(this.state, data);
  }

  /**
   * Adds `n` customers cheaply: `${prefix} ${i}` (i from `start`), e-mail `c${i}@example.com`,
   * TimeModified from `modifiedFrom` (default: now) stepping by `stepSeconds` (default 1);
   * every `inactiveEvery`-th customer is inactive. Returns the first and last ListID.
   */
  seedCustomers(
    n: number,
    opts: { prefix?: string; start?: number; modifiedFrom?: Date; stepSeconds?: number; inactiveEvery?: number } = {},
  ): { first?: string; last?: string } {
    const prefix = opts.prefix ?? 'Customer';
    const start = opts.start ?? 0;
    const from = (opts.modifiedFrom ?? this.state.clock()).getTime();
    const step = (opts.stepSeconds ?? 1) * 1000;
    let first: string | undefined;
    let last: string | undefined;
    for (let k = 0; k < n; k++) {
      const i = start + k;
      const ms = from + k * step;
      const name = `${prefix} ${i}`;
      if (this.state.customers.byName.has(name.toLowerCase())) throw new Error(`seedCustomers: "${name}" exists`);
      const rec: Rec = {
        _kind: 'Customer',
        ListID: this.state.ids.listId(ms),
        Name: name,
        FullName: name,
        IsActive: !(opts.inactiveEvery && (k + 1) % opts.inactiveEvery === 0),
        Sublevel: 0,
        Email: `c${i}@example.com`,
        Balance: 0,
        TotalBalance: 0,
        JobStatus: 'None',
      };
      this.state.stampNew(rec, ms);
      this.state.customers.add(rec);
      first ??= rec.ListID as string;
      last = rec.ListID as string;
    }
    return { first, last };
  }

  /** Adds `n` service items `${prefix} ${i}` priced `price` (default 10) on "Service Income". */
  seedItems(n: number, opts: { prefix?: string; start?: number; price?: number; type?: ItemType } = {}): void {
    const items = [];
    for (let k = 0; k < n; k++) {
      items.push({ type: opts.type ?? 'ItemService', Name: `${opts.prefix ?? 'Item'} ${(opts.start ?? 0) + k}`, Price: opts.price ?? 10 });
    }
    seedListRecords(this.state, { items });
  }

  /** Moves the TimeModified of a record (for date-range tests); EditSequence changes too. */
  setTimeModified(kind: RecordKind, id: string, when: Date | string): void {
    const store = KIND_STORE[kind](this.state);
    const rec = store.byId.get(id);
    if (!rec) throw new Error(`no ${kind} ${id}`);
    this.state.touch(rec, typeof when === 'string' ? Date.parse(when) : when.getTime());
  }
}
