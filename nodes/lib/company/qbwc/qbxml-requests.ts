/**
 * Typed inputs of the qbXML request builder. Field names are the qbXML element names; the builder
 * orders them by the schema (qbxml-schema.ts), so key order in these objects never matters.
 * Dates are `YYYY-MM-DD` strings (or Date), date-times `YYYY-MM-DDThh:mm:ss[±hh:mm]` (or Date),
 * amounts numbers or numeric strings.
 */

/** A list reference. ListID wins when both are given (QuickBooks ignores FullName then). A plain string is a FullName. */
export type QbRef = { ListID?: string; FullName?: string } | string;
export type QbAmount = number | string;
export type QbDate = string | Date;
export type OneOrMany<T> = T | readonly T[];

export interface QbAddress {
  Addr1?: string;
  Addr2?: string;
  Addr3?: string;
  Addr4?: string;
  Addr5?: string;
  City?: string;
  State?: string;
  PostalCode?: string;
  Country?: string;
  Note?: string;
}

export type ActiveStatus = 'ActiveOnly' | 'InactiveOnly' | 'All';
export type MatchCriterion = 'StartsWith' | 'Contains' | 'EndsWith';

/** CustomerQueryRq / ItemQueryRq: either ListID, or FullName, or the filter fields. */
export interface ListQuery {
  ListID?: OneOrMany<string>;
  FullName?: OneOrMany<string>;
  MaxReturned?: number;
  ActiveStatus?: ActiveStatus;
  FromModifiedDate?: QbDate;
  ToModifiedDate?: QbDate;
  NameFilter?: { MatchCriterion: MatchCriterion; Name: string };
  NameRangeFilter?: { FromName?: string; ToName?: string };
  IncludeRetElement?: OneOrMany<string>;
  OwnerID?: OneOrMany<string>;
}

export interface EntityFilter {
  ListID?: OneOrMany<string>;
  FullName?: OneOrMany<string>;
  ListIDWithChildren?: string;
  FullNameWithChildren?: string;
}

/** InvoiceQueryRq / ReceivePaymentQueryRq: TxnID, or RefNumber, or the filter fields. */
export interface TxnQuery {
  TxnID?: OneOrMany<string>;
  RefNumber?: OneOrMany<string>;
  RefNumberCaseSensitive?: OneOrMany<string>;
  MaxReturned?: number;
  ModifiedDateRangeFilter?: { FromModifiedDate?: QbDate; ToModifiedDate?: QbDate };
  TxnDateRangeFilter?: { FromTxnDate?: QbDate; ToTxnDate?: QbDate; DateMacro?: string };
  EntityFilter?: EntityFilter;
  AccountFilter?: EntityFilter;
  RefNumberFilter?: { MatchCriterion: MatchCriterion; RefNumber: string };
  RefNumberRangeFilter?: { FromRefNumber?: string; ToRefNumber?: string };
  IncludeLineItems?: boolean;
  IncludeRetElement?: OneOrMany<string>;
  OwnerID?: OneOrMany<string>;
}
export interface InvoiceQuery extends TxnQuery {
  PaidStatus?: 'All' | 'PaidOnly' | 'NotPaidOnly';
  IncludeLinkedTxns?: boolean;
}

export interface CustomerAdd {
  Name: string;
  IsActive?: boolean;
  ClassRef?: QbRef;
  ParentRef?: QbRef;
  CompanyName?: string;
  Salutation?: string;
  FirstName?: string;
  MiddleName?: string;
  LastName?: string;
  JobTitle?: string;
  BillAddress?: QbAddress;
  ShipAddress?: QbAddress;
  PrintAs?: string;
  Phone?: string;
  AltPhone?: string;
  Fax?: string;
  Email?: string;
  Cc?: string;
  Contact?: string;
  AltContact?: string;
  CustomerTypeRef?: QbRef;
  TermsRef?: QbRef;
  SalesRepRef?: QbRef;
  OpenBalance?: QbAmount;
  OpenBalanceDate?: QbDate;
  SalesTaxCodeRef?: QbRef;
  ItemSalesTaxRef?: QbRef;
  ResaleNumber?: string;
  AccountNumber?: string;
  CreditLimit?: QbAmount;
  PreferredPaymentMethodRef?: QbRef;
  JobStatus?: 'Awarded' | 'Closed' | 'InProgress' | 'None' | 'NotAwarded' | 'Pending';
  Notes?: string;
}

export interface SalesOrPurchase {
  Desc?: string;
  Price?: QbAmount;
  PricePercent?: number;
  AccountRef: QbRef;
}
export interface SalesAndPurchase {
  SalesDesc?: string;
  SalesPrice?: QbAmount;
  IncomeAccountRef: QbRef;
  PurchaseDesc?: string;
  PurchaseCost?: QbAmount;
  PurchaseTaxCodeRef?: QbRef;
  ExpenseAccountRef: QbRef;
  PrefVendorRef?: QbRef;
}
export interface ItemServiceAdd {
  Name: string;
  IsActive?: boolean;
  ClassRef?: QbRef;
  ParentRef?: QbRef;
  UnitOfMeasureSetRef?: QbRef;
  IsTaxIncluded?: boolean;
  SalesTaxCodeRef?: QbRef;
  SalesOrPurchase?: SalesOrPurchase;
  SalesAndPurchase?: SalesAndPurchase;
}
export interface ItemNonInventoryAdd extends ItemServiceAdd {
  ManufacturerPartNumber?: string;
}

export interface InvoiceLineAdd {
  ItemRef?: QbRef;
  Desc?: string;
  Quantity?: number | string;
  UnitOfMeasure?: string;
  Rate?: QbAmount;
  RatePercent?: number | string;
  PriceLevelRef?: QbRef;
  ClassRef?: QbRef;
  Amount?: QbAmount;
  InventorySiteRef?: QbRef;
  ServiceDate?: QbDate;
  SalesTaxCodeRef?: QbRef;
  OverrideItemAccountRef?: QbRef;
  Other1?: string;
  Other2?: string;
}
export interface InvoiceLineMod extends InvoiceLineAdd {
  /** An existing line's TxnLineID, or "-1" for a new line. */
  TxnLineID: string;
}

interface InvoiceHeader {
  ClassRef?: QbRef;
  ARAccountRef?: QbRef;
  TemplateRef?: QbRef;
  TxnDate?: QbDate;
  RefNumber?: string;
  BillAddress?: QbAddress;
  ShipAddress?: QbAddress;
  IsPending?: boolean;
  PONumber?: string;
  TermsRef?: QbRef;
  DueDate?: QbDate;
  SalesRepRef?: QbRef;
  FOB?: string;
  ShipDate?: QbDate;
  ShipMethodRef?: QbRef;
  ItemSalesTaxRef?: QbRef;
  Memo?: string;
  CustomerMsgRef?: QbRef;
  IsToBePrinted?: boolean;
  IsToBeEmailed?: boolean;
  IsTaxIncluded?: boolean;
  CustomerSalesTaxCodeRef?: QbRef;
  Other?: string;
}
export interface InvoiceAdd extends InvoiceHeader {
  CustomerRef: QbRef;
  LinkToTxnID?: OneOrMany<string>;
  InvoiceLineAdd?: OneOrMany<InvoiceLineAdd>;
}
export interface InvoiceMod extends InvoiceHeader {
  TxnID: string;
  EditSequence: string;
  CustomerRef?: QbRef;
  /** When given, lines not listed are deleted by QuickBooks; TxnLineID "-1" adds a line. */
  InvoiceLineMod?: OneOrMany<InvoiceLineMod>;
}

export interface AppliedToTxnAdd {
  TxnID: string;
  PaymentAmount?: QbAmount;
  DiscountAmount?: QbAmount;
  DiscountAccountRef?: QbRef;
}
export interface ReceivePaymentAdd {
  CustomerRef: QbRef;
  ARAccountRef?: QbRef;
  TxnDate?: QbDate;
  RefNumber?: string;
  TotalAmount?: QbAmount;
  PaymentMethodRef?: QbRef;
  Memo?: string;
  DepositToAccountRef?: QbRef;
  IsAutoApply?: boolean;
  AppliedToTxnAdd?: OneOrMany<AppliedToTxnAdd>;
}

/** Attributes every request may carry. `iterator`/`iteratorID` only on queries. */
interface RequestBase {
  requestID?: string;
}
interface QueryBase extends RequestBase {
  iterator?: 'Start' | 'Continue' | 'Stop';
  iteratorID?: string;
}

/** One request of a message set. */
export type QbxmlRequest =
  | (QueryBase & { type: 'CustomerQuery'; data?: ListQuery })
  | (QueryBase & { type: 'ItemQuery'; data?: ListQuery })
  | (RequestBase & { type: 'VendorQuery'; data?: ListQuery })
  | (RequestBase & { type: 'EmployeeQuery'; data?: ListQuery })
  | (RequestBase & { type: 'OtherNameQuery'; data?: ListQuery })
  | (RequestBase & { type: 'TermsQuery'; data?: Omit<ListQuery, 'OwnerID'> })
  | (RequestBase & { type: 'AccountQuery'; data?: Omit<ListQuery, 'OwnerID'> })
  | (QueryBase & { type: 'InvoiceQuery'; data?: InvoiceQuery })
  | (QueryBase & { type: 'ReceivePaymentQuery'; data?: TxnQuery })
  | (RequestBase & { type: 'CustomerAdd'; data: CustomerAdd })
  | (RequestBase & { type: 'ItemServiceAdd'; data: ItemServiceAdd })
  | (RequestBase & { type: 'ItemNonInventoryAdd'; data: ItemNonInventoryAdd })
  | (RequestBase & { type: 'InvoiceAdd'; data: InvoiceAdd })
  | (RequestBase & { type: 'InvoiceMod'; data: InvoiceMod })
  | (RequestBase & { type: 'ReceivePaymentAdd'; data: ReceivePaymentAdd });

export type OnError = 'stopOnError' | 'continueOnError';

export interface BuildOptions {
  /** Default `stopOnError`. */
  onError?: OnError;
  /** qbXML version of the `<?qbxml?>` PI; default `13.0`. */
  version?: string;
}
