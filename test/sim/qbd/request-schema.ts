/**
 * The simulator's own copy of the qbXML 13.0 request element orders (written independently of the
 * production builder's tables, from the qbXML OSR order as documented in qbwc.md §3.2/§3.3). QuickBooks
 * refuses a message whose children are out of order, unknown or missing (0x80040400); so does this.
 */
import { QbdRequestError, type XNode } from './xml-request';

const REF = ['ListID', 'FullName'];
const ADDRESS = ['Addr1', 'Addr2', 'Addr3', 'Addr4', 'Addr5', 'City', 'State', 'PostalCode', 'Country', 'Note'];
const LIST_QUERY = ['ListID', 'FullName', 'MaxReturned', 'ActiveStatus', 'FromModifiedDate', 'ToModifiedDate', 'NameFilter', 'NameRangeFilter'];
const TXN_QUERY_HEAD = [
  'TxnID',
  'RefNumber',
  'RefNumberCaseSensitive',
  'MaxReturned',
  'ModifiedDateRangeFilter',
  'TxnDateRangeFilter',
  'EntityFilter',
  'AccountFilter',
  'RefNumberFilter',
  'RefNumberRangeFilter',
  'CurrencyFilter',
];
const INVOICE_HEADER = [
  'ClassRef',
  'ARAccountRef',
  'TemplateRef',
  'TxnDate',
  'RefNumber',
  'BillAddress',
  'ShipAddress',
  'IsPending',
  'PONumber',
  'TermsRef',
  'DueDate',
  'SalesRepRef',
  'FOB',
  'ShipDate',
  'ShipMethodRef',
  'ItemSalesTaxRef',
  'Memo',
  'CustomerMsgRef',
  'IsToBePrinted',
  'IsToBeEmailed',
  'IsTaxIncluded',
  'CustomerSalesTaxCodeRef',
  'Other',
  'ExchangeRate',
];
const LINE = [
  'ItemRef',
  'Desc',
  'Quantity',
  'UnitOfMeasure',
  'OverrideUOMSetRef',
  'Rate|RatePercent|PriceLevelRef',
  'ClassRef',
  'Amount',
  'OptionForPriceRuleConflict',
  'InventorySiteRef',
  'InventorySiteLocationRef',
  'SerialNumber|LotNumber',
  'ServiceDate',
  'SalesTaxCodeRef',
  'OverrideItemAccountRef',
  'Other1',
  'Other2',
  'LinkToTxn',
  'DataExt',
];

/** Aggregate → its children in order; `A|B` = alternatives at one position (at most one of them). */
const ORDER: Record<string, readonly string[]> = {
  HostQueryRq: ['IncludeRetElement'],
  CompanyQueryRq: ['IncludeRetElement', 'OwnerID'],
  PreferencesQueryRq: ['IncludeRetElement'],
  CustomerQueryRq: [...LIST_QUERY, 'TotalBalanceFilter', 'CurrencyFilter', 'ClassFilter', 'IncludeRetElement', 'OwnerID'],
  ItemQueryRq: [...LIST_QUERY, 'IncludeRetElement', 'OwnerID'],
  VendorQueryRq: [...LIST_QUERY, 'TotalBalanceFilter', 'CurrencyFilter', 'ClassFilter', 'IncludeRetElement', 'OwnerID'],
  EmployeeQueryRq: [...LIST_QUERY, 'IncludeRetElement', 'OwnerID'],
  OtherNameQueryRq: [...LIST_QUERY, 'IncludeRetElement', 'OwnerID'],
  TermsQueryRq: [...LIST_QUERY, 'IncludeRetElement'],
  AccountQueryRq: [...LIST_QUERY, 'AccountType', 'CurrencyFilter', 'IncludeRetElement', 'OwnerID'],
  InvoiceQueryRq: [...TXN_QUERY_HEAD, 'PaidStatus', 'IncludeLineItems', 'IncludeLinkedTxns', 'IncludeRetElement', 'OwnerID'],
  ReceivePaymentQueryRq: [...TXN_QUERY_HEAD, 'IncludeLineItems', 'IncludeRetElement', 'OwnerID'],
  NameFilter: ['MatchCriterion', 'Name'],
  NameRangeFilter: ['FromName', 'ToName'],
  ModifiedDateRangeFilter: ['FromModifiedDate', 'ToModifiedDate'],
  TxnDateRangeFilter: ['FromTxnDate', 'ToTxnDate', 'DateMacro'],
  EntityFilter: ['ListID', 'FullName', 'ListIDWithChildren', 'FullNameWithChildren'],
  AccountFilter: ['ListID', 'FullName', 'ListIDWithChildren', 'FullNameWithChildren'],
  RefNumberFilter: ['MatchCriterion', 'RefNumber'],
  RefNumberRangeFilter: ['FromRefNumber', 'ToRefNumber'],
  CustomerAddRq: ['CustomerAdd', 'IncludeRetElement'],
  CustomerAdd: [
    'Name', 'IsActive', 'ClassRef', 'ParentRef', 'CompanyName', 'Salutation', 'FirstName', 'MiddleName', 'LastName',
    'JobTitle', 'BillAddress', 'ShipAddress', 'ShipToAddress', 'PrintAs', 'Phone', 'Mobile', 'Pager', 'AltPhone', 'Fax',
    'Email', 'Cc', 'Contact', 'AltContact', 'AdditionalContactRef', 'Contacts', 'CustomerTypeRef', 'TermsRef',
    'SalesRepRef', 'OpenBalance', 'OpenBalanceDate', 'SalesTaxCodeRef', 'ItemSalesTaxRef', 'SalesTaxCountry',
    'ResaleNumber', 'AccountNumber', 'CreditLimit', 'PreferredPaymentMethodRef', 'CreditCardInfo', 'JobStatus',
    'JobStartDate', 'JobProjectedEndDate', 'JobEndDate', 'JobDesc', 'JobTypeRef', 'Notes', 'AdditionalNotes',
    'PreferredDeliveryMethod', 'PriceLevelRef', 'ExternalGUID', 'CurrencyRef',
  ],
  BillAddress: ADDRESS,
  ShipAddress: ADDRESS,
  ItemServiceAddRq: ['ItemServiceAdd', 'IncludeRetElement'],
  ItemServiceAdd: [
    'Name', 'BarCode', 'IsActive', 'ClassRef', 'ParentRef', 'UnitOfMeasureSetRef', 'IsTaxIncluded', 'SalesTaxCodeRef',
    'SalesOrPurchase|SalesAndPurchase', 'ExternalGUID',
  ],
  ItemNonInventoryAddRq: ['ItemNonInventoryAdd', 'IncludeRetElement'],
  ItemNonInventoryAdd: [
    'Name', 'BarCode', 'IsActive', 'ClassRef', 'ParentRef', 'ManufacturerPartNumber', 'UnitOfMeasureSetRef',
    'IsTaxIncluded', 'SalesTaxCodeRef', 'SalesOrPurchase|SalesAndPurchase', 'ExternalGUID',
  ],
  SalesOrPurchase: ['Desc', 'Price|PricePercent', 'AccountRef'],
  SalesAndPurchase: [
    'SalesDesc', 'SalesPrice', 'IncomeAccountRef', 'PurchaseDesc', 'PurchaseCost', 'PurchaseTaxCodeRef',
    'ExpenseAccountRef', 'PrefVendorRef',
  ],
  InvoiceAddRq: ['InvoiceAdd', 'IncludeRetElement'],
  InvoiceAdd: ['CustomerRef', ...INVOICE_HEADER, 'ExternalGUID', 'LinkToTxnID', 'SetCredit', 'InvoiceLineAdd|InvoiceLineGroupAdd'],
  InvoiceLineAdd: LINE,
  InvoiceModRq: ['InvoiceMod', 'IncludeRetElement'],
  InvoiceMod: ['TxnID', 'EditSequence', 'CustomerRef', ...INVOICE_HEADER, 'SetCredit', 'InvoiceLineMod|InvoiceLineGroupMod'],
  InvoiceLineMod: ['TxnLineID', ...LINE],
  ReceivePaymentAddRq: ['ReceivePaymentAdd', 'IncludeRetElement'],
  ReceivePaymentAdd: [
    'CustomerRef', 'ARAccountRef', 'TxnDate', 'RefNumber', 'TotalAmount', 'ExchangeRate', 'PaymentMethodRef', 'Memo',
    'DepositToAccountRef', 'CreditCardTxnInfo', 'ExternalGUID', 'IsAutoApply|AppliedToTxnAdd',
  ],
  AppliedToTxnAdd: ['TxnID', 'PaymentAmount', 'SetCredit', 'DiscountAmount', 'DiscountAccountRef', 'DiscountClassRef'],
};

/** Required children per aggregate. */
const REQUIRED: Record<string, readonly string[]> = {
  CustomerAddRq: ['CustomerAdd'],
  CustomerAdd: ['Name'],
  ItemServiceAddRq: ['ItemServiceAdd'],
  ItemServiceAdd: ['Name'],
  ItemNonInventoryAddRq: ['ItemNonInventoryAdd'],
  ItemNonInventoryAdd: ['Name'],
  SalesOrPurchase: ['AccountRef'],
  SalesAndPurchase: ['IncomeAccountRef', 'ExpenseAccountRef'],
  InvoiceAddRq: ['InvoiceAdd'],
  InvoiceAdd: ['CustomerRef'],
  InvoiceModRq: ['InvoiceMod'],
  InvoiceMod: ['TxnID', 'EditSequence'],
  InvoiceLineMod: ['TxnLineID'],
  ReceivePaymentAddRq: ['ReceivePaymentAdd'],
  ReceivePaymentAdd: ['CustomerRef'],
  AppliedToTxnAdd: ['TxnID'],
  NameFilter: ['MatchCriterion', 'Name'],
  RefNumberFilter: ['MatchCriterion', 'RefNumber'],
};

/** Request elements this company answers. */
export const SUPPORTED_REQUESTS = new Set(Object.keys(ORDER).filter((k) => k.endsWith('Rq')));

/** The alternatives of a transaction / list query: these selectors exclude the filter set and each other. */
const SELECTORS = new Set(['ListID', 'FullName', 'TxnID', 'RefNumber', 'RefNumberCaseSensitive']);

function orderOf(name: string): readonly string[] | undefined {
  if (ORDER[name]) return ORDER[name];
  if (name.endsWith('Ref')) return REF;
  return undefined;
}

/** Throws QbdRequestError when `node`'s subtree breaks the schema order (recursively). */
export function validateOrder(node: XNode, path = node.name): void {
  const order = orderOf(node.name);
  if (order === undefined) {
    if (node.children.length > 0) throw new QbdRequestError(`${path}: element <${node.children[0]?.name}> not allowed here`);
    return;
  }
  if (node.text.trim() !== '') throw new QbdRequestError(`${path}: unexpected text`);
  let lastRank = -1;
  const usedAlt = new Map<number, string>();
  for (const c of node.children) {
    const rank = order.findIndex((slot) => slot.split('|').includes(c.name));
    if (rank === -1) throw new QbdRequestError(`${path}: element <${c.name}> not allowed here`);
    if (rank < lastRank) throw new QbdRequestError(`${path}: element <${c.name}> is out of schema order`);
    const alt = usedAlt.get(rank);
    if (alt !== undefined && alt !== c.name && !c.name.startsWith('InvoiceLine')) {
      throw new QbdRequestError(`${path}: <${c.name}> and <${alt}> are alternatives`);
    }
    usedAlt.set(rank, c.name);
    lastRank = rank;
    validateOrder(c, `${path}.${c.name}`);
  }
  for (const r of REQUIRED[node.name] ?? []) {
    if (!node.children.some((c) => c.name === r)) throw new QbdRequestError(`${path}: required element <${r}> missing`);
  }
  if (node.name.endsWith('QueryRq')) {
    const selectors = new Set(node.children.filter((c) => SELECTORS.has(c.name)).map((c) => c.name));
    const filters = node.children.filter((c) => !SELECTORS.has(c.name) && ORDER[node.name]!.indexOf(c.name) < ORDER[node.name]!.indexOf('IncludeRetElement') && c.name !== 'PaidStatus' && c.name !== 'IncludeLineItems' && c.name !== 'IncludeLinkedTxns');
    if (selectors.size > 1 || (selectors.size === 1 && filters.length > 0)) {
      throw new QbdRequestError(`${path}: ${[...selectors].join('/')} cannot be combined with other filters`);
    }
    if (node.children.some((c) => c.name === 'ModifiedDateRangeFilter') && node.children.some((c) => c.name === 'TxnDateRangeFilter')) {
      throw new QbdRequestError(`${path}: ModifiedDateRangeFilter and TxnDateRangeFilter are alternatives`);
    }
  }
  if (node.name.endsWith('Ref') && node.children.length === 0) throw new QbdRequestError(`${path}: needs ListID or FullName`);
}
