/**
 * The match-issue taxonomy: every reason an app record has no QuickBooks match, with the title and
 * resolution text BlueTrace's and BluBilling's help pages give (the seeds), so admins see the same
 * words. Where a seed is silent the text is ours and says what to do.
 */
export type MatchKind = 'item' | 'customer' | 'charge';

export type IssueCode =
  | 'missing-sku'
  | 'duplicate-sku'
  | 'item-not-found'
  | 'ambiguous-sku'
  | 'duplicate-item-name'
  | 'missing-email'
  | 'customer-not-found'
  | 'duplicate-customer-name'
  | 'duplicate-match'
  | 'missing-price-code'
  | 'unmapped-charge';

export interface IssueText {
  code: IssueCode;
  kind: MatchKind;
  title: string;
  resolution: string;
}

export const ISSUES: Readonly<Record<IssueCode, IssueText>> = Object.freeze({
  'missing-sku': {
    code: 'missing-sku', kind: 'item', title: 'Item is missing a SKU in BlueTrace',
    resolution: 'Enter the SKU and the system will look for a match in QB.',
  },
  'duplicate-sku': {
    code: 'duplicate-sku', kind: 'item', title: 'Duplicate SKU in BlueTrace',
    resolution: "You can't have duplicate SKUs in BlueTrace: give each item its own SKU, then click Re-sync.",
  },
  'item-not-found': {
    code: 'item-not-found', kind: 'item', title: 'Item Not Found in QB',
    resolution:
      "There was no item in QB with a matching SKU - if you're sure there's an item that matches, find it in QB, " +
      'enter the SKU, then click "Re-sync" in BlueTrace, otherwise you can create a new item in QB.',
  },
  'ambiguous-sku': {
    code: 'ambiguous-sku', kind: 'item', title: 'Several items in QB share the SKU',
    resolution:
      'More than one QuickBooks product/service has this SKU, so the system will not guess: change the SKU of all ' +
      'but the right one in QB and click "Re-sync", or link the item to the right QuickBooks item.',
  },
  'duplicate-item-name': {
    code: 'duplicate-item-name', kind: 'item', title: 'Duplicate Item Name in QB',
    resolution:
      "Quickbooks doesn't allow you to create 2 products/services/items with the same name, you may want to edit " +
      'the name of the item in BlueTrace or find the item in QB and change the name there.',
  },
  'missing-email': {
    code: 'missing-email', kind: 'customer', title: 'Customer is missing a billing email in BlueTrace',
    resolution: 'Enter the billing email and the system will look for a match in QB.',
  },
  'customer-not-found': {
    code: 'customer-not-found', kind: 'customer', title: 'Customer Not Found in QB',
    resolution:
      "There was no Customer in QB with a matching billing email - if you're sure there's a customer that matches, " +
      'find it in QB, enter the billing email, then click "Re-sync" in BlueTrace, otherwise you can create a new ' +
      'customer in QB.',
  },
  'duplicate-customer-name': {
    code: 'duplicate-customer-name', kind: 'customer', title: 'Duplicate Name in QB',
    resolution:
      "Quickbooks doesn't allow you to create 2 customers with the same name, you may want to edit the name of the " +
      'customer in BlueTrace or find the customer in QB and change the name there.',
  },
  'duplicate-match': {
    code: 'duplicate-match', kind: 'customer', title: 'Duplicate Match in QB',
    resolution:
      'There may be more than one customer in Quickbooks and in BlueTrace that share a billing email address. In the ' +
      'case when there are multiple customer records sharing an email, you simply need to select the matching ' +
      'customers between the two systems.',
  },
  'missing-price-code': {
    code: 'missing-price-code', kind: 'charge', title: 'Charge has no Price Code',
    resolution:
      'In Plans and Charges, edit the charge and enter the QuickBooks Item Name in the text box by "Price Code", ' +
      'exactly as it appears under the Name column in the Item List.',
  },
  'unmapped-charge': {
    code: 'unmapped-charge', kind: 'charge', title: 'No QuickBooks item named as the Price Code',
    resolution:
      'When entering the Price Code please make sure that it is entered Exactly as it appears under the Name column ' +
      'in the Item List (import Items from QuickBooks first if the list is empty).',
  },
});

/** The issue to report when a record has no usable key, per kind. */
export const MISSING_KEY: Record<MatchKind, IssueCode> = { item: 'missing-sku', customer: 'missing-email', charge: 'missing-price-code' };
/** The issue when nothing in QuickBooks has the key. */
export const NOT_FOUND: Record<MatchKind, IssueCode> = { item: 'item-not-found', customer: 'customer-not-found', charge: 'unmapped-charge' };
/** The issue when several app records share one key. */
export const APP_DUPLICATE: Record<Exclude<MatchKind, 'charge'>, IssueCode> = { item: 'duplicate-sku', customer: 'duplicate-match' };
/** The issue when several QuickBooks records share one key. */
export const QB_DUPLICATE: Record<MatchKind, IssueCode> = { item: 'ambiguous-sku', customer: 'duplicate-match', charge: 'unmapped-charge' };
/** The issue when creating the missing QuickBooks record collides with an existing name. */
export const NAME_TAKEN: Partial<Record<MatchKind, IssueCode>> = { item: 'duplicate-item-name', customer: 'duplicate-customer-name' };
