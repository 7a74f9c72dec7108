/**
 * The write that creates a missing QuickBooks Desktop item or customer for an app record (BlueTrace's
 * "create a new item in QB"), in qbXML names. Names are cut to QuickBooks Desktop's lengths; a name that
 * is already taken comes back as 3100 and becomes the "Duplicate … Name in QB" match issue.
 */
import type { GeneralSettings } from '../types';
import type { WritePayload } from '../../jobs';
import { toLatin1 } from '../../util/text';
import { addressOf, appText as str, matchOf } from '../new-record';
import type { DesktopWritePayload } from './desktop-requests';

function cut(value: unknown, max: number): string | undefined {
  const s = str(value);
  return s === undefined ? undefined : toLatin1(s).slice(0, max).trim();
}

/** BlueTrace item {id, name, sku?, description?, price?} → ItemNonInventoryAdd (SKU as ManufacturerPartNumber). */
export function newItemPayload(record: Record<string, unknown>, settings: GeneralSettings): DesktopWritePayload {
  const name = cut(record.name, 31);
  if (!name) throw new Error('the item has no name');
  if (!settings.incomeAccountId) throw new Error('set the income (sales) account in the General settings before creating items in QuickBooks');
  const fields: Record<string, unknown> = { Name: name };
  const sku = cut(record.sku, 31);
  if (sku) fields.ManufacturerPartNumber = sku;
  const sales: Record<string, unknown> = { AccountRef: { ListID: settings.incomeAccountId } };
  const desc = str(record.description) ?? str(record.name);
  if (desc) sales.Desc = desc;
  if (typeof record.price === 'number' && Number.isFinite(record.price)) sales.Price = record.price;
  fields.SalesOrPurchase = sales;
  return {
    entity: 'Item', fields, itemType: 'NonInventory', lookup: { field: 'Name', value: name },
    ...matchOf('item', record),
  };
}

/** BlueTrace customer {id, name, billingEmail?, phone?, billingAddress?} → CustomerAdd. */
export function newCustomerPayload(record: Record<string, unknown>): WritePayload {
  const name = cut(record.name, 41);
  if (!name) throw new Error('the customer has no name');
  const fields: Record<string, unknown> = { Name: name, CompanyName: name };
  const email = str(record.billingEmail);
  if (email) fields.Email = email;
  const phone = cut(record.phone, 21);
  if (phone) fields.Phone = phone;
  const addr = addressOf(record.billingAddress, { line1: 'Addr1', line2: 'Addr2', city: 'City', region: 'State', postalCode: 'PostalCode', country: 'Country' });
  if (addr) fields.BillAddress = addr;
  return {
    entity: 'Customer', fields, lookup: { field: 'Name', value: name },
    ...matchOf('customer', record),
  };
}
