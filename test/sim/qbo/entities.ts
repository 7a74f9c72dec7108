/**
 * The simulated company: entity tables with indexes, and the documented entity rules (qbo.md §2.4, §5 item 3).
 */
import { roundCents } from '../../../nodes/lib/util/text';
import { faults, QboFault } from './faults';

// Records are free-form JSON, as in QBO.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Rec = Record<string, any>;

export type EntityName = 'Item' | 'Customer' | 'Vendor' | 'Employee' | 'Invoice' | 'Payment' | 'Term' | 'Account' | 'PaymentMethod';
export const ENTITIES: EntityName[] = ['Item', 'Customer', 'Vendor', 'Employee', 'Invoice', 'Payment', 'Term', 'Account', 'PaymentMethod'];
const BY_LOWER = new Map<string, EntityName>(ENTITIES.map((e) => [e.toLowerCase(), e]));
/** Name lists: never deleted, only made inactive. */
export const NAME_LISTS = new Set<EntityName>(['Item', 'Customer', 'Vendor', 'Employee', 'Term', 'Account', 'PaymentMethod']);
/** Customer, Vendor and Employee share one DisplayName namespace. */
const PEOPLE: EntityName[] = ['Customer', 'Vendor', 'Employee'];

export function canonicalEntity(name: string): EntityName | undefined {
  return BY_LOWER.get(name.toLowerCase());
}

/** A reader of the value a query or index compares for a field (refs by value, e-mail by address). */
export function accessor(field: string): (rec: Rec) => unknown {
  if (field === 'PrimaryEmailAddr') return (rec) => rec.PrimaryEmailAddr?.Address;
  if (field.endsWith('Ref') && !field.includes('.')) return (rec) => rec[field]?.value;
  if (!field.includes('.')) return (rec) => rec[field];
  const parts = field.split('.');
  return (rec) => {
    let v: unknown = rec;
    for (const part of parts) {
      if (v === null || typeof v !== 'object') return undefined;
      v = (v as Rec)[part];
    }
    return v;
  };
}

const ACCESSORS = new Map<string, (rec: Rec) => unknown>();

/** Reads the value a query or index compares for a field. */
export function fieldValue(rec: Rec, field: string): unknown {
  let get = ACCESSORS.get(field);
  if (!get) ACCESSORS.set(field, (get = accessor(field)));
  return get(rec);
}

/** Index fields per entity (lower-cased values → Ids). */
const INDEXED: Record<EntityName, string[]> = {
  Item: ['Name', 'Sku'],
  Customer: ['DisplayName', 'PrimaryEmailAddr'],
  Vendor: ['DisplayName', 'PrimaryEmailAddr'],
  Employee: ['DisplayName', 'PrimaryEmailAddr'],
  Invoice: ['DocNumber', 'CustomerRef'],
  Payment: ['CustomerRef'],
  Term: ['Name'],
  Account: ['Name'],
  PaymentMethod: ['Name'],
};

export class Table {
  readonly rows = new Map<string, Rec>();
  private readonly indexes = new Map<string, Map<string, Set<string>>>();

  constructor(readonly entity: EntityName) {
    for (const f of INDEXED[entity]) this.indexes.set(f, new Map());
  }

  isIndexed(field: string): boolean {
    return this.indexes.has(field);
  }

  /** Ids whose indexed field equals `value` (case-insensitive). */
  lookup(field: string, value: unknown): Set<string> {
    const idx = this.indexes.get(field);
    if (!idx || value === undefined || value === null) return new Set();
    return idx.get(String(value).toLowerCase()) ?? new Set();
  }

  put(rec: Rec): void {
    const old = this.rows.get(rec.Id);
    if (old) this.unindex(old);
    this.rows.set(rec.Id, rec);
    for (const [f, idx] of this.indexes) {
      const v = fieldValue(rec, f);
      if (v === undefined || v === null || v === '') continue;
      const key = String(v).toLowerCase();
      let set = idx.get(key);
      if (!set) idx.set(key, (set = new Set()));
      set.add(rec.Id);
    }
  }

  remove(id: string): void {
    const old = this.rows.get(id);
    if (!old) return;
    this.unindex(old);
    this.rows.delete(id);
  }

  private unindex(rec: Rec): void {
    for (const [f, idx] of this.indexes) {
      const v = fieldValue(rec, f);
      if (v === undefined || v === null || v === '') continue;
      idx.get(String(v).toLowerCase())?.delete(rec.Id);
    }
  }
}

/** A deleted transaction, reported by CDC as `{Id, status:"Deleted"}`. */
export interface Tombstone {
  entity: EntityName;
  Id: string;
  time: number;
}

/** Per-write options. `hidden` holds Ids created earlier in the same batch (not visible to later items). */
export interface WriteContext {
  allowDuplicateDocNum?: boolean;
  hidden?: Set<string>;
}

export interface CompanyOptions {
  now: () => number;
  /** Offset of the company's time zone from UTC in minutes (QBO answers in the company's zone). Default -480. */
  tzOffsetMinutes?: number;
  /** Preferences.SalesFormsPrefs.CustomTxnNumbers: when true, an invoice without DocNumber keeps none. */
  customTxnNumbers?: boolean;
}

const pad = (n: number, w = 2) => String(Math.trunc(Math.abs(n))).padStart(w, '0');

/** Formats epoch ms as QBO does: `2019-12-20T10:08:51.369-08:00` in the given zone. */
export function formatTime(ms: number, offsetMin: number): string {
  const d = new Date(ms + offsetMin * 60_000);
  const sign = offsetMin < 0 ? '-' : '+';
  return `${d.toISOString().slice(0, 23)}${sign}${pad(offsetMin / 60)}:${pad(offsetMin % 60)}`;
}

function today(ms: number, offsetMin: number): string {
  return new Date(ms + offsetMin * 60_000).toISOString().slice(0, 10);
}

function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function isBlank(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
}

function checkLength(rec: Rec, field: string, max: number): void {
  const v = rec[field];
  if (typeof v === 'string' && v.length > max) throw faults.tooLong(field, max, v.length);
}

const READ_ONLY = ['Id', 'SyncToken', 'MetaData', 'domain', 'sparse'];

export class Company {
  readonly tables = new Map<EntityName, Table>();
  readonly tombstones: Tombstone[] = [];
  private nextId = 1;
  private nextDocNumber = 1001;
  private readonly offset: number;
  /** invoiceId → (paymentId → amount applied) */
  private readonly applied = new Map<string, Map<string, number>>();

  constructor(readonly realmId: string, private readonly opts: CompanyOptions) {
    for (const e of ENTITIES) this.tables.set(e, new Table(e));
    this.offset = opts.tzOffsetMinutes ?? -480;
  }

  now(): number {
    return this.opts.now();
  }

  time(ms = this.now()): string {
    return formatTime(ms, this.offset);
  }

  table(entity: EntityName): Table {
    return this.tables.get(entity) as Table;
  }

  /** A copy of one record, or undefined. */
  get(entity: EntityName, id: string): Rec | undefined {
    const r = this.table(entity).rows.get(String(id));
    return r ? clone(r) : undefined;
  }

  read(entity: EntityName, id: string): Rec {
    const r = this.get(entity, id);
    if (!r) throw faults.notFound(`Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees.`);
    return r;
  }

  // ---------------------------------------------------------------- writes

  create(entity: EntityName, body: Rec, ctx: WriteContext = {}): Rec {
    return clone(this.insert(entity, body, ctx));
  }

  /** Creates and returns the stored record itself (callers must not mutate it). */
  private insert(entity: EntityName, body: Rec, ctx: WriteContext): Rec {
    if (!body || typeof body !== 'object' || Object.keys(body).length === 0) throw faults.emptyBody();
    const rec: Rec = clone(body);
    for (const f of READ_ONLY) if (f in rec) delete rec[f];
    const id = String(this.nextId);
    this.prepare(entity, rec, undefined, ctx, id);
    const t = this.now();
    this.nextId += 1;
    const stamp = this.time(t);
    const out: Rec = { ...rec, Id: id, SyncToken: '0', domain: 'QBO', sparse: false, MetaData: { CreateTime: stamp, LastUpdatedTime: stamp } };
    this.table(entity).put(out);
    this.afterWrite(entity, out, undefined);
    return out;
  }

  /** Sparse (`sparse:true`) or full update; SyncToken must match the current one (5010 otherwise). */
  update(entity: EntityName, body: Rec, ctx: WriteContext = {}): Rec {
    if (!body || typeof body !== 'object' || Object.keys(body).length === 0) throw faults.emptyBody();
    if (isBlank(body.Id)) throw faults.required('Id');
    if (isBlank(body.SyncToken)) throw faults.required('SyncToken');
    const current = this.table(entity).rows.get(String(body.Id));
    if (!current) throw faults.notFound();
    if (String(body.SyncToken) !== current.SyncToken) throw faults.stale();
    const incoming: Rec = clone(body);
    const sparse = incoming.sparse === true || incoming.sparse === 'true';
    for (const f of READ_ONLY) if (f in incoming) delete incoming[f];
    const base: Rec = sparse ? clone(current) : {};
    for (const f of READ_ONLY) if (f in base) delete base[f];
    const rec: Rec = { ...base, ...incoming };
    this.prepare(entity, rec, current, ctx, current.Id);
    const t = this.now();
    const out: Rec = {
      ...rec,
      Id: current.Id,
      SyncToken: String(Number(current.SyncToken) + 1),
      domain: 'QBO',
      sparse: false,
      MetaData: { CreateTime: current.MetaData.CreateTime, LastUpdatedTime: this.time(t) },
    };
    if (entity === 'Account' && out.Active === false && current.Active !== false && !String(out.Name).endsWith(' (deleted)')) {
      out.Name = `${out.Name} (deleted)`;
      out.FullyQualifiedName = out.Name;
    }
    this.beforeReplace(entity, current);
    this.table(entity).put(out);
    this.afterWrite(entity, out, current);
    return clone(out);
  }

  /** Deletes a transaction (Invoice, Payment). Name lists cannot be deleted. */
  delete(entity: EntityName, body: Rec): Rec {
    if (NAME_LISTS.has(entity)) {
      throw faults.unsupported(`Operation Delete is not supported for ${entity}: name list entities are made inactive (Active=false)`);
    }
    if (isBlank(body?.Id)) throw faults.required('Id');
    const current = this.table(entity).rows.get(String(body.Id));
    if (!current) throw faults.notFound();
    if (isBlank(body.SyncToken)) throw faults.required('SyncToken');
    if (String(body.SyncToken) !== current.SyncToken) throw faults.stale();
    this.beforeReplace(entity, current);
    this.table(entity).remove(current.Id);
    this.tombstones.push({ entity, Id: current.Id, time: this.now() });
    return { Id: current.Id, status: 'Deleted', domain: 'QBO' };
  }

  /** Voids an invoice: amounts become zero, the record stays. */
  void(entity: EntityName, body: Rec): Rec {
    if (entity !== 'Invoice' && entity !== 'Payment') throw faults.unsupported(`Operation Void is not supported for ${entity}`);
    const current = this.table(entity).rows.get(String(body?.Id));
    if (!current) throw faults.notFound();
    if (String(body.SyncToken) !== current.SyncToken) throw faults.stale();
    const lines = (current.Line as Rec[]).map((l) => ({ ...l, Amount: 0 }));
    return this.update(entity, { Id: current.Id, SyncToken: current.SyncToken, sparse: true, Line: lines, PrivateNote: 'Voided', TotalAmt: 0 });
  }

  /** Test seeding: creates each record through the normal rules; returns shallow copies of the stored records. */
  seed(entity: EntityName, records: Rec[]): Rec[] {
    return records.map((r) => {
      const rec = { ...r };
      if (entity === 'Item' && !rec.IncomeAccountRef && rec.Type !== 'Category') rec.IncomeAccountRef = { value: this.defaultIncomeAccount() };
      if (entity === 'Item' && !rec.Type) rec.Type = 'Service';
      return { ...this.insert(entity, rec, {}) };
    });
  }

  /** Every record of an entity (active and inactive), copies. */
  all(entity: EntityName): Rec[] {
    return [...this.table(entity).rows.values()].map(clone);
  }

  private defaultIncomeAccount(): string {
    const t = this.table('Account');
    for (const a of t.rows.values()) if (a.AccountType === 'Income' && a.Active !== false) return a.Id;
    return this.create('Account', { Name: 'Sales of Product Income', AccountType: 'Income', AccountSubType: 'SalesOfProductIncome' }).Id;
  }

  // ---------------------------------------------------------------- rules

  private ref(entity: EntityName, label: string, element: string, ref: unknown, ctx: WriteContext, required: boolean): Rec | undefined {
    const value = (ref as Rec | undefined)?.value;
    if (isBlank(value)) {
      if (required) throw faults.required(element);
      return undefined;
    }
    const r = this.table(entity).rows.get(String(value));
    if (!r || ctx.hidden?.has(r.Id)) throw faults.invalidRef(label, String(value), element);
    if (r.Active === false) throw faults.notFound();
    return r;
  }

  private unique(entity: EntityName, field: string, value: string, selfId: string): void {
    const scope = field === 'DisplayName' ? PEOPLE : [entity];
    for (const e of scope) {
      for (const id of this.table(e).lookup(field, value)) {
        if (!(e === entity && id === selfId)) throw faults.duplicateName(id);
      }
    }
  }

  /** Validates and fills a record in place (derived fields). Throws QboFault. */
  private prepare(entity: EntityName, rec: Rec, current: Rec | undefined, ctx: WriteContext, id: string): void {
    if (rec.Active === undefined && NAME_LISTS.has(entity)) rec.Active = current ? current.Active : true;
    switch (entity) {
      case 'Item':
        return this.prepareItem(rec, ctx, id);
      case 'Customer':
      case 'Vendor':
      case 'Employee':
        return this.preparePerson(entity, rec, current, ctx, id);
      case 'Term':
        if (isBlank(rec.Name)) throw faults.required('Name');
        checkLength(rec, 'Name', 31);
        this.unique('Term', 'Name', rec.Name, id);
        rec.Type = rec.Type ?? 'STANDARD';
        if (rec.Type === 'STANDARD' && rec.DueDays === undefined) rec.DueDays = 0;
        return;
      case 'PaymentMethod':
        // PaymentMethod: Name required (≤ 31), unique; Type CREDIT_CARD or NON_CREDIT_CARD (qbo.md §2.4).
        if (isBlank(rec.Name)) throw faults.required('Name');
        checkLength(rec, 'Name', 31);
        this.unique('PaymentMethod', 'Name', rec.Name, id);
        rec.Type = rec.Type ?? 'NON_CREDIT_CARD';
        return;
      case 'Account':
        if (isBlank(rec.Name)) throw faults.required('Name');
        if (isBlank(rec.AccountType)) throw faults.required('AccountType');
        checkLength(rec, 'Name', 100);
        this.unique('Account', 'Name', rec.Name, id);
        rec.FullyQualifiedName = rec.Name;
        rec.Classification = rec.Classification ?? (rec.AccountType === 'Income' ? 'Revenue' : 'Asset');
        return;
      case 'Invoice':
        return this.prepareInvoice(rec, current, ctx, id);
      case 'Payment':
        return this.preparePayment(rec, current, ctx, id);
    }
  }

  private prepareItem(rec: Rec, ctx: WriteContext, id: string): void {
    if (isBlank(rec.Name)) throw faults.required('Name');
    checkLength(rec, 'Name', 100);
    checkLength(rec, 'Sku', 100);
    checkLength(rec, 'Description', 4000);
    if (String(rec.Name).includes(':')) throw faults.invalid('Name', 'Invalid character in Name: ":" is reserved for sub-items');
    this.unique('Item', 'Name', rec.Name, id);
    rec.Type = rec.Type ?? 'Service';
    if (!['Inventory', 'Service', 'NonInventory', 'Category'].includes(rec.Type)) {
      throw faults.invalid('Type', `Invalid Type ${rec.Type}: Group items cannot be created through the API`);
    }
    if (rec.Type !== 'Category') this.ref('Account', 'Account', 'IncomeAccountRef', rec.IncomeAccountRef, ctx, true);
    if (rec.Type === 'Inventory') {
      this.ref('Account', 'Account', 'AssetAccountRef', rec.AssetAccountRef, ctx, true);
      if (isBlank(rec.InvStartDate)) throw faults.required('InvStartDate');
      rec.TrackQtyOnHand = true;
      rec.QtyOnHand = rec.QtyOnHand ?? 0;
    }
    if (rec.ExpenseAccountRef) this.ref('Account', 'Account', 'ExpenseAccountRef', rec.ExpenseAccountRef, ctx, false);
    rec.FullyQualifiedName = rec.Name;
  }

  private preparePerson(entity: EntityName, rec: Rec, current: Rec | undefined, ctx: WriteContext, id: string): void {
    if (isBlank(rec.DisplayName)) {
      const parts = ['Title', 'GivenName', 'MiddleName', 'FamilyName', 'Suffix'].map((f) => rec[f]).filter((v) => !isBlank(v));
      if (parts.length === 0) throw faults.required('DisplayName', 'DisplayName or one of Title/GivenName/MiddleName/FamilyName/Suffix');
      rec.DisplayName = parts.join(' ');
    }
    checkLength(rec, 'DisplayName', 500);
    for (const f of ['CompanyName', 'GivenName', 'FamilyName']) checkLength(rec, f, 100);
    if (/[:\t\n]/.test(rec.DisplayName)) throw faults.invalid('DisplayName', 'DisplayName cannot contain a colon (:), tab or newline');
    const email = rec.PrimaryEmailAddr?.Address;
    if (email !== undefined && email !== null && email !== '') {
      if (typeof email !== 'string' || !email.includes('@') || !email.includes('.') || email.length > 100) {
        throw faults.business('Invalid email address format', 'PrimaryEmailAddr.Address');
      }
    }
    this.unique(entity, 'DisplayName', rec.DisplayName, id);
    if (entity === 'Customer' && rec.SalesTermRef) this.ref('Term', 'Term', 'SalesTermRef', rec.SalesTermRef, ctx, false);
    rec.FullyQualifiedName = rec.DisplayName;
    rec.PrintOnCheckName = rec.PrintOnCheckName ?? rec.DisplayName;
    if (entity === 'Customer') {
      rec.Balance = current ? current.Balance : roundCents(Number(rec.Balance ?? 0));
      rec.Job = rec.Job ?? false;
    }
  }

  private prepareInvoice(rec: Rec, current: Rec | undefined, ctx: WriteContext, id: string): void {
    const customer = this.ref('Customer', 'Names', 'CustomerRef', rec.CustomerRef, ctx, true) as Rec;
    if (!Array.isArray(rec.Line) || rec.Line.filter((l: Rec) => l?.DetailType !== 'SubTotalLineDetail').length === 0) {
      throw faults.required('Line');
    }
    let total = 0;
    const lines: Rec[] = [];
    for (const raw of rec.Line as Rec[]) {
      if (raw.DetailType === 'SubTotalLineDetail') continue;
      const line: Rec = { ...raw };
      if (line.DetailType === 'SalesItemLineDetail') {
        const d: Rec = { ...(line.SalesItemLineDetail ?? {}) };
        line.SalesItemLineDetail = d;
        if (d.ItemRef?.value === undefined) {
          line.Amount = 0; // no ItemRef: documentation only, the amount is ignored
        } else {
          const item = this.ref('Item', 'Item', 'Line.SalesItemLineDetail.ItemRef', d.ItemRef, ctx, true) as Rec;
          d.ItemRef = { value: item.Id, name: item.Name };
          if (line.Amount === undefined || line.Amount === null) throw faults.required('Line.Amount');
          const amount = Number(line.Amount);
          if (d.Qty !== undefined && d.UnitPrice !== undefined && roundCents(Number(d.Qty) * Number(d.UnitPrice)) !== roundCents(amount)) {
            throw faults.amount(amount);
          }
          if (d.UnitPrice === undefined && d.Qty) d.UnitPrice = amount / Number(d.Qty);
          if (d.Qty === undefined && d.UnitPrice) d.Qty = amount / Number(d.UnitPrice);
          line.Amount = roundCents(amount);
          total += line.Amount;
        }
      } else if (line.DetailType === 'DiscountLineDetail') {
        line.Amount = roundCents(Number(line.Amount ?? 0));
        total -= line.Amount;
      } else if (line.DetailType === 'DescriptionOnly' || line.DetailType === undefined) {
        line.DetailType = 'DescriptionOnly';
        line.Amount = 0;
      } else {
        throw faults.invalid('Line.DetailType', `Unsupported DetailType ${line.DetailType}`);
      }
      lines.push(line);
    }
    lines.forEach((l, i) => {
      l.Id = String(i + 1);
      l.LineNum = i + 1;
    });
    total = roundCents(total);
    lines.push({ Amount: total, DetailType: 'SubTotalLineDetail', SubTotalLineDetail: {} });
    rec.Line = lines;
    rec.CustomerRef = { value: customer.Id, name: customer.DisplayName };

    if (rec.DocNumber !== undefined && rec.DocNumber !== null && rec.DocNumber !== '') {
      rec.DocNumber = String(rec.DocNumber);
      checkLength(rec, 'DocNumber', 21);
      if (!ctx.allowDuplicateDocNum && rec.DocNumber !== current?.DocNumber) {
        for (const other of this.table('Invoice').lookup('DocNumber', rec.DocNumber)) {
          if (other !== id) throw faults.duplicateDocNumber(rec.DocNumber, other);
        }
      }
    } else if (!this.opts.customTxnNumbers) {
      while (this.table('Invoice').lookup('DocNumber', String(this.nextDocNumber)).size > 0) this.nextDocNumber += 1;
      rec.DocNumber = String(this.nextDocNumber++);
    } else {
      delete rec.DocNumber;
    }

    rec.TxnDate = rec.TxnDate ?? today(this.now(), this.offset);
    const termRef = rec.SalesTermRef ?? customer.SalesTermRef;
    if (rec.SalesTermRef) this.ref('Term', 'Term', 'SalesTermRef', rec.SalesTermRef, ctx, false);
    if (!rec.DueDate) {
      const term = termRef ? this.table('Term').rows.get(String(termRef.value)) : undefined;
      rec.DueDate = addDays(rec.TxnDate, term && term.Type === 'STANDARD' ? Number(term.DueDays ?? 0) : 0);
    }
    if (termRef && !rec.SalesTermRef) rec.SalesTermRef = { value: String(termRef.value) };
    rec.TotalAmt = total;
    const paid = [...(this.applied.get(id)?.values() ?? [])].reduce((a, b) => a + b, 0);
    rec.Balance = roundCents(total - paid);
    if (rec.Balance < 0) throw faults.business('The invoice total cannot be less than the payments applied to it', 'TotalAmt');
    rec.LinkedTxn = current?.LinkedTxn ?? [];
    rec.EmailStatus = rec.EmailStatus ?? 'NotSet';
    if (rec.EmailStatus === 'NeedToSend' && isBlank(rec.BillEmail?.Address)) throw faults.required('BillEmail.Address');
  }

  private preparePayment(rec: Rec, current: Rec | undefined, ctx: WriteContext, id: string): void {
    const customer = this.ref('Customer', 'Names', 'CustomerRef', rec.CustomerRef, ctx, true) as Rec;
    if (rec.PaymentMethodRef) {
      const method = this.ref('PaymentMethod', 'PaymentMethod', 'PaymentMethodRef', rec.PaymentMethodRef, ctx, false);
      if (method) rec.PaymentMethodRef = { value: method.Id, name: method.Name };
    }
    if (rec.TotalAmt === undefined || rec.TotalAmt === null) throw faults.required('TotalAmt');
    rec.TotalAmt = roundCents(Number(rec.TotalAmt));
    rec.CustomerRef = { value: customer.Id, name: customer.DisplayName };
    let sum = 0;
    const lines: Rec[] = Array.isArray(rec.Line) ? rec.Line.map((l: Rec) => ({ ...l })) : [];
    for (const line of lines) {
      line.Amount = roundCents(Number(line.Amount ?? 0));
      for (const lt of (line.LinkedTxn ?? []) as Rec[]) {
        if (lt.TxnType !== 'Invoice') continue;
        const inv = this.table('Invoice').rows.get(String(lt.TxnId));
        if (!inv || ctx.hidden?.has(inv.Id)) throw faults.invalidRef('Invoice', String(lt.TxnId), 'Line.LinkedTxn');
        if (inv.CustomerRef.value !== customer.Id) throw faults.business(`Invoice ${inv.Id} belongs to another customer`, 'Line.LinkedTxn');
        const already = this.applied.get(inv.Id)?.get(id) ?? 0;
        if (line.Amount > roundCents(inv.Balance + already)) throw faults.business(`Payment amount exceeds the balance of invoice ${inv.Id}`, 'Line.Amount');
      }
      sum += line.Amount;
    }
    sum = roundCents(sum);
    if (sum > rec.TotalAmt) throw faults.business('The amount applied exceeds the payment total', 'TotalAmt');
    rec.Line = lines;
    rec.UnappliedAmt = roundCents(rec.TotalAmt - sum);
    rec.TxnDate = rec.TxnDate ?? current?.TxnDate ?? today(this.now(), this.offset);
  }

  /** Undo the side effects of a record about to be replaced or deleted (balances, links). */
  private beforeReplace(entity: EntityName, current: Rec): void {
    if (entity === 'Invoice') this.adjustCustomer(current.CustomerRef?.value, -Number(current.Balance ?? 0));
    if (entity === 'Payment') this.unapply(current);
  }

  private afterWrite(entity: EntityName, rec: Rec, _old: Rec | undefined): void {
    if (entity === 'Invoice') this.adjustCustomer(rec.CustomerRef.value, Number(rec.Balance));
    if (entity === 'Payment') this.apply(rec);
  }

  private adjustCustomer(id: string | undefined, delta: number): void {
    if (!id || !delta) return;
    const c = this.table('Customer').rows.get(String(id));
    if (c) c.Balance = roundCents(Number(c.Balance ?? 0) + delta);
  }

  private apply(payment: Rec): void {
    for (const line of payment.Line as Rec[]) {
      for (const lt of (line.LinkedTxn ?? []) as Rec[]) {
        if (lt.TxnType !== 'Invoice') continue;
        const inv = this.table('Invoice').rows.get(String(lt.TxnId)) as Rec;
        let m = this.applied.get(inv.Id);
        if (!m) this.applied.set(inv.Id, (m = new Map()));
        m.set(payment.Id, roundCents((m.get(payment.Id) ?? 0) + line.Amount));
        this.setInvoiceBalance(inv, roundCents(inv.Balance - line.Amount), payment.Id, true);
      }
    }
  }

  private unapply(payment: Rec): void {
    for (const [invId, m] of this.applied) {
      const amt = m.get(payment.Id);
      if (amt === undefined) continue;
      m.delete(payment.Id);
      const inv = this.table('Invoice').rows.get(invId);
      if (inv) this.setInvoiceBalance(inv, roundCents(inv.Balance + amt), payment.Id, false);
    }
  }

  private setInvoiceBalance(inv: Rec, balance: number, paymentId: string, link: boolean): void {
    const delta = roundCents(balance - inv.Balance);
    const links: Rec[] = (inv.LinkedTxn ?? []).filter((l: Rec) => !(l.TxnType === 'Payment' && l.TxnId === paymentId));
    if (link) links.push({ TxnId: paymentId, TxnType: 'Payment' });
    const t = this.now();
    const next: Rec = {
      ...inv,
      Balance: balance,
      LinkedTxn: links,
      SyncToken: String(Number(inv.SyncToken) + 1),
      MetaData: { ...inv.MetaData, LastUpdatedTime: this.time(t) },
    };
    this.table('Invoice').put(next);
    this.adjustCustomer(inv.CustomerRef?.value, delta);
  }

  /** Last-change time (epoch ms) of a record. */
  static changedAt(rec: Rec): number {
    return Date.parse(rec.MetaData?.LastUpdatedTime);
  }
}

export { QboFault };
