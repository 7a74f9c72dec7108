/**
 * QuickBooks Online records → what the Online company keeps: mirror records (items, customers, terms,
 * accounts, and written or imported invoices and payments) and the results of write jobs.
 */
import type { WriteResult } from '../../jobs';
import type { MirrorRecord } from '../../mirror';
import type { MirrorEntity } from '../types';
import type { QboEntity, QboRecord } from './client';

/** The mirror entities QuickBooks Online fills: the four lists, and imported or written transactions. */
export type OnlineEntity = MirrorEntity | 'invoices' | 'payments';

/** The lists mirrored on connect and kept current by CDC. */
export const MIRROR_LISTS: ReadonlyArray<{ mirror: MirrorEntity; qbo: QboEntity }> = [
  { mirror: 'items', qbo: 'Item' },
  { mirror: 'customers', qbo: 'Customer' },
  { mirror: 'terms', qbo: 'Term' },
  { mirror: 'accounts', qbo: 'Account' },
];

export const QBO_ENTITY: Readonly<Record<OnlineEntity, QboEntity>> = {
  items: 'Item', customers: 'Customer', terms: 'Term', accounts: 'Account', invoices: 'Invoice', payments: 'Payment',
};

/** Fields of each list the rules and handlers read (the rest is left out to keep the mirror small). */
const LIST_FIELDS: Readonly<Record<MirrorEntity, readonly string[]>> = {
  items: [
    'Id', 'Name', 'FullyQualifiedName', 'Sku', 'Type', 'Active', 'Description', 'UnitPrice', 'Taxable', 'IncomeAccountRef',
    'ExpenseAccountRef', 'ParentRef', 'SyncToken', 'MetaData',
  ],
  customers: [
    'Id', 'DisplayName', 'FullyQualifiedName', 'CompanyName', 'GivenName', 'FamilyName', 'PrimaryEmailAddr', 'PrimaryPhone',
    'BillAddr', 'SalesTermRef', 'Active', 'Balance', 'ParentRef', 'Job', 'SyncToken', 'MetaData',
  ],
  terms: ['Id', 'Name', 'Type', 'DueDays', 'DiscountPercent', 'DiscountDays', 'DayOfMonthDue', 'Active', 'SyncToken', 'MetaData'],
  accounts: ['Id', 'Name', 'FullyQualifiedName', 'AccountType', 'AccountSubType', 'Classification', 'AcctNum', 'Active', 'SyncToken', 'MetaData'],
};

/** A QuickBooks value as text ('' for none). */
export function text(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}

/** The mirror record of a QuickBooks Online record (undefined when it has no Id). */
export function toMirrorRecord(entity: OnlineEntity, rec: QboRecord): MirrorRecord | undefined {
  const id = text(rec.Id);
  if (!id) return undefined;
  if (entity === 'invoices' || entity === 'payments') {
    const name = entity === 'invoices' ? text(rec.DocNumber) : text(rec.PaymentRefNum);
    return { id, name: name || id, active: true, data: JSON.parse(JSON.stringify(rec)) as Record<string, unknown> };
  }
  const data: Record<string, unknown> = {};
  for (const f of LIST_FIELDS[entity]) if (rec[f] !== undefined) data[f] = rec[f];
  const name = entity === 'customers' ? text(rec.DisplayName) : text(rec.Name);
  const out: MirrorRecord = { id, name, active: rec.Active !== false, data };
  if (entity === 'customers') {
    const terms = text(rec.SalesTermRef?.value);
    if (terms) out.termsId = terms;
  }
  return out;
}

/** Mirror records of many QuickBooks records (those without an Id are left out). */
export function toMirrorRecords(entity: OnlineEntity, rows: QboRecord[]): MirrorRecord[] {
  return rows.map((r) => toMirrorRecord(entity, r)).filter((r): r is MirrorRecord => r !== undefined);
}

/** The result a complete write job keeps, from the record QuickBooks answered with. */
export function writeResultOf(entity: QboEntity, rec: QboRecord): WriteResult {
  const result: WriteResult = { qbId: text(rec.Id) };
  const version = text(rec.SyncToken);
  if (version) result.version = version;
  const ref = entity === 'Customer' ? text(rec.DisplayName) : entity === 'Payment' ? text(rec.PaymentRefNum) : entity === 'Invoice' ? text(rec.DocNumber) : text(rec.Name);
  if (ref) result.ref = ref;
  return result;
}

const ONLINE_ENTITY: ReadonlyMap<QboEntity, OnlineEntity> = new Map(Object.entries(QBO_ENTITY).map(([mirror, qbo]) => [qbo, mirror as OnlineEntity]));

/** The mirror entity records of this QuickBooks entity land in (a write, a list load). */
export function mirrorEntityOf(entity: QboEntity): OnlineEntity | undefined {
  return ONLINE_ENTITY.get(entity);
}
