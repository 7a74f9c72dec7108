/**
 * Add / Mod requests: CustomerAdd, ItemServiceAdd, ItemNonInventoryAdd, InvoiceAdd, InvoiceMod,
 * ReceivePaymentAdd. Each validates everything first (3070 string too long, 3100 name in use,
 * 3140 invalid reference, 3120 not found, 3200 stale EditSequence, 3210 overpayment) and only then
 * changes the company, so a failed request changes nothing.
 */
import { formatQbDate, isQbDate } from './clock';
import { writeRet, type Rec, type RsParts } from './ret-writer';
import { refTo, StatusError, type CompanyState, type ItemType, type ListStore, type RefInput } from './store';
import { child, childText, QbdRequestError, type XNode } from './xml-request';

/** Maximum lengths QuickBooks enforces (qbwc.md §3.5), by element name; refs' FullName is 209. */
export const MAX_LENGTH: Record<string, number> = {
  CompanyName: 41,
  Salutation: 15,
  FirstName: 25,
  MiddleName: 5,
  LastName: 25,
  JobTitle: 41,
  Addr1: 41,
  Addr2: 41,
  Addr3: 41,
  Addr4: 41,
  Addr5: 41,
  City: 31,
  State: 21,
  PostalCode: 13,
  Country: 31,
  Note: 41,
  PrintAs: 41,
  Phone: 21,
  Mobile: 21,
  Pager: 21,
  AltPhone: 21,
  Fax: 21,
  Email: 1023,
  Cc: 1023,
  Contact: 41,
  AltContact: 41,
  ResaleNumber: 15,
  AccountNumber: 99,
  Notes: 4095,
  ManufacturerPartNumber: 31,
  Desc: 4095,
  SalesDesc: 4095,
  PurchaseDesc: 4095,
  RefNumber: 11,
  PONumber: 25,
  FOB: 13,
  Memo: 4095,
  Other: 29,
  Other1: 29,
  Other2: 29,
  UnitOfMeasure: 31,
  FullName: 209,
};

export function tooLong(field: string, value: string): StatusError {
  return new StatusError(3070, `The string "${value}" in the field "${field}" is too long.`);
}

/** Text of a child, checked against its limit (3070). */
function text(node: XNode, name: string, max = MAX_LENGTH[name]): string | undefined {
  const value = childText(node, name);
  if (value === undefined) return undefined;
  if (max !== undefined && value.length > max) throw tooLong(name, value);
  return value;
}

function amount(node: XNode, name: string): number | undefined {
  const value = childText(node, name);
  if (value === undefined) return undefined;
  const n = Number(value.trim());
  if (value.trim() === '' || !Number.isFinite(n)) throw new StatusError(3040, `There is an invalid amount "${value}" in the field "${name}".`);
  return n;
}

function bool(node: XNode, name: string): boolean | undefined {
  const value = childText(node, name);
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') throw new QbdRequestError(`${name}: "${value}" is not a boolean`);
  return value === 'true';
}

function date(node: XNode, name: string): string | undefined {
  const value = childText(node, name);
  if (value === undefined) return undefined;
  if (!isQbDate(value)) throw new StatusError(3020, `There is an invalid date "${value}" in the field "${name}".`);
  return value;
}

function refInput(node: XNode | undefined): RefInput | undefined {
  if (!node) return undefined;
  const ref: RefInput = {};
  const id = childText(node, 'ListID');
  const name = childText(node, 'FullName');
  if (name !== undefined && name.length > 209) throw tooLong('FullName', name);
  if (id !== undefined) ref.ListID = id;
  if (name !== undefined) ref.FullName = name;
  return ref;
}

function invalidRef(type: string, ref: RefInput, where: string): StatusError {
  return new StatusError(
    3140,
    `There is an invalid reference to QuickBooks ${type} "${ref.FullName ?? ref.ListID}" in the ${where}.  QuickBooks error message: Invalid argument.  The specified record does not exist in the list.`,
  );
}

/** Resolves a reference against a list or fails with 3140. */
function resolve(store: ListStore, node: XNode | undefined, type: string, where: string): Rec | undefined {
  const ref = refInput(node);
  if (!ref) return undefined;
  const rec = store.find(ref);
  if (!rec) throw invalidRef(type, ref, where);
  return rec;
}

function round2(n: number): number {
  return Math.round(n * 100 + Math.sign(n) * 1e-9) / 100;
}

function address(node: XNode | undefined): Rec | undefined {
  if (!node) return undefined;
  const out: Rec = {};
  for (const c of node.children) {
    const max = MAX_LENGTH[c.name];
    if (max !== undefined && c.text.length > max) throw tooLong(c.name, c.text);
    out[c.name] = c.text;
  }
  return out;
}

function nameInUse(name: string): StatusError {
  return new StatusError(3100, `The name "${name}" of the list element is already in use.`);
}

const ok = (name: string, body: string): Omit<RsParts, 'requestID'> => ({
  name,
  statusCode: 0,
  statusSeverity: 'Info',
  statusMessage: 'Status OK',
  body: [body],
});

const CUSTOMER_TEXT = [
  'CompanyName', 'Salutation', 'FirstName', 'MiddleName', 'LastName', 'JobTitle', 'PrintAs', 'Phone', 'Mobile', 'Pager',
  'AltPhone', 'Fax', 'Email', 'Cc', 'Contact', 'AltContact', 'ResaleNumber', 'AccountNumber', 'JobStatus', 'Notes',
];

export function customerAdd(state: CompanyState, rq: XNode): Omit<RsParts, 'requestID'> {
  const add = child(rq, 'CustomerAdd') as XNode;
  const name = text(add, 'Name', 41) as string;
  const parent = resolve(state.customers, child(add, 'ParentRef'), 'Customer', 'Customer');
  const fullName = parent ? `${parent.FullName as string}:${name}` : name;
  if (state.customers.byName.has(fullName.toLowerCase())) throw nameInUse(name);
  if (!parent && state.otherNames.has(name.toLowerCase())) throw nameInUse(name);
  const terms = resolve(state.terms, child(add, 'TermsRef'), 'Terms', 'Customer');
  const taxCode = resolve(state.salesTaxCodes, child(add, 'SalesTaxCodeRef'), 'SalesTaxCode', 'Customer');
  const payMethod = resolve(state.paymentMethods, child(add, 'PreferredPaymentMethodRef'), 'PaymentMethod', 'Customer');
  const rec: Rec = { _kind: 'Customer', Name: name, FullName: fullName, IsActive: bool(add, 'IsActive') ?? true };
  for (const f of CUSTOMER_TEXT) {
    const v = text(add, f);
    if (v !== undefined) rec[f] = v;
  }
  const bill = address(child(add, 'BillAddress'));
  const ship = address(child(add, 'ShipAddress'));
  const open = amount(add, 'OpenBalance') ?? 0;
  const credit = amount(add, 'CreditLimit');
  date(add, 'OpenBalanceDate');
  const ms = state.now();
  rec.ListID = state.ids.listId(ms);
  state.stampNew(rec, ms);
  if (parent) rec.ParentRef = refTo(parent);
  rec.Sublevel = parent ? (parent.Sublevel as number) + 1 : 0;
  if (bill) rec.BillAddress = bill;
  if (ship) rec.ShipAddress = ship;
  if (terms) rec.TermsRef = refTo(terms);
  if (taxCode) rec.SalesTaxCodeRef = refTo(taxCode);
  if (payMethod) rec.PreferredPaymentMethodRef = refTo(payMethod);
  for (const r of ['ClassRef', 'CustomerTypeRef', 'SalesRepRef', 'ItemSalesTaxRef']) {
    const ref = refInput(child(add, r));
    if (ref) rec[r] = ref;
  }
  rec.Balance = open;
  rec.TotalBalance = open;
  if (credit !== undefined) rec.CreditLimit = credit;
  rec.JobStatus ??= 'None';
  state.customers.add(rec);
  return ok('CustomerAddRs', writeRet('CustomerRet', rec));
}

function salesAggregate(state: CompanyState, node: XNode | undefined, where: string): Rec | undefined {
  if (!node) return undefined;
  const out: Rec = {};
  for (const c of node.children) {
    if (c.name.endsWith('Ref')) {
      const store = c.name === 'PrefVendorRef' || c.name === 'PurchaseTaxCodeRef' ? undefined : state.accounts;
      out[c.name] = store ? refTo(resolve(store, c, 'Account', where) as Rec) : refInput(c);
    } else if (c.name === 'Price' || c.name === 'SalesPrice' || c.name === 'PurchaseCost' || c.name === 'PricePercent') {
      out[c.name] = amount(node, c.name);
    } else {
      const max = MAX_LENGTH[c.name];
      if (max !== undefined && c.text.length > max) throw tooLong(c.name, c.text);
      out[c.name] = c.text;
    }
  }
  return out;
}

export function itemAdd(state: CompanyState, rq: XNode, type: ItemType): Omit<RsParts, 'requestID'> {
  const add = child(rq, `${type}Add`) as XNode;
  const name = text(add, 'Name', 31) as string;
  const parent = resolve(state.items, child(add, 'ParentRef'), 'Item', 'Item');
  const fullName = parent ? `${parent.FullName as string}:${name}` : name;
  if (state.items.byName.has(fullName.toLowerCase())) throw nameInUse(name);
  const taxCode = resolve(state.salesTaxCodes, child(add, 'SalesTaxCodeRef'), 'SalesTaxCode', 'Item');
  const mpn = text(add, 'ManufacturerPartNumber');
  const sop = salesAggregate(state, child(add, 'SalesOrPurchase'), 'Item');
  const sap = salesAggregate(state, child(add, 'SalesAndPurchase'), 'Item');
  const rec: Rec = { _kind: 'Item', _type: type, Name: name, FullName: fullName, IsActive: bool(add, 'IsActive') ?? true };
  const ms = state.now();
  rec.ListID = state.ids.listId(ms);
  state.stampNew(rec, ms);
  if (parent) rec.ParentRef = refTo(parent);
  rec.Sublevel = parent ? (parent.Sublevel as number) + 1 : 0;
  if (mpn !== undefined) rec.ManufacturerPartNumber = mpn;
  const taxIncluded = bool(add, 'IsTaxIncluded');
  if (taxIncluded !== undefined) rec.IsTaxIncluded = taxIncluded;
  if (taxCode) rec.SalesTaxCodeRef = refTo(taxCode);
  if (sop) rec.SalesOrPurchase = sop;
  if (sap) rec.SalesAndPurchase = sap;
  state.items.add(rec);
  return ok(`${type}AddRs`, writeRet(`${type}Ret`, rec));
}

/** Default description and price of an item, wherever its type keeps them. */
function itemDefaults(item: Rec): { desc?: string; price?: number } {
  const sop = item.SalesOrPurchase as Rec | undefined;
  const sap = item.SalesAndPurchase as Rec | undefined;
  if (sop) return { desc: sop.Desc as string | undefined, price: sop.Price as number | undefined };
  if (sap) return { desc: sap.SalesDesc as string | undefined, price: sap.SalesPrice as number | undefined };
  return { desc: (item.SalesDesc ?? item.ItemDesc) as string | undefined, price: item.SalesPrice as number | undefined };
}

/** Builds (or updates) one invoice line from an InvoiceLineAdd / InvoiceLineMod element. */
function invoiceLine(state: CompanyState, node: XNode, base: Rec | undefined, ms: number): Rec {
  const line: Rec = base ? { ...base } : { TxnLineID: state.ids.txnId(ms) };
  const item = resolve(state.items, child(node, 'ItemRef'), 'Item', 'Invoice line');
  if (item) line.ItemRef = refTo(item);
  const defaults = item ? itemDefaults(item) : {};
  const desc = text(node, 'Desc');
  if (desc !== undefined) line.Desc = desc;
  else if (item && !base) line.Desc = defaults.desc;
  const qty = amount(node, 'Quantity');
  const rate = amount(node, 'Rate');
  const ratePercent = amount(node, 'RatePercent');
  const amt = amount(node, 'Amount');
  const uom = text(node, 'UnitOfMeasure');
  if (uom !== undefined) line.UnitOfMeasure = uom;
  if (qty !== undefined) line.Quantity = qty;
  if (rate !== undefined) line.Rate = rate;
  if (ratePercent !== undefined) line.RatePercent = ratePercent;
  if (line.Rate === undefined && line.RatePercent === undefined && amt === undefined && defaults.price !== undefined && !base) {
    line.Rate = defaults.price;
  }
  if (amt !== undefined) line.Amount = amt;
  else if (qty !== undefined || rate !== undefined || !base) {
    const q = (line.Quantity as number | undefined) ?? (line.Rate !== undefined ? 1 : 0);
    line.Amount = line.Rate !== undefined ? round2(q * (line.Rate as number)) : ((line.Amount as number | undefined) ?? 0);
  }
  for (const f of ['ClassRef', 'SalesTaxCodeRef', 'OverrideItemAccountRef', 'InventorySiteRef', 'PriceLevelRef']) {
    const ref = refInput(child(node, f));
    if (ref) line[f] = ref;
  }
  const serviceDate = date(node, 'ServiceDate');
  if (serviceDate !== undefined) line.ServiceDate = serviceDate;
  for (const f of ['Other1', 'Other2']) {
    const v = text(node, f);
    if (v !== undefined) line[f] = v;
  }
  return line;
}

const INVOICE_TEXT = ['PONumber', 'FOB', 'Memo', 'Other'];
const INVOICE_BOOL = ['IsPending', 'IsToBePrinted', 'IsToBeEmailed', 'IsTaxIncluded'];

/** Header fields shared by InvoiceAdd and InvoiceMod, validated into a patch. */
function invoiceHeader(state: CompanyState, node: XNode): Rec {
  const patch: Rec = {};
  const customer = resolve(state.customers, child(node, 'CustomerRef'), 'Customer', 'Invoice');
  if (customer) patch._customer = customer;
  const terms = resolve(state.terms, child(node, 'TermsRef'), 'Terms', 'Invoice');
  if (terms) patch.TermsRef = refTo(terms);
  const ar = resolve(state.accounts, child(node, 'ARAccountRef'), 'Account', 'Invoice');
  if (ar) patch.ARAccountRef = refTo(ar);
  for (const f of ['ClassRef', 'TemplateRef', 'SalesRepRef', 'ShipMethodRef', 'ItemSalesTaxRef', 'CustomerMsgRef', 'CustomerSalesTaxCodeRef']) {
    const ref = refInput(child(node, f));
    if (ref) patch[f] = ref;
  }
  for (const f of ['TxnDate', 'DueDate', 'ShipDate']) {
    const d = date(node, f);
    if (d !== undefined) patch[f] = d;
  }
  const ref = text(node, 'RefNumber');
  if (ref !== undefined) patch.RefNumber = ref;
  for (const f of INVOICE_TEXT) {
    const v = text(node, f);
    if (v !== undefined) patch[f] = v;
  }
  for (const f of INVOICE_BOOL) {
    const v = bool(node, f);
    if (v !== undefined) patch[f] = v;
  }
  const bill = address(child(node, 'BillAddress'));
  if (bill) patch.BillAddress = bill;
  const ship = address(child(node, 'ShipAddress'));
  if (ship) patch.ShipAddress = ship;
  return patch;
}

function addDays(day: string, days: number): string {
  const t = Date.parse(`${day}T00:00:00Z`) + days * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

function termsDueDays(state: CompanyState, termsRef: unknown): number {
  const t = termsRef ? state.terms.find(termsRef as RefInput) : undefined;
  return (t?.StdDueDays as number | undefined) ?? 0;
}

/** Subtotal, BalanceRemaining and IsPaid from the lines and the payments applied so far. */
function recompute(inv: Rec): void {
  const lines = (inv.InvoiceLineRet as Rec[] | undefined) ?? [];
  inv.Subtotal = round2(lines.reduce((s, l) => s + ((l.Amount as number | undefined) ?? 0), 0));
  inv.SalesTaxTotal = 0;
  inv.BalanceRemaining = round2((inv.Subtotal as number) + (inv.SalesTaxTotal as number) + ((inv.AppliedAmount as number | undefined) ?? 0));
  inv.IsPaid = (inv.BalanceRemaining as number) <= 0;
}

function adjustBalance(customer: Rec, delta: number): void {
  customer.Balance = round2((customer.Balance as number) + delta);
  customer.TotalBalance = round2((customer.TotalBalance as number) + delta);
}

export function invoiceAdd(state: CompanyState, rq: XNode): Omit<RsParts, 'requestID'> {
  const add = child(rq, 'InvoiceAdd') as XNode;
  const patch = invoiceHeader(state, add);
  const customer = patch._customer as Rec;
  delete patch._customer;
  const ms = state.now();
  const lines = add.children.filter((c) => c.name === 'InvoiceLineAdd').map((l) => invoiceLine(state, l, undefined, ms));
  const inv: Rec = { _kind: 'Invoice', TxnID: state.ids.txnId(ms) };
  state.stampNew(inv, ms);
  inv.TxnNumber = state.nextTxnNumber();
  inv.CustomerRef = refTo(customer);
  const ar = state.accounts.byName.get('accounts receivable');
  inv.ARAccountRef = patch.ARAccountRef ?? (ar ? refTo(ar) : undefined);
  Object.assign(inv, patch);
  inv.TxnDate ??= formatQbDate(ms, state.utcOffsetMinutes);
  inv.RefNumber ??= state.nextRefNumber();
  inv.TermsRef ??= customer.TermsRef;
  inv.DueDate ??= addDays(inv.TxnDate as string, termsDueDays(state, inv.TermsRef));
  inv.IsPending ??= false;
  inv.IsFinanceCharge = false;
  inv.AppliedAmount = 0;
  inv.IsToBePrinted ??= false;
  inv.IsToBeEmailed ??= false;
  inv.InvoiceLineRet = lines;
  recompute(inv);
  state.invoices.add(inv);
  adjustBalance(customer, inv.BalanceRemaining as number);
  return ok('InvoiceAddRs', writeRet('InvoiceRet', inv));
}

function notFound(id: string): StatusError {
  return new StatusError(3120, `Object "${id}" specified in the request cannot be found.`);
}

export function invoiceMod(state: CompanyState, rq: XNode): Omit<RsParts, 'requestID'> {
  const mod = child(rq, 'InvoiceMod') as XNode;
  const txnId = childText(mod, 'TxnID') as string;
  const inv = state.invoices.byId.get(txnId);
  if (!inv) throw notFound(txnId);
  const editSequence = childText(mod, 'EditSequence') as string;
  if (editSequence !== inv.EditSequence) throw new StatusError(3200, `The provided edit sequence "${editSequence}" is out-of-date.`);
  const patch = invoiceHeader(state, mod);
  const newCustomer = patch._customer as Rec | undefined;
  delete patch._customer;
  const ms = state.now();
  const lineMods = mod.children.filter((c) => c.name === 'InvoiceLineMod');
  let lines: Rec[] | undefined;
  if (lineMods.length > 0) {
    const existing = new Map(((inv.InvoiceLineRet as Rec[]) ?? []).map((l) => [l.TxnLineID as string, l]));
    lines = lineMods.map((lm) => {
      const id = childText(lm, 'TxnLineID') as string;
      if (id === '-1') return invoiceLine(state, lm, undefined, ms);
      const base = existing.get(id);
      if (!base) throw notFound(id);
      return invoiceLine(state, lm, base, ms);
    });
  }
  const oldCustomer = state.customers.find(inv.CustomerRef as RefInput);
  const oldBalance = inv.BalanceRemaining as number;
  Object.assign(inv, patch);
  if (newCustomer) inv.CustomerRef = refTo(newCustomer);
  if (lines) inv.InvoiceLineRet = lines;
  recompute(inv);
  state.touch(inv, ms);
  if (oldCustomer) adjustBalance(oldCustomer, -oldBalance);
  adjustBalance(newCustomer ?? (oldCustomer as Rec), inv.BalanceRemaining as number);
  return ok('InvoiceModRs', writeRet('InvoiceRet', inv));
}

export function receivePaymentAdd(state: CompanyState, rq: XNode): Omit<RsParts, 'requestID'> {
  const add = child(rq, 'ReceivePaymentAdd') as XNode;
  const where = 'Receive Payment';
  const customer = resolve(state.customers, child(add, 'CustomerRef'), 'Customer', where) as Rec;
  const ar = resolve(state.accounts, child(add, 'ARAccountRef'), 'Account', where);
  const method = resolve(state.paymentMethods, child(add, 'PaymentMethodRef'), 'PaymentMethod', where);
  const deposit = resolve(state.accounts, child(add, 'DepositToAccountRef'), 'Account', where);
  const txnDate = date(add, 'TxnDate');
  const refNumber = text(add, 'RefNumber');
  const memo = text(add, 'Memo');
  const total = amount(add, 'TotalAmount');
  const autoApply = bool(add, 'IsAutoApply') === true;

  // Applications, all validated before anything changes.
  const applications: { inv: Rec; amount: number; discount: number }[] = [];
  for (const a of add.children.filter((c) => c.name === 'AppliedToTxnAdd')) {
    const txnId = childText(a, 'TxnID') as string;
    const inv = state.invoices.byId.get(txnId);
    if (!inv || (inv.CustomerRef as Rec).ListID !== customer.ListID) {
      throw new StatusError(3140, `There is an invalid reference to QuickBooks Transaction "${txnId}" in the ${where}.  QuickBooks error message: Invalid argument.  The specified record does not exist in the list.`);
    }
    const pay = amount(a, 'PaymentAmount') ?? 0;
    const discount = amount(a, 'DiscountAmount') ?? 0;
    const already = applications.filter((x) => x.inv === inv).reduce((s, x) => s + x.amount + x.discount, 0);
    if (round2(pay + discount + already) > (inv.BalanceRemaining as number)) {
      throw new StatusError(3210, 'You cannot pay more than the amount due.');
    }
    applications.push({ inv, amount: pay, discount });
  }
  const applied = round2(applications.reduce((s, x) => s + x.amount, 0));
  const totalAmount = total ?? applied;
  if (applied > totalAmount) throw new StatusError(3210, 'The total of the amounts applied is more than the payment amount.');
  if (autoApply) {
    let left = totalAmount;
    const open = state.invoices.records
      .filter((i) => (i.CustomerRef as Rec).ListID === customer.ListID && (i.BalanceRemaining as number) > 0)
      .sort((a, b) => String(a.TxnDate).localeCompare(String(b.TxnDate)));
    for (const inv of open) {
      if (left <= 0) break;
      const pay = Math.min(left, inv.BalanceRemaining as number);
      applications.push({ inv, amount: pay, discount: 0 });
      left = round2(left - pay);
    }
  }

  const ms = state.now();
  const p: Rec = { _kind: 'ReceivePayment', TxnID: state.ids.txnId(ms) };
  state.stampNew(p, ms);
  p.TxnNumber = state.nextTxnNumber();
  p.CustomerRef = refTo(customer);
  const defaultAr = state.accounts.byName.get('accounts receivable');
  p.ARAccountRef = ar ? refTo(ar) : defaultAr ? refTo(defaultAr) : undefined;
  p.TxnDate = txnDate ?? formatQbDate(ms, state.utcOffsetMinutes);
  if (refNumber !== undefined) p.RefNumber = refNumber;
  p.TotalAmount = totalAmount;
  if (method) p.PaymentMethodRef = refTo(method);
  if (memo !== undefined) p.Memo = memo;
  const undeposited = state.accounts.byName.get('undeposited funds');
  p.DepositToAccountRef = deposit ? refTo(deposit) : undeposited ? refTo(undeposited) : undefined;
  const usedTotal = round2(applications.reduce((s, x) => s + x.amount, 0));
  p.UnusedPayment = round2(totalAmount - usedTotal);
  p.UnusedCredits = 0;
  p.AppliedToTxnRet = applications.map(({ inv, amount: amt, discount }) => {
    inv.AppliedAmount = round2((inv.AppliedAmount as number) - amt - discount);
    recompute(inv);
    inv.LinkedTxn = [
      ...((inv.LinkedTxn as Rec[] | undefined) ?? []),
      { TxnID: p.TxnID, TxnType: 'ReceivePayment', TxnDate: p.TxnDate, RefNumber: p.RefNumber, LinkType: 'AMTTYPE', Amount: -amt },
    ];
    state.touch(inv, ms);
    const ret: Rec = {
      TxnID: inv.TxnID,
      TxnType: 'Invoice',
      TxnDate: inv.TxnDate,
      RefNumber: inv.RefNumber,
      BalanceRemaining: inv.BalanceRemaining,
      Amount: amt,
    };
    if (discount) ret.DiscountAmount = discount;
    return ret;
  });
  adjustBalance(customer, -totalAmount);
  state.payments.add(p);
  return ok('ReceivePaymentAddRs', writeRet('ReceivePaymentRet', p));
}
