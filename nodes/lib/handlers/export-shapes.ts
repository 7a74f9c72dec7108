/**
 * BluBilling records → the write payloads of the two editions: qbXML Add fields (QuickBooks Desktop,
 * element names of CustomerAdd / InvoiceAdd / ReceivePaymentAdd; the qbXML builder orders them) or
 * QuickBooks Online JSON entities (Customer / Invoice / Payment). References that are only known once
 * another job is complete are `JobRef`s; the caller lists them in `dependsOn`.
 */
import type { Edition } from '../company/types';
import type { FieldCut, JobRef, WritePayload } from '../jobs';
import { roundCents, toLatin1 } from '../util/text';

export interface BluCustomer {
  id: string | number;
  name: string;
  companyName?: string | null;
  email?: string | null;
  phone?: string | null;
  /** `state` is accepted as another name of `region` (the state, province or county). */
  billingAddress?: { line1?: string | null; line2?: string | null; city?: string | null; region?: string | null; state?: string | null; postalCode?: string | null; country?: string | null };
  createdAt: string;
}

export interface BluInvoiceLine {
  chargeId: string | number;
  description?: string | null;
  quantity: number;
  unitPrice: number;
}

export interface BluInvoice {
  id: string | number;
  invoiceNumber: string | number;
  customerId: string | number;
  invoiceDate: string;
  dueDate?: string;
  createdAt: string;
  memo?: string | null;
  lines: BluInvoiceLine[];
}

export interface BluPayment {
  id: string | number;
  customerId: string | number;
  invoiceId: string | number;
  paymentDate: string;
  createdAt: string;
  amount: number;
  method?: string | null;
  reference?: string | null;
}

/** A QuickBooks id known now, or the job whose result will give it. */
export type QbRef = string | JobRef;

/** The QuickBooks item of one invoice line (from the charge mapping). */
export interface LineItem {
  qbId: string;
  name: string;
}

/** Longest RefNumber / DocNumber each edition stores (qbXML InvoiceAdd/ReceivePaymentAdd 11; QBO 21). */
export const REF_MAX: Readonly<Record<Edition, number>> = { qbd: 11, qbo: 21 };
const QBD_NAME_MAX = 41;

/** Characters that separate the parts of a number: a cut number never starts with one. */
const SEPARATORS = /^[-_./:#\s]+/;

/**
 * A document number cut to the edition's limit. The end is kept, not the start ("INV-2026-000123" →
 * "2026-000123"), because invoice numbers differ at their end and the number is the look-up key after
 * an unknown outcome; a cut never leaves a separator first ("ABCD-1234567890" → "1234567890"). Desktop
 * text is also made Latin-1. `cuts` receives what was cut.
 */
export function docNumber(edition: Edition, value: string | number, cuts?: FieldCut[], field = edition === 'qbd' ? 'RefNumber' : 'DocNumber'): string {
  const text = edition === 'qbd' ? toLatin1(value) : String(value);
  const max = REF_MAX[edition];
  if (text.length <= max) return text;
  const cut = text.slice(text.length - max).replace(SEPARATORS, '');
  cuts?.push({ field, from: String(value), to: cut, max });
  return cut;
}

/**
 * The name a customer gets in QuickBooks (the look-up key): QBD Name ≤ 41 Latin-1 characters; QBO
 * DisplayName, where ":", tabs and new lines are not allowed (each becomes a space, runs of spaces one).
 */
export function customerName(edition: Edition, name: string, cuts?: FieldCut[]): string {
  if (edition === 'qbd') {
    const full = toLatin1(name.trim()).trim();
    const cut = full.slice(0, QBD_NAME_MAX).trim();
    if (cut !== full) cuts?.push({ field: 'Name', from: name, to: cut, max: QBD_NAME_MAX });
    return cut;
  }
  return name.replace(/[:\t\r\n]/g, ' ').replace(/ {2,}/g, ' ').trim();
}

/** A text cut to `max` characters, reporting the cut. */
function cutText(field: string, value: string | undefined, max: number, cuts: FieldCut[]): string | undefined {
  if (value === undefined || value.length <= max) return value;
  const to = value.slice(0, max).trim();
  cuts.push({ field, from: value, to, max });
  return to;
}

/** What was cut, as said on the job, e.g. `RefNumber "INV-2026-000123" cut to "2026-000123" (QuickBooks keeps 11 characters)`. */
export function cutNote(cuts: FieldCut[] | undefined): string | undefined {
  if (!cuts?.length) return undefined;
  return cuts.map((c) => `${c.field} "${c.from}" cut to "${c.to}" (QuickBooks keeps ${c.max} characters)`).join('; ');
}

/** The payload with its cuts, when there were any. */
function withCuts(payload: WritePayload, cuts: FieldCut[]): WritePayload {
  return cuts.length ? { ...payload, cut: cuts } : payload;
}

function compact<T extends Record<string, unknown>>(obj: T): T {
  for (const k of Object.keys(obj)) if (obj[k] === undefined || obj[k] === null || obj[k] === '') delete obj[k];
  return obj;
}

function present(value: string | null | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** Desktop limits the exporter cuts to (and reports): CompanyName 41, Phone 21 (qbwc.md §3.5). */
const QBD_COMPANY_MAX = 41;
const QBD_PHONE_MAX = 21;
const QBD_METHOD_MAX = 31;

/** CustomerAdd / QBO Customer. A name, company name or phone cut to QuickBooks' length is listed in `cut`. */
export function customerPayload(edition: Edition, c: BluCustomer): WritePayload {
  const cuts: FieldCut[] = [];
  const name = customerName(edition, c.name, cuts);
  const a = c.billingAddress ?? {};
  const region = present(a.region) ?? present(a.state);
  if (edition === 'qbd') {
    const address = compact({ Addr1: present(a.line1), Addr2: present(a.line2), City: present(a.city), State: region, PostalCode: present(a.postalCode), Country: present(a.country) });
    const fields = compact({
      Name: name, CompanyName: cutText('CompanyName', present(c.companyName) && toLatin1(present(c.companyName)), QBD_COMPANY_MAX, cuts),
      BillAddress: Object.keys(address).length ? address : undefined,
      Phone: cutText('Phone', present(c.phone) && toLatin1(present(c.phone)), QBD_PHONE_MAX, cuts), Email: present(c.email) && toLatin1(present(c.email)),
    });
    return withCuts({ entity: 'Customer', fields, lookup: { field: 'Name', value: name } }, cuts);
  }
  const address = compact({ Line1: present(a.line1), Line2: present(a.line2), City: present(a.city), CountrySubDivisionCode: region, PostalCode: present(a.postalCode), Country: present(a.country) });
  const fields = compact({
    DisplayName: name, CompanyName: present(c.companyName), BillAddr: Object.keys(address).length ? address : undefined,
    PrimaryEmailAddr: present(c.email) ? { Address: present(c.email) } : undefined,
    PrimaryPhone: present(c.phone) ? { FreeFormNumber: present(c.phone) } : undefined,
  });
  return withCuts({ entity: 'Customer', fields, lookup: { field: 'DisplayName', value: name } }, cuts);
}

/**
 * InvoiceAdd / QBO Invoice: CustomerRef, TxnDate = invoiceDate, RefNumber/DocNumber = the BluBilling
 * invoice number, one line per charge line (ItemRef from the charge mapping, Desc, Quantity, Rate;
 * QBO Amount = Qty × UnitPrice in cents). `items` has one entry per line, in order.
 */
export function invoicePayload(edition: Edition, inv: BluInvoice, customer: QbRef, items: LineItem[]): WritePayload {
  const cuts: FieldCut[] = [];
  const number = docNumber(edition, inv.invoiceNumber, cuts);
  const full = String(inv.invoiceNumber);
  const memo = [number !== full ? `BluBilling invoice ${full}` : undefined, present(inv.memo)].filter(Boolean).join(' - ') || undefined;
  if (edition === 'qbd') {
    const fields = compact({
      CustomerRef: { ListID: customer }, TxnDate: inv.invoiceDate, RefNumber: number, DueDate: inv.dueDate, Memo: memo && toLatin1(memo),
      InvoiceLineAdd: inv.lines.map((l, i) => compact({ ItemRef: { ListID: items[i].qbId }, Desc: present(l.description) && toLatin1(present(l.description)), Quantity: l.quantity, Rate: l.unitPrice })),
    });
    return withCuts({ entity: 'Invoice', fields, lookup: { field: 'RefNumber', value: number } }, cuts);
  }
  const fields = compact({
    CustomerRef: { value: customer }, TxnDate: inv.invoiceDate, DocNumber: number, DueDate: inv.dueDate, PrivateNote: memo,
    Line: inv.lines.map((l, i) => compact({
      DetailType: 'SalesItemLineDetail', Amount: roundCents(l.quantity * l.unitPrice), Description: present(l.description),
      SalesItemLineDetail: { ItemRef: { value: items[i].qbId, name: items[i].name }, Qty: l.quantity, UnitPrice: l.unitPrice },
    })),
  });
  return withCuts({ entity: 'Invoice', fields, lookup: { field: 'DocNumber', value: number } }, cuts);
}

/**
 * ReceivePaymentAdd / QBO Payment, applied to its invoice: AppliedToTxnAdd TxnID / LinkedTxn TxnId.
 * The payment's reference becomes RefNumber / PaymentRefNum (else its id); the method becomes the
 * payment's method reference by name (Desktop PaymentMethodRef FullName, resolved by QuickBooks; Online
 * `PaymentMethodRef: {name}`, looked up by the sender).
 */
export function paymentPayload(edition: Edition, p: BluPayment, customer: QbRef, invoice: QbRef): WritePayload {
  const cuts: FieldCut[] = [];
  const ref = docNumber(edition, present(p.reference) ?? String(p.id), cuts, edition === 'qbd' ? 'RefNumber' : 'PaymentRefNum');
  const method = present(p.method);
  const amount = roundCents(p.amount);
  if (edition === 'qbd') {
    const fields = compact({
      CustomerRef: { ListID: customer }, TxnDate: p.paymentDate, RefNumber: ref, TotalAmount: amount,
      PaymentMethodRef: method ? { FullName: toLatin1(method, QBD_METHOD_MAX).trim() } : undefined,
      AppliedToTxnAdd: [{ TxnID: invoice, PaymentAmount: amount }],
    });
    return withCuts({ entity: 'Payment', fields, lookup: { field: 'RefNumber', value: ref } }, cuts);
  }
  const fields = compact({
    CustomerRef: { value: customer }, TotalAmt: amount, TxnDate: p.paymentDate, PaymentRefNum: ref,
    PaymentMethodRef: method ? { name: method } : undefined,
    Line: [{ Amount: amount, LinkedTxn: [{ TxnId: invoice, TxnType: 'Invoice' }] }],
  });
  return withCuts({ entity: 'Payment', fields, lookup: { field: 'RefNumber', value: ref } }, cuts);
}
