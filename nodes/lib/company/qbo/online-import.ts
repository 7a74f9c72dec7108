/**
 * BluBilling's "Import from ERP" on QuickBooks Online: an import job's date range as a paged query by
 * MetaData.LastUpdatedTime (or TxnDate for invoices by transaction date), both ends inclusive. A bare
 * date is a whole UTC day: `from` 2024-06-01 starts at 2024-06-01T00:00:00Z, `to` 2024-06-30 ends
 * before 2024-07-01T00:00:00Z; date-times are used as given.
 */
import type { ImportKind, ImportPayload, Job } from '../../jobs';
import type { Mirror, MirrorRecord } from '../../mirror';
import type { Condition, QboClient, QboEntity } from './client';
import { NAME_LISTS } from './client';
import { QBO_ENTITY, toMirrorRecords, type OnlineEntity } from './online-records';

export const IMPORT_KINDS: readonly ImportKind[] = ['import.items', 'import.customers', 'import.invoices', 'import.terms', 'import.accounts'];

export function isImportKind(kind: string): kind is ImportKind {
  return (IMPORT_KINDS as readonly string[]).includes(kind);
}

/** import.customers → customers. */
export function entityOfImport(kind: ImportKind): OnlineEntity {
  return kind.slice('import.'.length) as OnlineEntity;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function nextDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/** The query conditions of an import job's range (throws a clear error on a bad payload). */
export function importConditions(job: Pick<Job, 'key' | 'kind' | 'payload'>): { entity: QboEntity; where: Condition[] } {
  const kind = job.kind as ImportKind;
  const p = job.payload as ImportPayload;
  if (!p || typeof p.from !== 'string' || typeof p.to !== 'string') throw new Error(`import job "${job.key}" needs a payload {from, to}`);
  const entity = QBO_ENTITY[entityOfImport(kind)];
  if (kind === 'import.invoices' && p.dateField === 'txn') {
    const from = p.from.slice(0, 10);
    const to = p.to.slice(0, 10);
    if (!DATE.test(from) || !DATE.test(to)) throw new Error(`import job "${job.key}": from/to must be dates`);
    if (from > to) throw new Error(`import job "${job.key}": from (${p.from}) is after to (${p.to})`);
    return { entity, where: [{ field: 'TxnDate', op: '>=', value: from }, { field: 'TxnDate', op: '<=', value: to }] };
  }
  const from = DATE.test(p.from) ? `${p.from}T00:00:00Z` : p.from;
  const upper = DATE.test(p.to) ? { op: '<' as const, value: `${nextDay(p.to)}T00:00:00Z` } : { op: '<=' as const, value: p.to };
  const a = Date.parse(from);
  const b = Date.parse(upper.value);
  if (Number.isNaN(a) || Number.isNaN(b)) throw new Error(`import job "${job.key}": from/to must be dates or date-times`);
  if (a > b || (a === b && upper.op === '<')) throw new Error(`import job "${job.key}": from (${p.from}) is after to (${p.to})`);
  const field = 'MetaData.LastUpdatedTime';
  return { entity, where: [{ field, op: '>=', value: from }, { field, op: upper.op, value: upper.value }] };
}

/** One page of an import, as emitted with the `imported` event (the Desktop company's shape). */
export interface OnlineImportedPage {
  job: Job;
  entity: OnlineEntity;
  records: MirrorRecord[];
  done: boolean;
  count: number;
  total?: number;
}

/**
 * Runs one import: pages of up to `pageSize` records (a COUNT first gives `total`), each put into the
 * mirror and handed to `emit`; the last page has `done: true` (an empty range gives one empty page).
 * Returns the number of records imported.
 */
export async function runImport(
  client: QboClient,
  mirror: Mirror,
  job: Job,
  emit: (page: OnlineImportedPage) => void,
  pageSize = 1000,
): Promise<number> {
  const kind = job.kind as ImportKind;
  const target = entityOfImport(kind);
  const { entity, where } = importConditions(job);
  let total: number | undefined;
  let count = 0;
  let held: MirrorRecord[] | undefined;
  const activeOnly = (job.payload as ImportPayload).activeOnly === true;
  const pages = client.pages(entity, { where, includeInactive: NAME_LISTS.has(entity) && !activeOnly, pageSize: (job.payload as ImportPayload).pageSize ?? pageSize, onProgress: (p) => (total = p.total) });
  for await (const rows of pages) {
    const records = toMirrorRecords(target, rows);
    await mirror.upsert(target, records);
    if (held) emit({ job, entity: target, records: held, done: false, count, ...(total !== undefined ? { total } : {}) });
    count += records.length;
    held = records;
  }
  emit({ job, entity: target, records: held ?? [], done: true, count, ...(total !== undefined ? { total } : {}) });
  return count;
}
