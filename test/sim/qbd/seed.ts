/**
 * Seed data: records put straight into the company (no request), for tests and benchmarks.
 * Names are unique per list, case-insensitively; parents must be seeded before their children.
 */
import type { Rec } from './ret-writer';
import { refTo, type CompanyState, type ItemType, type ListStore } from './store';

type When = string | Date;

export interface CustomerSeed {
  Name: string;
  ParentName?: string;
  IsActive?: boolean;
  CompanyName?: string;
  FirstName?: string;
  LastName?: string;
  Phone?: string;
  Email?: string;
  BillAddress?: Record<string, string>;
  TermsName?: string;
  Balance?: number;
  TimeCreated?: When;
  TimeModified?: When;
  /** UI custom fields, returned as DataExtRet when the query has an OwnerID. */
  DataExt?: { OwnerID?: string; DataExtName: string; DataExtValue: string }[];
}

export interface ItemSeed {
  type: ItemType;
  Name: string;
  ParentName?: string;
  IsActive?: boolean;
  Desc?: string;
  /** Sales price (or the discount amount for ItemDiscount when no percentage is given). */
  Price?: number;
  DiscountRatePercent?: number;
  AccountName?: string;
  ManufacturerPartNumber?: string;
  SalesTaxCode?: string;
  QuantityOnHand?: number;
  PurchaseCost?: number;
  TimeCreated?: When;
  TimeModified?: When;
}

export interface TermsSeed {
  Name: string;
  StdDueDays?: number;
  IsActive?: boolean;
}

export interface AccountSeed {
  Name: string;
  AccountType: string;
  AccountNumber?: string;
}

export interface SeedData {
  /** Add the standard accounts, terms, payment methods and tax codes (default true; constructor only). */
  defaults?: boolean;
  accounts?: AccountSeed[];
  terms?: TermsSeed[];
  paymentMethods?: string[];
  salesTaxCodes?: string[];
  customers?: CustomerSeed[];
  items?: ItemSeed[];
  /** Other names (Other Names list): they share the name space with customers (3100). */
  otherNames?: string[];
  /** Vendors and employees by name: in the same name space (3100), answered by VendorQuery / EmployeeQuery. */
  vendors?: Array<string | { Name: string; IsActive?: boolean }>;
  employees?: Array<string | { Name: string; IsActive?: boolean }>;
}

export function defaultSeed(): SeedData {
  return {
    accounts: [
      { Name: 'Checking', AccountType: 'Bank' },
      { Name: 'Accounts Receivable', AccountType: 'AccountsReceivable' },
      { Name: 'Undeposited Funds', AccountType: 'OtherCurrentAsset' },
      { Name: 'Inventory Asset', AccountType: 'OtherCurrentAsset' },
      { Name: 'Service Income', AccountType: 'Income' },
      { Name: 'Merchandise Sales', AccountType: 'Income' },
      { Name: 'Shipping Income', AccountType: 'Income' },
      { Name: 'Discounts Given', AccountType: 'Income' },
      { Name: 'Cost of Goods Sold', AccountType: 'CostOfGoodsSold' },
    ],
    terms: [
      { Name: 'Due on receipt', StdDueDays: 0 },
      { Name: 'Net 15', StdDueDays: 15 },
      { Name: 'Net 30', StdDueDays: 30 },
    ],
    paymentMethods: ['Cash', 'Check', 'Visa', 'MasterCard'],
    salesTaxCodes: ['Tax', 'Non'],
  };
}

function ms(state: CompanyState, when: When | undefined, fallback: number): number {
  if (when === undefined) return fallback;
  const t = typeof when === 'string' ? Date.parse(when) : when.getTime();
  if (!Number.isFinite(t)) throw new Error(`seed: invalid time ${String(when)}`);
  return t;
}

function newListRecord(state: CompanyState, store: ListStore, kind: string, name: string, parentName?: string, created?: When, modified?: When): Rec {
  const parent = parentName === undefined ? undefined : store.byName.get(parentName.toLowerCase());
  if (parentName !== undefined && !parent) throw new Error(`seed: parent "${parentName}" of "${name}" not found`);
  const fullName = parent ? `${parent.FullName as string}:${name}` : name;
  if (store.byName.has(fullName.toLowerCase())) throw new Error(`seed: "${fullName}" already exists`);
  const now = state.now();
  const c = ms(state, created, ms(state, modified, now));
  const rec: Rec = { _kind: kind, ListID: state.ids.listId(c), Name: name, FullName: fullName, IsActive: true };
  state.stampNew(rec, c);
  const m = ms(state, modified, c);
  if (m !== c) state.touch(rec, m);
  if (parent) rec.ParentRef = refTo(parent);
  rec.Sublevel = parent ? (parent.Sublevel as number) + 1 : 0;
  return rec;
}

function account(state: CompanyState, name: string): { ListID: string; FullName: string } {
  const rec = state.accounts.byName.get(name.toLowerCase());
  if (!rec) throw new Error(`seed: account "${name}" not found`);
  return refTo(rec);
}

const DEFAULT_ACCOUNT: Record<ItemType, string> = {
  ItemService: 'Service Income',
  ItemNonInventory: 'Merchandise Sales',
  ItemOtherCharge: 'Shipping Income',
  ItemInventory: 'Merchandise Sales',
  ItemDiscount: 'Discounts Given',
};

/** Puts seed records into the company. */
export function seedListRecords(state: CompanyState, data: SeedData): void {
  for (const a of data.accounts ?? []) {
    const rec = newListRecord(state, state.accounts, 'Account', a.Name);
    rec.AccountType = a.AccountType;
    if (a.AccountNumber !== undefined) rec.AccountNumber = a.AccountNumber;
    rec.Balance = 0;
    rec.TotalBalance = 0;
    state.accounts.add(rec);
  }
  for (const t of data.terms ?? []) {
    const rec = newListRecord(state, state.terms, 'Terms', t.Name);
    rec.IsActive = t.IsActive ?? true;
    rec.StdDueDays = t.StdDueDays ?? 0;
    state.terms.add(rec);
  }
  for (const p of data.paymentMethods ?? []) state.paymentMethods.add(newListRecord(state, state.paymentMethods, 'PaymentMethod', p));
  for (const c of data.salesTaxCodes ?? []) state.salesTaxCodes.add(newListRecord(state, state.salesTaxCodes, 'SalesTaxCode', c));
  for (const n of data.otherNames ?? []) {
    state.otherNames.add(n.toLowerCase());
    state.otherNameList.add(newListRecord(state, state.otherNameList, 'OtherName', n));
  }
  for (const [list, kind, names] of [[state.vendors, 'Vendor', data.vendors], [state.employees, 'Employee', data.employees]] as const) {
    for (const entry of names ?? []) {
      const v = typeof entry === 'string' ? { Name: entry } : entry;
      state.otherNames.add(v.Name.toLowerCase());
      const rec = newListRecord(state, list, kind, v.Name);
      rec.IsActive = v.IsActive ?? true;
      list.add(rec);
    }
  }
  for (const c of data.customers ?? []) {
    if (state.otherNames.has(c.Name.toLowerCase()) && c.ParentName === undefined) throw new Error(`seed: "${c.Name}" is another name`);
    const rec = newListRecord(state, state.customers, 'Customer', c.Name, c.ParentName, c.TimeCreated, c.TimeModified);
    rec.IsActive = c.IsActive ?? true;
    for (const f of ['CompanyName', 'FirstName', 'LastName', 'Phone', 'Email'] as const) if (c[f] !== undefined) rec[f] = c[f];
    if (c.BillAddress) rec.BillAddress = { ...c.BillAddress };
    if (c.TermsName !== undefined) {
      const t = state.terms.byName.get(c.TermsName.toLowerCase());
      if (!t) throw new Error(`seed: terms "${c.TermsName}" not found`);
      rec.TermsRef = refTo(t);
    }
    rec.Balance = c.Balance ?? 0;
    rec.TotalBalance = c.Balance ?? 0;
    rec.JobStatus = 'None';
    if (c.DataExt) {
      rec.DataExtRet = c.DataExt.map((d) => ({ OwnerID: d.OwnerID ?? '0', DataExtName: d.DataExtName, DataExtType: 'STR255TYPE', DataExtValue: d.DataExtValue }));
    }
    state.customers.add(rec);
  }
  for (const it of data.items ?? []) {
    const rec = newListRecord(state, state.items, 'Item', it.Name, it.ParentName, it.TimeCreated, it.TimeModified);
    rec._type = it.type;
    rec.IsActive = it.IsActive ?? true;
    if (it.ManufacturerPartNumber !== undefined) rec.ManufacturerPartNumber = it.ManufacturerPartNumber;
    const taxCode = it.SalesTaxCode ?? (it.type === 'ItemService' || it.type === 'ItemOtherCharge' ? 'Non' : 'Tax');
    const tc = state.salesTaxCodes.byName.get(taxCode.toLowerCase());
    if (tc && it.type !== 'ItemDiscount') rec.SalesTaxCodeRef = refTo(tc);
    const acct = account(state, it.AccountName ?? DEFAULT_ACCOUNT[it.type]);
    if (it.type === 'ItemInventory') {
      rec.SalesDesc = it.Desc;
      rec.SalesPrice = it.Price ?? 0;
      rec.IncomeAccountRef = acct;
      rec.PurchaseDesc = it.Desc;
      rec.PurchaseCost = it.PurchaseCost ?? 0;
      rec.COGSAccountRef = account(state, 'Cost of Goods Sold');
      rec.AssetAccountRef = account(state, 'Inventory Asset');
      rec.QuantityOnHand = it.QuantityOnHand ?? 0;
      rec.AverageCost = it.PurchaseCost ?? 0;
      rec.QuantityOnOrder = 0;
      rec.QuantityOnSalesOrder = 0;
    } else if (it.type === 'ItemDiscount') {
      rec.ItemDesc = it.Desc;
      if (it.DiscountRatePercent !== undefined) rec.DiscountRatePercent = it.DiscountRatePercent;
      else rec.DiscountRate = it.Price ?? 0;
      rec.AccountRef = acct;
    } else {
      rec.SalesOrPurchase = { Desc: it.Desc, Price: it.Price ?? 0, AccountRef: acct };
    }
    state.items.add(rec);
  }
}
