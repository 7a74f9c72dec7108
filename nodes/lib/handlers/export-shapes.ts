/**
 * BluBilling records → the write payloads of the two editions: qbXML Add fields (QuickBooks Desktop,
 * element names of CustomerAdd / InvoiceAdd / ReceivePaymentAdd; the qbXML builder orders them) or
 * QuickBooks Online JSON entities (Customer / Invoice / Payment). References that are only known once
 * another job is complete are `JobRef`s; the caller lists them in `dependsOn`.
 */
import type { Edition } from '../company/types';
import type { JobRef, WritePayload } from '../jobs';
import { roundCents, toLatin1 } from '../util/text';

export interface BluCustomer {
  id: string | number;
  name: string;
  companyName?: string | null;
  email?: string | null;
  phone?: string | null;
  billingAddress?: { line1?: string | null; line2?: string | null; city?: string | null; region?: string | null; postalCode?: string | null; country?: string | null };
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

/**
 * A document number cut to the edition's limit. The end is kept, not the start ("INV-2026-000123" →
 * "2026-000123"), because invoice numbers differ at their end and the number is the look-up key after
 * an unknown outcome. Desktop text is also made Latin-1.
 */
export function docNumber(edition: Edition, value: string | number): string {
  const text = edition === 'qbd' ? toLatin1(value) : String(value);
  const max = REF_MAX[edition];
  return text.length > max ? text.slice(text.length - max) : text;
}

/**
 * The name a customer gets in QuickBooks (the look-up key): QBD Name ≤ 41 Latin-1 characters; QBO
 * DisplayName, where ":", tabs and new lines are not allowed (each becomes a space, runs of spaces one).
 */
export function customerName(edition: Edition, name: string): string {
  if (edition === 'qbd') return toLatin1(name.trim(), QBD_NAME_MAX).trim();
  return name.replace(/[:\t\r\n]/g, ' ').replace(/ {2,}/g, ' ').trim();
}

function compact<T extends Record<string, unknown>>(obj: T): T {
  for (const k of Object.keys(obj)) if (obj[k] === undefined || obj[k] === null || obj[k] === '') delete obj[k];
  return obj;
}

function present(value: string | null | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** CustomerAdd / QBO Customer. */
export function customerPayload(edition: Edition, c: BluCustomer): WritePayload {
  const name = customerName(edition, c.name);
  const a = c.billingAddress ?? {};
  if (edition === 'qbd') {
    const address = compact({ Addr1: present(a.line1), Addr2: present(a.line2), City: present(a.city), State: present(a.region), PostalCode: present(a.postalCode), Country: present(a.country) });
    const fields = compact({
      Name: name, CompanyName: present(c.companyName), BillAddress: Object.keys(address).length ? address : undefined,
      Phone: present(c.phone) && toLatin1(present(c.phone), 21).trim(), Email: present(c.email) && toLatin1(present(c.email)),
    });
    return { entity: 'Customer', fields, lookup: { field: 'Name', value: name } };
  }
  const address = compact({ Line1: present(a.line1), Line2: present(a.line2), City: present(a.city), CountrySubDivisionCode: present(a.region), PostalCode: present(a.postalCode), Country: present(a.country) });
  const fields = compact({
    DisplayName: name, CompanyName: present(c.companyName), BillAddr: Object.keys(address).length ? address : undefined,
    PrimaryEmailAddr: present(c.email) ? { Address: present(c.email) } : undefined,
    PrimaryPhone: present(c.phone) ? { FreeFormNumber: present(c.phone) } : undefined,
  });
  return { entity: 'Customer', fields, lookup: { field: 'DisplayName', value: name } };
}

/**
 * InvoiceAdd / QBO Invoice: CustomerRef, TxnDate = invoiceDate, RefNumber/DocNumber = the BluBilling
 * invoice number, one line per charge line (ItemRef from the charge mapping, Desc, Quantity, Rate;
 * QBO Amount = Qty × UnitPrice in cents). `items` has one entry per line, in order.
 */
export function invoicePayload(edition: Edition, inv: BluInvoice, customer: QbRef, items: LineItem[]): WritePayload {
  const number = docNumber(edition, inv.invoiceNumber);
  const full = String(inv.invoiceNumber);
  const memo = [number !== full ? `BluBilling invoice ${full}` : undefined, present(inv.memo)].filter(Boolean).join(' - ') || undefined;
  if (edition === 'qbd') {
    const fields = compact({
      CustomerRef: { ListID: customer }, TxnDate: inv.invoiceDate, RefNumber: number, DueDate: inv.dueDate, Memo: memo && toLatin1(memo),
      InvoiceLineAdd: inv.lines.map((l, i) => compact({ ItemRef: { ListID: items[i].qbId }, Desc: present(l.description) && toLatin1(present(l.description)), Quantity: l.quantity, Rate: l.unitPrice })),
    });
    return { entity: 'Invoice', fields, lookup: { field: 'RefNumber', value: number } };
  }
  const fields = compact({
    CustomerRef: { value: customer }, TxnDate: inv.invoiceDate, DocNumber: number, DueDate: inv.dueDate, PrivateNote: memo,
    Line: inv.lines.map((l, i) => compact({
      DetailType: 'SalesItemLineDetail', Amount: roundCents(l.quantity * l.unitPrice), Description: present(l.description),
      SalesItemLineDetail: { ItemRef: { value: items[i].qbId, name: items[i].name }, Qty: l.quantity, UnitPrice: l.unitPrice },
    })),
  });
  return { entity: 'Invoice', fields, lookup: { field: 'DocNumber', value: number } };
}

/**
 * ReceivePaymentAdd / QBO Payment, applied to its invoice: AppliedToTxnAdd TxnID / LinkedTxn TxnId.
 * The payment's reference becomes RefNumber / PaymentRefNum (else its id); the method goes in the memo
 * (a PaymentMethodRef would have to name a method that exists in QuickBooks).
 */
export function paymentPayload(edition: Edition, p: BluPayment, customer: QbRef, invoice: QbRef): WritePayload {
  const ref = docNumber(edition, present(p.reference) ?? String(p.id));
  const memo = present(p.method) ? `BluBilling payment by ${present(p.method)}` : undefined;
  const amount = roundCents(p.amount);
  if (edition === 'qbd') {
    const fields = compact({
      CustomerRef: { ListID: customer }, TxnDate: p.paymentDate, RefNumber: ref, TotalAmount: amount, Memo: memo && toLatin1(memo),
      AppliedToTxnAdd: [{ TxnID: invoice, PaymentAmount: amount }],
    });
    return { entity: 'Payment', fields, lookup: { field: 'RefNumber', value: ref } };
  }
  const fields = compact({
    CustomerRef: { value: customer }, TotalAmt: amount, TxnDate: p.paymentDate, PaymentRefNum: ref, PrivateNote: memo,
    Line: [{ Amount: amount, LinkedTxn: [{ TxnId: invoice, TxnType: 'Invoice' }] }],
  });
  return { entity: 'Payment', fields, lookup: { field: 'RefNumber', value: ref } };
}
