/**
 * qbXML element order tables. The qbXML schema is a sequence: children must appear in exactly this
 * order or QuickBooks rejects the whole message (0x80040400). The builder walks these tables, so the
 * order of the keys in the caller's object never matters.
 *
 * Sources: qbwc.md §3.2/§3.3 and the wire examples (section C); where those are silent, the qbXML 13.0
 * OSR order (only the subset this package sends is listed).
 */
import type { OverLength } from './qbxml-text';

export type FieldKind =
  | 'text' // STRTYPE: Latin-1, escaped, length-checked
  | 'id' // IDTYPE / EditSequence / GUID: escaped only
  | 'money' // AMTTYPE: two decimals
  | 'price' // PRICETYPE: 2..5 decimals
  | 'quantity' // QUANTYPE / PERCENTTYPE
  | 'int'
  | 'bool'
  | 'date' // DATETYPE
  | 'datetime' // DATETIMETYPE
  | 'enum'
  | 'ref' // {ListID, FullName}
  | 'aggregate';

export interface FieldSpec {
  readonly name: string;
  readonly kind: FieldKind;
  /** Maximum length in characters (text). */
  readonly max?: number;
  /** What to do with over-long text; default 'throw'. */
  readonly overLength?: OverLength;
  /** The element may repeat; the input may then be an array. */
  readonly repeat?: boolean;
  readonly required?: boolean;
  readonly values?: readonly string[];
  readonly children?: readonly FieldSpec[];
  /**
   * Schema choice: fields sharing `choice` belong to alternatives; all fields present must share the
   * same `alt` (e.g. ListID* | FullName* | the filter set).
   */
  readonly choice?: string;
  readonly alt?: string;
  /** Fields sharing `exclusive` may not appear together (one-of inside a filter set). */
  readonly exclusive?: string;
}

export interface MessageDef {
  /** Request element, e.g. `CustomerAddRq`. */
  readonly rq: string;
  /** Element wrapping the fields inside the Rq (`CustomerAdd`, `InvoiceMod`); queries have none. */
  readonly wrapper?: string;
  /** Queries accept iterator / iteratorID attributes. */
  readonly iterator: boolean;
  readonly fields: readonly FieldSpec[];
}

const text = (name: string, max: number, overLength: OverLength = 'throw', extra: Partial<FieldSpec> = {}): FieldSpec => ({
  name,
  kind: 'text',
  max,
  overLength,
  ...extra,
});
const ref = (name: string, extra: Partial<FieldSpec> = {}): FieldSpec => ({ name, kind: 'ref', ...extra });
const of = (name: string, kind: FieldKind, extra: Partial<FieldSpec> = {}): FieldSpec => ({ name, kind, ...extra });

/** Any `…Ref/FullName` is at most 209 characters (qbwc.md §3.5). */
export const REF_FIELDS: readonly FieldSpec[] = [of('ListID', 'id'), text('FullName', 209)];

/** Address aggregate (BillAddress / ShipAddress). Descriptive text: truncated. */
export const ADDRESS: readonly FieldSpec[] = [
  text('Addr1', 41, 'truncate'),
  text('Addr2', 41, 'truncate'),
  text('Addr3', 41, 'truncate'),
  text('Addr4', 41, 'truncate'),
  text('Addr5', 41, 'truncate'),
  text('City', 31, 'truncate'),
  text('State', 21, 'truncate'),
  text('PostalCode', 13, 'truncate'),
  text('Country', 31, 'truncate'),
  text('Note', 41, 'truncate'),
];

const ACTIVE_STATUS = ['ActiveOnly', 'InactiveOnly', 'All'] as const;
const MATCH = ['StartsWith', 'Contains', 'EndsWith'] as const;

const NAME_FILTER: readonly FieldSpec[] = [
  of('MatchCriterion', 'enum', { values: MATCH, required: true }),
  text('Name', 209, 'throw', { required: true }),
];
const NAME_RANGE_FILTER: readonly FieldSpec[] = [text('FromName', 209), text('ToName', 209)];

/**
 * CustomerQueryRq / ItemQueryRq: ListID* | FullName* | filter set, then IncludeRetElement*, OwnerID*.
 * TermsQueryRq and AccountQueryRq take the same leading children; they are built without OwnerID
 * (AccountQueryRq's AccountType filter is not needed by the imports and left out).
 */
function listQuery(options: { ownerId: boolean } = { ownerId: true }): readonly FieldSpec[] {
  const f = { choice: 'select', alt: 'filters' };
  return [
    of('ListID', 'id', { repeat: true, choice: 'select', alt: 'ListID' }),
    text('FullName', 209, 'throw', { repeat: true, choice: 'select', alt: 'FullName' }),
    of('MaxReturned', 'int', f),
    of('ActiveStatus', 'enum', { ...f, values: ACTIVE_STATUS }),
    of('FromModifiedDate', 'datetime', f),
    of('ToModifiedDate', 'datetime', f),
    of('NameFilter', 'aggregate', { ...f, children: NAME_FILTER, exclusive: 'nameFilter' }),
    of('NameRangeFilter', 'aggregate', { ...f, children: NAME_RANGE_FILTER, exclusive: 'nameFilter' }),
    text('IncludeRetElement', 50, 'throw', { repeat: true }),
    ...(options.ownerId ? [of('OwnerID', 'id', { repeat: true })] : []),
  ];
}

const MODIFIED_RANGE: readonly FieldSpec[] = [of('FromModifiedDate', 'datetime'), of('ToModifiedDate', 'datetime')];
const TXN_DATE_RANGE: readonly FieldSpec[] = [
  of('FromTxnDate', 'date', { choice: 'txnDate', alt: 'range' }),
  of('ToTxnDate', 'date', { choice: 'txnDate', alt: 'range' }),
  of('DateMacro', 'enum', {
    choice: 'txnDate',
    alt: 'macro',
    values: [
      'All', 'Today', 'ThisWeek', 'ThisWeekToDate', 'ThisMonth', 'ThisMonthToDate', 'ThisCalendarQuarter',
      'ThisCalendarQuarterToDate', 'ThisFiscalQuarter', 'ThisFiscalQuarterToDate', 'ThisCalendarYear',
      'ThisCalendarYearToDate', 'ThisFiscalYear', 'ThisFiscalYearToDate', 'Yesterday', 'LastWeek',
      'LastWeekToDate', 'LastMonth', 'LastMonthToDate', 'LastCalendarQuarter', 'LastCalendarQuarterToDate',
      'LastFiscalQuarter', 'LastFiscalQuarterToDate', 'LastCalendarYear', 'LastCalendarYearToDate',
      'LastFiscalYear', 'LastFiscalYearToDate', 'NextWeek', 'NextFourWeeks', 'NextMonth',
      'NextCalendarQuarter', 'NextCalendarYear', 'NextFiscalQuarter', 'NextFiscalYear',
    ],
  }),
];
const ENTITY_FILTER: readonly FieldSpec[] = [
  of('ListID', 'id', { repeat: true, choice: 'entity', alt: 'ListID' }),
  text('FullName', 209, 'throw', { repeat: true, choice: 'entity', alt: 'FullName' }),
  of('ListIDWithChildren', 'id', { choice: 'entity', alt: 'ListIDWithChildren' }),
  text('FullNameWithChildren', 209, 'throw', { choice: 'entity', alt: 'FullNameWithChildren' }),
];
const REF_NUMBER_FILTER: readonly FieldSpec[] = [
  of('MatchCriterion', 'enum', { values: MATCH, required: true }),
  text('RefNumber', 11, 'throw', { required: true }),
];
const REF_NUMBER_RANGE_FILTER: readonly FieldSpec[] = [text('FromRefNumber', 11), text('ToRefNumber', 11)];

/** InvoiceQueryRq / ReceivePaymentQueryRq. */
function txnQuery(withPaidStatus: boolean, withLinkedTxns: boolean): readonly FieldSpec[] {
  const f = { choice: 'select', alt: 'filters' };
  const fields: FieldSpec[] = [
    of('TxnID', 'id', { repeat: true, choice: 'select', alt: 'TxnID' }),
    text('RefNumber', 11, 'throw', { repeat: true, choice: 'select', alt: 'RefNumber' }),
    text('RefNumberCaseSensitive', 11, 'throw', { repeat: true, choice: 'select', alt: 'RefNumberCaseSensitive' }),
    of('MaxReturned', 'int', f),
    // ModifiedDateRangeFilter | TxnDateRangeFilter: never both (wire examples §C).
    of('ModifiedDateRangeFilter', 'aggregate', { ...f, children: MODIFIED_RANGE, exclusive: 'dateFilter' }),
    of('TxnDateRangeFilter', 'aggregate', { ...f, children: TXN_DATE_RANGE, exclusive: 'dateFilter' }),
    of('EntityFilter', 'aggregate', { ...f, children: ENTITY_FILTER }),
    of('AccountFilter', 'aggregate', { ...f, children: ENTITY_FILTER }),
    of('RefNumberFilter', 'aggregate', { ...f, children: REF_NUMBER_FILTER, exclusive: 'refFilter' }),
    of('RefNumberRangeFilter', 'aggregate', { ...f, children: REF_NUMBER_RANGE_FILTER, exclusive: 'refFilter' }),
  ];
  if (withPaidStatus) fields.push(of('PaidStatus', 'enum', { ...f, values: ['All', 'PaidOnly', 'NotPaidOnly'] }));
  fields.push(of('IncludeLineItems', 'bool'));
  if (withLinkedTxns) fields.push(of('IncludeLinkedTxns', 'bool'));
  fields.push(text('IncludeRetElement', 50, 'throw', { repeat: true }), of('OwnerID', 'id', { repeat: true }));
  return fields;
}

/** CustomerAdd (qbwc.md §3.3, qbXML 13.0 subset). Identity fields throw when too long; descriptive text truncates. */
const CUSTOMER_ADD: readonly FieldSpec[] = [
  text('Name', 41, 'throw', { required: true }),
  of('IsActive', 'bool'),
  ref('ClassRef'),
  ref('ParentRef'),
  text('CompanyName', 41, 'truncate'),
  text('Salutation', 15, 'truncate'),
  text('FirstName', 25, 'truncate'),
  text('MiddleName', 5, 'truncate'),
  text('LastName', 25, 'truncate'),
  text('JobTitle', 41, 'truncate'),
  of('BillAddress', 'aggregate', { children: ADDRESS }),
  of('ShipAddress', 'aggregate', { children: ADDRESS }),
  text('PrintAs', 41, 'truncate'),
  text('Phone', 21, 'throw'),
  text('AltPhone', 21, 'throw'),
  text('Fax', 21, 'throw'),
  text('Email', 1023, 'throw'),
  text('Cc', 1023, 'throw'),
  text('Contact', 41, 'truncate'),
  text('AltContact', 41, 'truncate'),
  ref('CustomerTypeRef'),
  ref('TermsRef'),
  ref('SalesRepRef'),
  of('OpenBalance', 'money'),
  of('OpenBalanceDate', 'date'),
  ref('SalesTaxCodeRef'),
  ref('ItemSalesTaxRef'),
  text('ResaleNumber', 15, 'throw'),
  text('AccountNumber', 99, 'throw'),
  of('CreditLimit', 'money'),
  ref('PreferredPaymentMethodRef'),
  of('JobStatus', 'enum', { values: ['Awarded', 'Closed', 'InProgress', 'None', 'NotAwarded', 'Pending'] }),
  text('Notes', 4095, 'truncate'),
];

const SALES_OR_PURCHASE: readonly FieldSpec[] = [
  text('Desc', 4095, 'truncate'),
  of('Price', 'price', { choice: 'price', alt: 'Price' }),
  of('PricePercent', 'quantity', { choice: 'price', alt: 'PricePercent' }),
  ref('AccountRef', { required: true }),
];
const SALES_AND_PURCHASE: readonly FieldSpec[] = [
  text('SalesDesc', 4095, 'truncate'),
  of('SalesPrice', 'price'),
  ref('IncomeAccountRef', { required: true }),
  text('PurchaseDesc', 4095, 'truncate'),
  of('PurchaseCost', 'price'),
  ref('PurchaseTaxCodeRef'),
  ref('ExpenseAccountRef', { required: true }),
  ref('PrefVendorRef'),
];
const SALES_CHOICE = [
  of('SalesOrPurchase', 'aggregate', { children: SALES_OR_PURCHASE, choice: 'sales', alt: 'or' }),
  of('SalesAndPurchase', 'aggregate', { children: SALES_AND_PURCHASE, choice: 'sales', alt: 'and' }),
];

/**
 * ItemServiceAdd: Name, IsActive, ClassRef, ParentRef, UnitOfMeasureSetRef, IsTaxIncluded, SalesTaxCodeRef,
 * SalesOrPurchase|SalesAndPurchase; ItemNonInventoryAdd adds ManufacturerPartNumber after ParentRef.
 */
function itemAdd(options: { partNumber: boolean }): readonly FieldSpec[] {
  return [
    text('Name', 31, 'throw', { required: true }),
    of('IsActive', 'bool'),
    ref('ClassRef'),
    ref('ParentRef'),
    ...(options.partNumber ? [text('ManufacturerPartNumber', 31, 'throw')] : []),
    ref('UnitOfMeasureSetRef'),
    of('IsTaxIncluded', 'bool'),
    ref('SalesTaxCodeRef'),
    ...SALES_CHOICE,
  ];
}

const INVOICE_LINE_ADD: readonly FieldSpec[] = [
  ref('ItemRef'),
  text('Desc', 4095, 'truncate'),
  of('Quantity', 'quantity'),
  text('UnitOfMeasure', 31, 'throw'),
  of('Rate', 'price', { choice: 'rate', alt: 'Rate' }),
  of('RatePercent', 'quantity', { choice: 'rate', alt: 'RatePercent' }),
  ref('PriceLevelRef', { choice: 'rate', alt: 'PriceLevelRef' }),
  ref('ClassRef'),
  of('Amount', 'money'),
  ref('InventorySiteRef'),
  of('ServiceDate', 'date'),
  ref('SalesTaxCodeRef'),
  ref('OverrideItemAccountRef'),
  text('Other1', 29, 'truncate'),
  text('Other2', 29, 'truncate'),
];
const INVOICE_LINE_MOD: readonly FieldSpec[] = [of('TxnLineID', 'id', { required: true }), ...INVOICE_LINE_ADD];

/** Header of InvoiceAdd / InvoiceMod (qbwc.md §3.3). */
function invoiceHeader(): FieldSpec[] {
  return [
    ref('ClassRef'),
    ref('ARAccountRef'),
    ref('TemplateRef'),
    of('TxnDate', 'date'),
    text('RefNumber', 11, 'throw'),
    of('BillAddress', 'aggregate', { children: ADDRESS }),
    of('ShipAddress', 'aggregate', { children: ADDRESS }),
    of('IsPending', 'bool'),
    text('PONumber', 25, 'throw'),
    ref('TermsRef'),
    of('DueDate', 'date'),
    ref('SalesRepRef'),
    text('FOB', 13, 'truncate'),
    of('ShipDate', 'date'),
    ref('ShipMethodRef'),
    ref('ItemSalesTaxRef'),
    text('Memo', 4095, 'truncate'),
    ref('CustomerMsgRef'),
    of('IsToBePrinted', 'bool'),
    of('IsToBeEmailed', 'bool'),
    of('IsTaxIncluded', 'bool'),
    ref('CustomerSalesTaxCodeRef'),
    text('Other', 29, 'truncate'),
  ];
}

const INVOICE_ADD: readonly FieldSpec[] = [
  ref('CustomerRef', { required: true }),
  ...invoiceHeader(),
  of('LinkToTxnID', 'id', { repeat: true }),
  of('InvoiceLineAdd', 'aggregate', { children: INVOICE_LINE_ADD, repeat: true }),
];

const INVOICE_MOD: readonly FieldSpec[] = [
  of('TxnID', 'id', { required: true }),
  of('EditSequence', 'id', { required: true }),
  ref('CustomerRef'),
  ...invoiceHeader(),
  of('InvoiceLineMod', 'aggregate', { children: INVOICE_LINE_MOD, repeat: true }),
];

const APPLIED_TO_TXN_ADD: readonly FieldSpec[] = [
  of('TxnID', 'id', { required: true }),
  of('PaymentAmount', 'money'),
  of('DiscountAmount', 'money'),
  ref('DiscountAccountRef'),
];

/** ReceivePaymentAdd (qbwc.md §3.3): … CreditCardTxnInfo, then IsAutoApply | AppliedToTxnAdd*. */
const RECEIVE_PAYMENT_ADD: readonly FieldSpec[] = [
  ref('CustomerRef', { required: true }),
  ref('ARAccountRef'),
  of('TxnDate', 'date'),
  text('RefNumber', 11, 'throw'),
  of('TotalAmount', 'money'),
  ref('PaymentMethodRef'),
  text('Memo', 4095, 'truncate'),
  ref('DepositToAccountRef'),
  of('IsAutoApply', 'bool', { choice: 'apply', alt: 'auto' }),
  of('AppliedToTxnAdd', 'aggregate', { children: APPLIED_TO_TXN_ADD, repeat: true, choice: 'apply', alt: 'txn' }),
];

/** Every request message the builder knows, by message name. */
export const MESSAGES = {
  CustomerQuery: { rq: 'CustomerQueryRq', iterator: true, fields: listQuery() },
  ItemQuery: { rq: 'ItemQueryRq', iterator: true, fields: listQuery() },
  // Who else holds a name (3100: names are shared by customers, vendors, employees and other names).
  VendorQuery: { rq: 'VendorQueryRq', iterator: false, fields: listQuery() },
  EmployeeQuery: { rq: 'EmployeeQueryRq', iterator: false, fields: listQuery() },
  OtherNameQuery: { rq: 'OtherNameQueryRq', iterator: false, fields: listQuery() },
  TermsQuery: { rq: 'TermsQueryRq', iterator: false, fields: listQuery({ ownerId: false }) },
  AccountQuery: { rq: 'AccountQueryRq', iterator: false, fields: listQuery({ ownerId: false }) },
  InvoiceQuery: { rq: 'InvoiceQueryRq', iterator: true, fields: txnQuery(true, true) },
  ReceivePaymentQuery: { rq: 'ReceivePaymentQueryRq', iterator: true, fields: txnQuery(false, false) },
  CustomerAdd: { rq: 'CustomerAddRq', wrapper: 'CustomerAdd', iterator: false, fields: CUSTOMER_ADD },
  ItemServiceAdd: { rq: 'ItemServiceAddRq', wrapper: 'ItemServiceAdd', iterator: false, fields: itemAdd({ partNumber: false }) },
  ItemNonInventoryAdd: {
    rq: 'ItemNonInventoryAddRq',
    wrapper: 'ItemNonInventoryAdd',
    iterator: false,
    fields: itemAdd({ partNumber: true }),
  },
  InvoiceAdd: { rq: 'InvoiceAddRq', wrapper: 'InvoiceAdd', iterator: false, fields: INVOICE_ADD },
  InvoiceMod: { rq: 'InvoiceModRq', wrapper: 'InvoiceMod', iterator: false, fields: INVOICE_MOD },
  ReceivePaymentAdd: {
    rq: 'ReceivePaymentAddRq',
    wrapper: 'ReceivePaymentAdd',
    iterator: false,
    fields: RECEIVE_PAYMENT_ADD,
  },
} as const satisfies Record<string, MessageDef>;

export type MessageType = keyof typeof MESSAGES;
