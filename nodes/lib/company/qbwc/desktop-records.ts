/**
 * QuickBooks Desktop records (parsed `…Ret` elements) → what the company keeps: mirror records, write
 * results and the sort keys imports page by.
 */
import type { WriteResult } from '../../jobs';
import type { MirrorCodecs, MirrorRecord } from '../../mirror';
import { parseQbxml, type QbxmlObject, type QbxmlRecord, type QbxmlValue } from './qbxml';

/** The mirror entities QuickBooks Desktop fills: the four lists, and imported or written transactions. */
export type DesktopEntity = 'items' | 'customers' | 'terms' | 'accounts' | 'invoices' | 'payments';

/** Fields of each list the rules and handlers read (the rest is left out to keep the mirror small). */
const LIST_FIELDS: Readonly<Record<'items' | 'customers' | 'terms' | 'accounts', readonly string[]>> = {
  customers: [
    'ListID', 'Name', 'FullName', 'IsActive', 'ParentRef', 'Sublevel', 'CompanyName', 'FirstName', 'LastName',
    'BillAddress', 'Phone', 'Email', 'Cc', 'TermsRef', 'SalesTaxCodeRef', 'AccountNumber', 'Balance', 'EditSequence',
    'TimeModified',
  ],
  items: [
    'ListID', 'Name', 'FullName', 'IsActive', 'ParentRef', 'Sublevel', 'ManufacturerPartNumber', 'BarCodeValue',
    'SalesTaxCodeRef', 'SalesOrPurchase', 'SalesAndPurchase', 'SalesDesc', 'SalesPrice', 'IncomeAccountRef',
    'ItemDesc', 'DiscountRate', 'DiscountRatePercent', 'AccountRef', 'EditSequence', 'TimeModified',
  ],
  terms: ['ListID', 'Name', 'FullName', 'IsActive', 'StdDueDays', 'StdDiscountDays', 'DiscountPct', 'DayOfMonthDue', 'EditSequence', 'TimeModified'],
  accounts: ['ListID', 'Name', 'FullName', 'IsActive', 'ParentRef', 'AccountType', 'AccountNumber', 'Desc', 'EditSequence', 'TimeModified'],
};

const LIST_FIELD_SETS = Object.fromEntries(Object.entries(LIST_FIELDS).map(([k, v]) => [k, new Set(v)])) as unknown as Record<keyof typeof LIST_FIELDS, ReadonlySet<string>>;

/** A parsed value as plain JSON (the parser's objects have no prototype; the store wants plain ones). */
function plain(value: QbxmlValue): unknown {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(plain);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = plain(value[key] as QbxmlValue);
  return out;
}

/** Text of a leaf field ("" when absent or not text). */
export function textOf(data: QbxmlObject, name: string): string {
  const v = data[name];
  return typeof v === 'string' ? v : '';
}

/** ListID of a `…Ref` aggregate, if any. */
export function refListId(data: QbxmlObject, name: string): string | undefined {
  const ref = data[name];
  if (!ref || typeof ref !== 'object' || Array.isArray(ref)) return undefined;
  const id = (ref as QbxmlObject).ListID;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/** The mirror record of a list or transaction record QuickBooks returned. */
export function toMirrorRecord(entity: DesktopEntity, rec: QbxmlRecord): MirrorRecord | undefined {
  const d = rec.data;
  if (entity === 'invoices' || entity === 'payments') {
    const id = textOf(d, 'TxnID');
    if (!id) return undefined;
    const data = plain(d) as Record<string, unknown>;
    return { id, name: textOf(d, 'RefNumber') || textOf(d, 'TxnNumber') || id, active: true, data };
  }
  const id = textOf(d, 'ListID');
  if (!id) return undefined;
  // The record's own fields that the list keeps (a record has fewer fields than the list names).
  const data: Record<string, unknown> = {};
  const keep = LIST_FIELD_SETS[entity];
  for (const f of Object.keys(d)) {
    if (!keep.has(f)) continue;
    const v = d[f] as QbxmlValue;
    data[f] = typeof v === 'string' ? v : plain(v);
  }
  if (entity === 'items') data.ItemType = rec.type.replace(/Ret$/, '');
  const out: MirrorRecord = { id, name: textOf(d, 'FullName') || textOf(d, 'Name'), active: textOf(d, 'IsActive') !== 'false', data };
  if (entity === 'customers') {
    const terms = refListId(d, 'TermsRef');
    if (terms) out.termsId = terms;
  }
  return out;
}

/** The mirror records of every record in a qbXML response (all its messages), in document order. */
export function mirrorRecordsOf(entity: DesktopEntity, xml: string): MirrorRecord[] {
  const out: MirrorRecord[] = [];
  for (const msg of parseQbxml(xml).messages) {
    for (const rec of msg.records) {
      const m = toMirrorRecord(entity, rec);
      if (m) out.push(m);
    }
  }
  return out;
}

/**
 * The mirror keeps an import page as the qbXML QuickBooks answered (no second serialisation of 500
 * records) and reads it back with the same mapping as the import: `qbxml` segments.
 */
export const DESKTOP_MIRROR_CODECS: MirrorCodecs = {
  qbxml: (text, entity) => mirrorRecordsOf(entity as DesktopEntity, text),
};

/** The result a complete write job keeps, from the record QuickBooks answered with. */
export function writeResultOf(rec: QbxmlRecord): WriteResult {
  const d = rec.data;
  const qbId = textOf(d, 'ListID') || textOf(d, 'TxnID');
  const result: WriteResult = { qbId };
  const version = textOf(d, 'EditSequence');
  if (version) result.version = version;
  const ref = textOf(d, 'RefNumber') || textOf(d, 'FullName') || textOf(d, 'Name');
  if (ref) result.ref = ref;
  return result;
}

/** Epoch ms of a DATETIMETYPE (`2024-06-01T08:02:11-05:00`) or DATETYPE value; NaN when unreadable. */
export function timeOf(value: string): number {
  return Date.parse(value.length === 10 && /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
}
