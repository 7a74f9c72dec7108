/**
 * Query requests (CustomerQuery, ItemQuery, TermsQuery, AccountQuery, InvoiceQuery, ReceivePaymentQuery)
 * with QuickBooks' filters and iterators.
 *
 * - ListID / FullName / TxnID selectors: records in the order asked for; any that do not exist → 500 Warn
 *   (the others are still returned). RefNumber selectors: 1 Info when none match.
 * - Filter set: ActiveStatus (default ActiveOnly), From/ToModifiedDate (inclusive, offsets honoured,
 *   no offset = company zone), NameFilter / NameRangeFilter, ModifiedDateRangeFilter, TxnDateRangeFilter
 *   (inclusive), EntityFilter, AccountFilter, RefNumberFilter / RefNumberRangeFilter, PaidStatus.
 *   Nothing matching → statusCode 1, Info. Results in creation order.
 * - iterator="Start" + MaxReturned → iteratorID + iteratorRemainingCount; "Continue" pages on;
 *   an iterator belongs to the ticket (session) that started it and is gone after that session, a
 *   restart, its last page, or its time to live → 3391.
 */
import { randomUUID } from 'node:crypto';
import { isQbDate, parseQbDateTime } from './clock';
import { writeRet, type Rec, type RsParts } from './ret-writer';
import { StatusError, type CompanyState, type ListStore, type RecordKind } from './store';
import { child, childText, childTexts, QbdRequestError, type XNode } from './xml-request';

export const NO_MATCH = 'A query request did not find a matching object in QuickBooks';

interface IteratorState {
  id: string;
  ticket: string | undefined;
  request: string;
  kind: RecordKind;
  ids: string[];
  pos: number;
  pageSize: number;
  startedMs: number;
}

export class IteratorRegistry {
  private readonly live = new Map<string, IteratorState>();

  constructor(private readonly ttlMs: number | undefined) {}

  start(state: Omit<IteratorState, 'id'>): IteratorState {
    const it = { ...state, id: `{${randomUUID()}}` };
    this.live.set(it.id, it);
    return it;
  }

  get(id: string, ticket: string | undefined, request: string, nowMs: number): IteratorState | undefined {
    const it = this.live.get(id);
    if (!it) return undefined;
    const expired = this.ttlMs !== undefined && nowMs - it.startedMs > this.ttlMs;
    if (expired || it.ticket !== ticket || it.request !== request) {
      if (expired) this.live.delete(id);
      return undefined;
    }
    return it;
  }

  delete(id: string): void {
    this.live.delete(id);
  }

  /** Drops every iterator (QuickBooks session ended / company reopened). */
  clear(): void {
    this.live.clear();
  }

  get size(): number {
    return this.live.size;
  }
}

interface QuerySpec {
  kind: RecordKind;
  retName: (rec: Rec) => string;
  source: (s: CompanyState) => { records: Rec[]; byId: Map<string, Rec>; byName?: Map<string, Rec> };
  isList: boolean;
}

export const QUERIES: Record<string, QuerySpec> = {
  CustomerQueryRq: { kind: 'Customer', retName: () => 'CustomerRet', source: (s) => s.customers, isList: true },
  ItemQueryRq: { kind: 'Item', retName: (r) => `${r._type as string}Ret`, source: (s) => s.items, isList: true },
  VendorQueryRq: { kind: 'Vendor', retName: () => 'VendorRet', source: (s) => s.vendors, isList: true },
  EmployeeQueryRq: { kind: 'Employee', retName: () => 'EmployeeRet', source: (s) => s.employees, isList: true },
  OtherNameQueryRq: { kind: 'OtherName', retName: () => 'OtherNameRet', source: (s) => s.otherNameList, isList: true },
  TermsQueryRq: { kind: 'Terms', retName: () => 'StandardTermsRet', source: (s) => s.terms, isList: true },
  AccountQueryRq: { kind: 'Account', retName: () => 'AccountRet', source: (s) => s.accounts, isList: true },
  InvoiceQueryRq: { kind: 'Invoice', retName: () => 'InvoiceRet', source: (s) => s.invoices, isList: false },
  ReceivePaymentQueryRq: { kind: 'ReceivePayment', retName: () => 'ReceivePaymentRet', source: (s) => s.payments, isList: false },
};

function parseDateTime(node: XNode, name: string, offset: number, endOfDay: boolean): number | undefined {
  const text = childText(node, name);
  if (text === undefined) return undefined;
  const ms = parseQbDateTime(text, offset, endOfDay);
  if (ms === null) throw new QbdRequestError(`${name}: "${text}" is not a DATETIMETYPE value`);
  return ms;
}

function parseDate(node: XNode, name: string): string | undefined {
  const text = childText(node, name);
  if (text === undefined) return undefined;
  if (!isQbDate(text.trim())) throw new QbdRequestError(`${name}: "${text}" is not a DATETYPE value`);
  return text.trim();
}

function parseMax(rq: XNode): number | undefined {
  const text = childText(rq, 'MaxReturned');
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim())) throw new QbdRequestError(`MaxReturned: "${text}" is not an integer`);
  return Number(text);
}

function matchText(value: string, criterion: string, needle: string): boolean {
  const v = value.toLowerCase();
  const n = needle.toLowerCase();
  if (criterion === 'StartsWith') return v.startsWith(n);
  if (criterion === 'Contains') return v.includes(n);
  if (criterion === 'EndsWith') return v.endsWith(n);
  throw new QbdRequestError(`MatchCriterion "${criterion}" is not StartsWith, Contains or EndsWith`);
}

function refMatches(ref: unknown, node: XNode, customers: ListStore | null): boolean {
  const r = ref as { ListID?: string; FullName?: string } | undefined;
  if (!r) return false;
  const ids = childTexts(node, 'ListID');
  const names = childTexts(node, 'FullName').map((n) => n.toLowerCase());
  if (ids.includes(r.ListID as string)) return true;
  if (names.includes((r.FullName ?? '').toLowerCase())) return true;
  const withChildrenId = childText(node, 'ListIDWithChildren');
  const withChildrenName = childText(node, 'FullNameWithChildren');
  let parentName: string | undefined = withChildrenName?.toLowerCase();
  if (withChildrenId !== undefined && customers) parentName = (customers.byId.get(withChildrenId)?.FullName as string | undefined)?.toLowerCase();
  if (parentName !== undefined) {
    const full = (r.FullName ?? '').toLowerCase();
    return full === parentName || full.startsWith(`${parentName}:`);
  }
  return false;
}

/** Records matching the filter set (no selectors), in creation order. */
function filterRecords(state: CompanyState, spec: QuerySpec, rq: XNode): Rec[] {
  const off = state.utcOffsetMinutes;
  const { records } = spec.source(state);
  const tests: ((r: Rec) => boolean)[] = [];
  /** FromModifiedDate / ToModifiedDate under `node`, inclusive, in the company's time zone. */
  const modifiedBetween = (node: XNode) => {
    const from = parseDateTime(node, 'FromModifiedDate', off, false);
    const to = parseDateTime(node, 'ToModifiedDate', off, true);
    if (from !== undefined) tests.push((r) => (r._modified as number) >= from);
    if (to !== undefined) tests.push((r) => (r._modified as number) <= to);
  };
  if (spec.isList) {
    const active = childText(rq, 'ActiveStatus') ?? 'ActiveOnly';
    if (active === 'ActiveOnly') tests.push((r) => r.IsActive === true);
    else if (active === 'InactiveOnly') tests.push((r) => r.IsActive === false);
    else if (active !== 'All') throw new QbdRequestError(`ActiveStatus "${active}" is not ActiveOnly, InactiveOnly or All`);
    modifiedBetween(rq);
    const nf = child(rq, 'NameFilter');
    if (nf) {
      const crit = childText(nf, 'MatchCriterion') as string;
      const name = childText(nf, 'Name') as string;
      tests.push((r) => matchText(r.FullName as string, crit, name));
    }
    const nr = child(rq, 'NameRangeFilter');
    if (nr) {
      const fromName = childText(nr, 'FromName')?.toLowerCase();
      const toName = childText(nr, 'ToName')?.toLowerCase();
      tests.push((r) => {
        const n = (r.FullName as string).toLowerCase();
        return (fromName === undefined || n >= fromName) && (toName === undefined || n <= toName);
      });
    }
    const accountType = childText(rq, 'AccountType');
    if (accountType !== undefined) tests.push((r) => r.AccountType === accountType);
  } else {
    const mr = child(rq, 'ModifiedDateRangeFilter');
    if (mr) modifiedBetween(mr);
    const tr = child(rq, 'TxnDateRangeFilter');
    if (tr) {
      if (child(tr, 'DateMacro')) throw new QbdRequestError('TxnDateRangeFilter/DateMacro is not simulated');
      const from = parseDate(tr, 'FromTxnDate');
      const to = parseDate(tr, 'ToTxnDate');
      if (from !== undefined) tests.push((r) => (r.TxnDate as string) >= from);
      if (to !== undefined) tests.push((r) => (r.TxnDate as string) <= to);
    }
    const ef = child(rq, 'EntityFilter');
    if (ef) tests.push((r) => refMatches(r.CustomerRef, ef, state.customers));
    const af = child(rq, 'AccountFilter');
    if (af) tests.push((r) => refMatches(r.ARAccountRef ?? r.DepositToAccountRef, af, null));
    const rf = child(rq, 'RefNumberFilter');
    if (rf) {
      const crit = childText(rf, 'MatchCriterion') as string;
      const ref = childText(rf, 'RefNumber') as string;
      tests.push((r) => r.RefNumber !== undefined && matchText(r.RefNumber as string, crit, ref));
    }
    const rr = child(rq, 'RefNumberRangeFilter');
    if (rr) {
      const fromRef = childText(rr, 'FromRefNumber');
      const toRef = childText(rr, 'ToRefNumber');
      tests.push((r) => {
        const n = (r.RefNumber as string | undefined) ?? '';
        return (fromRef === undefined || n >= fromRef) && (toRef === undefined || n <= toRef);
      });
    }
    const paid = childText(rq, 'PaidStatus');
    if (paid === 'PaidOnly') tests.push((r) => r.IsPaid === true);
    else if (paid === 'NotPaidOnly') tests.push((r) => r.IsPaid === false);
  }
  if (tests.length === 0) return records.slice();
  return records.filter((r) => tests.every((t) => t(r)));
}

interface Selection {
  records: Rec[];
  missing: string[];
  selector: boolean;
}

function select(state: CompanyState, spec: QuerySpec, rq: XNode): Selection {
  const src = spec.source(state);
  const byIds = childTexts(rq, spec.isList ? 'ListID' : 'TxnID');
  if (byIds.length > 0) {
    const records: Rec[] = [];
    const missing: string[] = [];
    for (const id of byIds) {
      const rec = src.byId.get(id);
      if (rec) records.push(rec);
      else missing.push(id);
    }
    return { records, missing, selector: true };
  }
  const names = spec.isList ? childTexts(rq, 'FullName') : [];
  if (names.length > 0) {
    const records: Rec[] = [];
    const missing: string[] = [];
    for (const n of names) {
      const rec = src.byName?.get(n.toLowerCase());
      if (rec) records.push(rec);
      else missing.push(n);
    }
    return { records, missing, selector: true };
  }
  if (!spec.isList) {
    const refs = childTexts(rq, 'RefNumber').map((r) => r.toLowerCase());
    const exact = childTexts(rq, 'RefNumberCaseSensitive');
    if (refs.length > 0 || exact.length > 0) {
      const records = src.records.filter(
        (r) => refs.includes(String(r.RefNumber ?? '').toLowerCase()) || exact.includes(String(r.RefNumber ?? '')),
      );
      return { records, missing: [], selector: false };
    }
  }
  return { records: filterRecords(state, spec, rq), missing: [], selector: false };
}

function retOptions(spec: QuerySpec, rq: XNode): { include: Set<string>; omit: Set<string> } {
  const include = new Set(childTexts(rq, 'IncludeRetElement'));
  const omit = new Set<string>();
  if (childTexts(rq, 'OwnerID').length === 0) omit.add('DataExtRet');
  if (spec.kind === 'Invoice' || spec.kind === 'ReceivePayment') {
    if (childText(rq, 'IncludeLineItems') !== 'true') {
      omit.add('InvoiceLineRet');
      omit.add('AppliedToTxnRet');
    }
    if (childText(rq, 'IncludeLinkedTxns') !== 'true') omit.add('LinkedTxn');
  }
  return { include, omit };
}

export interface QueryContext {
  state: CompanyState;
  iterators: IteratorRegistry;
  ticket: string | undefined;
}

/** Answers one query request; throws StatusError for 3391. */
export function runQuery(ctx: QueryContext, rq: XNode): Omit<RsParts, 'requestID'> {
  const spec = QUERIES[rq.name] as QuerySpec;
  const rsName = rq.name.replace(/Rq$/, 'Rs');
  const { include, omit } = retOptions(spec, rq);
  const src = spec.source(ctx.state);
  const write = (recs: Rec[]) => recs.map((r) => writeRet(spec.retName(r), r, include, omit));
  const iterator = rq.attrs.iterator;
  const maxReturned = parseMax(rq);

  if (iterator === 'Continue' || iterator === 'Stop') {
    const id = rq.attrs.iteratorID ?? '';
    const it = ctx.iterators.get(id, ctx.ticket, rq.name, ctx.state.now());
    if (!it) throw new StatusError(3391, `The iteratorID "${id}" is not valid.`);
    if (iterator === 'Stop') {
      ctx.iterators.delete(id);
      return { name: rsName, statusCode: 0, statusSeverity: 'Info', statusMessage: 'Status OK', iteratorRemainingCount: 0, iteratorID: id };
    }
    const size = maxReturned ?? it.pageSize;
    const page = it.ids.slice(it.pos, it.pos + size);
    it.pos += page.length;
    const remaining = it.ids.length - it.pos;
    if (remaining === 0) ctx.iterators.delete(id);
    const recs = page.map((pid) => src.byId.get(pid)).filter((r): r is Rec => r !== undefined);
    return {
      name: rsName,
      statusCode: 0,
      statusSeverity: 'Info',
      statusMessage: 'Status OK',
      iteratorRemainingCount: remaining,
      iteratorID: id,
      body: write(recs),
    };
  }
  if (iterator !== undefined && iterator !== 'Start') throw new QbdRequestError(`iterator "${iterator}" is not Start, Continue or Stop`);

  const sel = select(ctx.state, spec, rq);
  if (sel.records.length === 0 && sel.missing.length === 0) {
    return { name: rsName, statusCode: 1, statusSeverity: 'Info', statusMessage: NO_MATCH };
  }
  const status = (): Pick<RsParts, 'statusCode' | 'statusSeverity' | 'statusMessage'> =>
    sel.missing.length > 0
      ? {
          statusCode: 500,
          statusSeverity: 'Warn',
          statusMessage: `The query request has not been fully completed. There was a required element ("${sel.missing[0]}") that could not be found in QuickBooks.`,
        }
      : { statusCode: 0, statusSeverity: 'Info', statusMessage: 'Status OK' };

  if (iterator === 'Start') {
    const size = maxReturned ?? sel.records.length;
    const first = sel.records.slice(0, size);
    const remaining = sel.records.length - first.length;
    const idKey = spec.isList ? 'ListID' : 'TxnID';
    const it = ctx.iterators.start({
      ticket: ctx.ticket,
      request: rq.name,
      kind: spec.kind,
      ids: sel.records.map((r) => r[idKey] as string),
      pos: first.length,
      pageSize: size,
      startedMs: ctx.state.now(),
    });
    if (remaining === 0) ctx.iterators.delete(it.id);
    return { name: rsName, ...status(), iteratorRemainingCount: remaining, iteratorID: it.id, body: write(first) };
  }
  const recs = maxReturned === undefined ? sel.records : sel.records.slice(0, maxReturned);
  return { name: rsName, ...status(), body: write(recs) };
}
