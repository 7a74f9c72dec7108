/**
 * The persisted progress of one import job (store `state` collection): how many records it emitted and
 * its watermark, so an import cut short (a stale iterator, a dropped session, a restart) starts again in
 * the next session from where it was, without losing records and without emitting pages again.
 *
 * The watermark is the greatest sort key received (TimeModified, or TxnDate for the transaction-date
 * filter) together with the ids received at exactly that key. It is only a safe restart point while the
 * keys have arrived in non-decreasing order (`ordered`); QuickBooks does not document the order of query
 * results, so when a record arrives older than one before it, a restart goes back to the job's own `from`
 * (nothing is lost; the pages are emitted again).
 */
import type { Job } from '../../jobs';
import type { ImportPayload } from '../../jobs';
import type { Store } from '../../store';
import { lowerBound, upperBound, type PageQuery } from './desktop-requests';
import { timeOf } from './desktop-records';

export interface ImportProgress {
  _id: string;
  /** The job version this progress belongs to (a changed payload starts over). */
  version: number;
  /** Records accepted (emitted) so far. */
  count: number;
  /** Greatest sort key received, as QuickBooks wrote it. */
  max?: string;
  /** Ids received whose sort key equals `max` (skipped when the restart query returns them again). */
  atMax: string[];
  /** Sort keys arrived in non-decreasing order so far: `max` is a safe restart point. */
  ordered: boolean;
  /** Restarts after a stale iterator or a dropped session. */
  restarts: number;
  /** The query's lower bound when the current iterator started. */
  startedFrom?: string;
}

export const IMPORT_KINDS = ['import.items', 'import.customers', 'import.terms', 'import.accounts', 'import.invoices'] as const;
export type DesktopImportKind = (typeof IMPORT_KINDS)[number];

export function isImportKind(kind: string): kind is DesktopImportKind {
  return (IMPORT_KINDS as readonly string[]).includes(kind);
}

/** import.customers → customers. */
export function entityOfImport(kind: DesktopImportKind): 'items' | 'customers' | 'terms' | 'accounts' | 'invoices' {
  return kind.slice('import.'.length) as 'items' | 'customers' | 'terms' | 'accounts' | 'invoices';
}

export class ImportProgressStore {
  constructor(
    private readonly store: Store,
    private readonly company: string,
  ) {}

  private id(job: Job): string {
    return `${this.company}|qbd-import|${job.key}`;
  }

  /** The job's progress (fresh when none, or when it belongs to an older version of the job). */
  async load(job: Job): Promise<ImportProgress> {
    const doc = (await this.store.state.findOne({ _id: this.id(job) })) as ImportProgress | null;
    if (doc && doc.version === job.version) return doc;
    return { _id: this.id(job), version: job.version, count: 0, atMax: [], ordered: true, restarts: 0 };
  }

  async save(progress: ImportProgress): Promise<void> {
    await this.store.state.update({ _id: progress._id }, progress, { upsert: true });
  }

  async remove(job: Job): Promise<void> {
    await this.store.state.remove({ _id: this.id(job) }, {});
  }
}

/** The first page's query of an import (again): from the watermark when it is safe, else from the start. */
export function firstPage(job: Job, progress: ImportProgress, defaultPageSize: number): PageQuery {
  const p = job.payload as ImportPayload;
  if (!p || typeof p.from !== 'string' || typeof p.to !== 'string') throw new Error(`import job "${job.key}" needs a payload {from, to}`);
  const kind = job.kind as DesktopImportKind;
  const dateField = kind === 'import.invoices' && p.dateField === 'txn' ? 'txn' : 'modified';
  const pageSize = Math.max(1, Math.min(p.pageSize ?? defaultPageSize, 10_000));
  const from = dateField === 'txn' ? p.from.slice(0, 10) : lowerBound(p.from);
  const to = dateField === 'txn' ? p.to.slice(0, 10) : upperBound(p.to);
  if (!Number.isFinite(timeOf(from)) || !Number.isFinite(timeOf(to))) throw new Error(`import job "${job.key}": from/to must be dates or date-times`);
  if (timeOf(from) > timeOf(to)) throw new Error(`import job "${job.key}": from (${p.from}) is after to (${p.to})`);
  if (progress.max !== undefined && !progress.ordered) {
    // Not a safe restart point: start over; the pages come (and are emitted) again.
    progress.count = 0;
    progress.max = undefined;
    progress.atMax = [];
    progress.ordered = true;
  }
  const resume = progress.max !== undefined ? (dateField === 'txn' ? progress.max.slice(0, 10) : progress.max) : from;
  return { kind, from: resume, to, dateField, pageSize, ...(p.activeOnly === true && kind !== 'import.invoices' ? { activeOnly: true } : {}) };
}

/** Accepts a page's records in order, moving the watermark; returns the ones not received before. */
export function acceptPage<T>(progress: ImportProgress, records: T[], idOf: (r: T) => string, keyOf: (r: T) => string): T[] {
  const fresh: T[] = [];
  const seenAtMax = new Set(progress.atMax);
  let max = progress.max === undefined ? Number.NEGATIVE_INFINITY : timeOf(progress.max);
  for (const r of records) {
    const id = idOf(r);
    const key = keyOf(r);
    const t = timeOf(key);
    if (!Number.isFinite(t)) {
      progress.ordered = false;
    } else if (t > max) {
      max = t;
      progress.max = key;
      progress.atMax = [id];
      seenAtMax.clear();
      seenAtMax.add(id);
    } else if (t === max) {
      if (seenAtMax.has(id)) continue; // received before the restart
      progress.atMax.push(id);
      seenAtMax.add(id);
    } else {
      progress.ordered = false;
    }
    fresh.push(r);
  }
  progress.count += fresh.length;
  return fresh;
}
