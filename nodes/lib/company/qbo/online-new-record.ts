/**
 * The write that creates a missing QuickBooks Online item or customer for an app record (BlueTrace's
 * "create a new item in QB"), as a QBO JSON entity. A name already taken (inactive records included)
 * comes back as 6240 and becomes the "Duplicate … Name in QB" match issue; it is never retried.
 */
import type { WritePayload } from '../../jobs';
import { addressOf, appText as str, matchOf } from '../new-record';
import type { GeneralSettings } from '../types';

/** QBO limits: Item Name 100, DisplayName 500, CompanyName 100, Sku 100, e-mail 100, phone 30. */
const MAX = { itemName: 100, displayName: 500, companyName: 100, sku: 100, email: 100, phone: 30, description: 4000 } as const;

/** QBO names may not hold ":" (sub-item separator), tabs or new lines; runs of spaces become one. */
function qboName(value: unknown, max: number): string | undefined {
  const s = str(value);
  return s === undefined ? undefined : s.replace(/[:\t\r\n]/g, ' ').replace(/ {2,}/g, ' ').trim().slice(0, max).trim() || undefined;
}

/**
 * BlueTrace item {id, name, sku?, description?, price?} → a NonInventory Item with the General
 * settings' income account (required) and expense account (when set).
 */
export function newItemPayload(record: Record<string, unknown>, settings: GeneralSettings): WritePayload {
  const name = qboName(record.name, MAX.itemName);
  if (!name) throw new Error('the item has no name');
  if (!settings.incomeAccountId) {
    throw new Error('set the income account (General settings: incomeAccountId) before creating items in QuickBooks Online');
  }
  const fields: Record<string, unknown> = { Name: name, Type: 'NonInventory', IncomeAccountRef: { value: settings.incomeAccountId } };
  if (settings.expenseAccountId) fields.ExpenseAccountRef = { value: settings.expenseAccountId };
  const sku = str(record.sku);
  if (sku) fields.Sku = sku.slice(0, MAX.sku);
  const description = str(record.description) ?? name;
  fields.Description = description.slice(0, MAX.description);
  if (typeof record.price === 'number' && Number.isFinite(record.price)) fields.UnitPrice = record.price;
  return { entity: 'Item', fields, lookup: { field: 'Name', value: name }, ...matchOf('item', record) };
}

/** BlueTrace customer {id, name, billingEmail?, phone?, billingAddress?} → a Customer. */
export function newCustomerPayload(record: Record<string, unknown>): WritePayload {
  const name = qboName(record.name, MAX.displayName);
  if (!name) throw new Error('the customer has no name');
  const fields: Record<string, unknown> = { DisplayName: name, CompanyName: name.slice(0, MAX.companyName).trim() };
  const email = str(record.billingEmail);
  if (email) fields.PrimaryEmailAddr = { Address: email.slice(0, MAX.email) };
  const phone = str(record.phone);
  if (phone) fields.PrimaryPhone = { FreeFormNumber: phone.slice(0, MAX.phone) };
  const addr = addressOf(record.billingAddress, { line1: 'Line1', line2: 'Line2', city: 'City', region: 'CountrySubDivisionCode', postalCode: 'PostalCode', country: 'Country' });
  if (addr) fields.BillAddr = addr;
  return { entity: 'Customer', fields, lookup: { field: 'DisplayName', value: name }, ...matchOf('customer', record) };
}
