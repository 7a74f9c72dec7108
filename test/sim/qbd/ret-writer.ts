/**
 * Writes `…Ret` elements and the response envelope the way QuickBooks does: children in the OSR order,
 * one element per line, `&` `<` `>` escaped in text (and `"` in attributes), self-closing `…Rs` when
 * there is nothing to return.
 */

export type Rec = Record<string, unknown>;

const STD_LIST_HEAD = ['ListID', 'TimeCreated', 'TimeModified', 'EditSequence', 'Name', 'FullName'];
const TXN_HEAD = ['TxnID', 'TimeCreated', 'TimeModified', 'EditSequence', 'TxnNumber'];

/** Ret element → children in order. Nested aggregates are looked up by their own element name. */
export const RET_ORDER: Record<string, readonly string[]> = {
  VendorRet: [...STD_LIST_HEAD.filter((f) => f !== 'FullName'), 'IsActive', 'CompanyName', 'Phone', 'Email', 'Notes', 'Balance', 'DataExtRet'],
  EmployeeRet: [...STD_LIST_HEAD.filter((f) => f !== 'FullName'), 'IsActive', 'FirstName', 'LastName', 'Phone', 'Email', 'DataExtRet'],
  OtherNameRet: [...STD_LIST_HEAD.filter((f) => f !== 'FullName'), 'IsActive', 'CompanyName', 'Phone', 'Email', 'Notes', 'DataExtRet'],
  CustomerRet: [
    ...STD_LIST_HEAD, 'IsActive', 'ClassRef', 'ParentRef', 'Sublevel', 'CompanyName', 'Salutation', 'FirstName',
    'MiddleName', 'LastName', 'JobTitle', 'BillAddress', 'ShipAddress', 'PrintAs', 'Phone', 'Mobile', 'Pager',
    'AltPhone', 'Fax', 'Email', 'Cc', 'Contact', 'AltContact', 'CustomerTypeRef', 'TermsRef', 'SalesRepRef',
    'Balance', 'TotalBalance', 'SalesTaxCodeRef', 'ItemSalesTaxRef', 'ResaleNumber', 'AccountNumber', 'CreditLimit',
    'PreferredPaymentMethodRef', 'JobStatus', 'Notes', 'DataExtRet',
  ],
  ItemServiceRet: [
    ...STD_LIST_HEAD, 'IsActive', 'ClassRef', 'ParentRef', 'Sublevel', 'UnitOfMeasureSetRef', 'IsTaxIncluded',
    'SalesTaxCodeRef', 'SalesOrPurchase', 'SalesAndPurchase', 'DataExtRet',
  ],
  ItemNonInventoryRet: [
    ...STD_LIST_HEAD, 'IsActive', 'ClassRef', 'ParentRef', 'Sublevel', 'ManufacturerPartNumber', 'UnitOfMeasureSetRef',
    'IsTaxIncluded', 'SalesTaxCodeRef', 'SalesOrPurchase', 'SalesAndPurchase', 'DataExtRet',
  ],
  ItemOtherChargeRet: [
    ...STD_LIST_HEAD, 'IsActive', 'ClassRef', 'ParentRef', 'Sublevel', 'IsTaxIncluded', 'SalesTaxCodeRef',
    'SalesOrPurchase', 'SalesAndPurchase', 'DataExtRet',
  ],
  ItemInventoryRet: [
    ...STD_LIST_HEAD, 'IsActive', 'ClassRef', 'ParentRef', 'Sublevel', 'ManufacturerPartNumber', 'UnitOfMeasureSetRef',
    'IsTaxIncluded', 'SalesTaxCodeRef', 'SalesDesc', 'SalesPrice', 'IncomeAccountRef', 'PurchaseDesc', 'PurchaseCost',
    'PurchaseTaxCodeRef', 'COGSAccountRef', 'PrefVendorRef', 'AssetAccountRef', 'ReorderPoint', 'Max', 'QuantityOnHand',
    'AverageCost', 'QuantityOnOrder', 'QuantityOnSalesOrder', 'DataExtRet',
  ],
  ItemDiscountRet: [
    ...STD_LIST_HEAD, 'IsActive', 'ClassRef', 'ParentRef', 'Sublevel', 'ItemDesc', 'SalesTaxCodeRef', 'DiscountRate',
    'DiscountRatePercent', 'AccountRef', 'DataExtRet',
  ],
  SalesOrPurchase: ['Desc', 'Price', 'PricePercent', 'AccountRef'],
  SalesAndPurchase: [
    'SalesDesc', 'SalesPrice', 'IncomeAccountRef', 'PurchaseDesc', 'PurchaseCost', 'PurchaseTaxCodeRef',
    'ExpenseAccountRef', 'PrefVendorRef',
  ],
  StandardTermsRet: ['ListID', 'TimeCreated', 'TimeModified', 'EditSequence', 'Name', 'IsActive', 'StdDueDays', 'StdDiscountDays', 'DiscountPct'],
  AccountRet: [
    ...STD_LIST_HEAD, 'IsActive', 'ParentRef', 'Sublevel', 'AccountType', 'AccountNumber', 'Desc', 'Balance', 'TotalBalance',
  ],
  InvoiceRet: [
    ...TXN_HEAD, 'CustomerRef', 'ClassRef', 'ARAccountRef', 'TemplateRef', 'TxnDate', 'RefNumber', 'BillAddress',
    'ShipAddress', 'IsPending', 'IsFinanceCharge', 'PONumber', 'TermsRef', 'DueDate', 'SalesRepRef', 'FOB', 'ShipDate',
    'ShipMethodRef', 'Subtotal', 'ItemSalesTaxRef', 'SalesTaxPercentage', 'SalesTaxTotal', 'AppliedAmount',
    'BalanceRemaining', 'Memo', 'IsPaid', 'CustomerMsgRef', 'IsToBePrinted', 'IsToBeEmailed', 'IsTaxIncluded',
    'CustomerSalesTaxCodeRef', 'Other', 'LinkedTxn', 'InvoiceLineRet', 'DataExtRet',
  ],
  InvoiceLineRet: [
    'TxnLineID', 'ItemRef', 'Desc', 'Quantity', 'UnitOfMeasure', 'Rate', 'RatePercent', 'ClassRef', 'Amount',
    'ServiceDate', 'SalesTaxCodeRef', 'Other1', 'Other2',
  ],
  ReceivePaymentRet: [
    ...TXN_HEAD, 'CustomerRef', 'ARAccountRef', 'TxnDate', 'RefNumber', 'TotalAmount', 'PaymentMethodRef', 'Memo',
    'DepositToAccountRef', 'UnusedPayment', 'UnusedCredits', 'AppliedToTxnRet', 'DataExtRet',
  ],
  AppliedToTxnRet: ['TxnID', 'TxnType', 'TxnDate', 'RefNumber', 'BalanceRemaining', 'Amount', 'DiscountAmount'],
  LinkedTxn: ['TxnID', 'TxnType', 'TxnDate', 'RefNumber', 'LinkType', 'Amount'],
  DataExtRet: ['OwnerID', 'DataExtName', 'DataExtType', 'DataExtValue'],
  BillAddress: ['Addr1', 'Addr2', 'Addr3', 'Addr4', 'Addr5', 'City', 'State', 'PostalCode', 'Country', 'Note'],
  ShipAddress: ['Addr1', 'Addr2', 'Addr3', 'Addr4', 'Addr5', 'City', 'State', 'PostalCode', 'Country', 'Note'],
};

const MONEY = new Set([
  'Balance', 'TotalBalance', 'CreditLimit', 'AverageCost', 'Subtotal', 'SalesTaxTotal', 'AppliedAmount',
  'BalanceRemaining', 'Amount', 'TotalAmount', 'UnusedPayment', 'UnusedCredits', 'DiscountAmount', 'DiscountRate',
]);
const PRICE = new Set(['Rate', 'Price', 'SalesPrice', 'PurchaseCost']);

const NEEDS_ESCAPE = /[&<>]/;
export function escapeText(s: string): string {
  return NEEDS_ESCAPE.test(s) ? s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;') : s;
}
export function escapeAttr(s: string): string {
  return escapeText(s).replace(/"/g, '&quot;');
}

function formatNumber(name: string, n: number): string {
  if (MONEY.has(name)) return n.toFixed(2);
  if (PRICE.has(name)) {
    const s = (Math.round(n * 1e5) / 1e5).toFixed(5);
    return s.replace(/0{1,3}$/, '');
  }
  return String(n);
}

function writeValue(name: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return `<${name}>${escapeText(value)}</${name}>`;
  if (typeof value === 'number') return `<${name}>${formatNumber(name, value)}</${name}>`;
  if (typeof value === 'boolean') return `<${name}>${value ? 'true' : 'false'}</${name}>`;
  if (Array.isArray(value)) {
    let out = '';
    for (const v of value) out += writeValue(name, v);
    return out;
  }
  const rec = value as Rec;
  const order = RET_ORDER[name] ?? (name.endsWith('Ref') ? ['ListID', 'TxnID', 'FullName'] : Object.keys(rec));
  let out = `<${name}>\n`;
  for (const k of order) {
    const v = rec[k];
    if (v !== undefined && v !== null) out += `${writeValue(k, v)}\n`;
  }
  return `${out}</${name}>`;
}

/**
 * One `…Ret` element from a stored record. Keys starting with `_` are internal and never written.
 * `include` (IncludeRetElement) limits the top-level children written; `omit` leaves some out.
 */
export function writeRet(retName: string, rec: Rec, include?: ReadonlySet<string>, omit?: ReadonlySet<string>): string {
  const order = RET_ORDER[retName] ?? Object.keys(rec);
  const filterInclude = include !== undefined && include.size > 0;
  const filterOmit = omit !== undefined && omit.size > 0;
  let out = `<${retName}>\n`;
  for (const k of order) {
    const v = rec[k];
    if (v === undefined || v === null) continue;
    if (filterInclude && !include.has(k)) continue;
    if (filterOmit && omit.has(k)) continue;
    out += `${writeValue(k, v)}\n`;
  }
  return `${out}</${retName}>`;
}

export interface RsParts {
  name: string;
  requestID?: string;
  statusCode: number;
  statusSeverity: 'Info' | 'Warn' | 'Error';
  statusMessage: string;
  iteratorRemainingCount?: number;
  iteratorID?: string;
  body?: string[];
}

export function writeRs(rs: RsParts): string {
  let attrs = '';
  if (rs.requestID !== undefined) attrs += ` requestID="${escapeAttr(rs.requestID)}"`;
  attrs += ` statusCode="${rs.statusCode}" statusSeverity="${rs.statusSeverity}" statusMessage="${escapeAttr(rs.statusMessage)}"`;
  if (rs.iteratorRemainingCount !== undefined) attrs += ` iteratorRemainingCount="${rs.iteratorRemainingCount}"`;
  if (rs.iteratorID !== undefined) attrs += ` iteratorID="${escapeAttr(rs.iteratorID)}"`;
  if (!rs.body || rs.body.length === 0) return `<${rs.name}${attrs} />`;
  return `<${rs.name}${attrs}>\n${rs.body.join('\n')}\n</${rs.name}>`;
}

/** The response document around the `…Rs` elements (shape of qbwc-wire-examples.md §B). */
export function writeResponse(rsElements: readonly string[]): string {
  return `<?xml version="1.0" ?>\n<QBXML>\n<QBXMLMsgsRs>\n${rsElements.map((r) => `${r}\n`).join('')}</QBXMLMsgsRs>\n</QBXML>\n`;
}
