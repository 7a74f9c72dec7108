/**
 * BluBilling's views of the queue: "Review items queued for Import/Export" (what waits) and "Previous
 * History" (every operation, In Queue → Complete, with what it imported or exported).
 */
import { redactPaths } from '../errors';
import type { FieldCut, Job, JobState, WritePayload } from '../jobs';

/** The operation-type cell of a row. */
export const OPERATION: Readonly<Record<string, string>> = {
  'customer.add': 'Export Customer',
  'invoice.upsert': 'Export Invoice',
  'payment.add': 'Export Payment',
  'import.items': 'Import Items',
  'import.customers': 'Import Customers',
  'import.invoices': 'Import Invoices',
};

export type HistoryStatus = 'In Queue' | 'Held' | 'Complete' | 'Error' | 'Skipped';

/**
 * BluBilling's status words: everything not finished is "In Queue", except a job held by a dependency
 * in error or skipped ("Held", with the reason).
 */
export function historyStatus(state: JobState, held = false): HistoryStatus {
  if (held && (state === 'queued' || state === 'approved')) return 'Held';
  switch (state) {
    case 'complete':
      return 'Complete';
    case 'error':
      return 'Error';
    case 'skipped':
      return 'Skipped';
    default:
      return 'In Queue';
  }
}

/** Jobs still waiting to be sent or answered. */
export const WAITING: readonly JobState[] = ['queued', 'approved', 'sent', 'error'];

export interface QueueRow {
  key: string;
  kind: string;
  operation: string;
  /** The job's own state (queued = waits for approval). */
  state: JobState;
  status: HistoryStatus;
  summary: string;
  dependsOn: string[];
  /** Held: why the job cannot progress (a dependency in error or skipped) and which job holds it. */
  held?: { key: string; reason: string };
  /** Error retried by itself: when. */
  retryAt?: string;
  /** Values cut to QuickBooks' length (what QuickBooks will show instead). */
  cut?: FieldCut[];
  createdAt: string;
  updatedAt: string;
}

export interface HistoryRow extends QueueRow {
  /** Exports: the QuickBooks id (ListID/TxnID or Id) of the record created. */
  qbId?: string;
  /** Imports: how many records were imported. */
  count?: number;
  error?: string;
  completedAt?: string;
}

export function queueRow(job: Job): QueueRow {
  const held = job.heldBy && (job.state === 'queued' || job.state === 'approved') ? job.heldBy : undefined;
  const cut = (job.payload as WritePayload | undefined)?.cut;
  return {
    key: job.key, kind: job.kind, operation: OPERATION[job.kind] ?? job.kind, state: job.state, status: historyStatus(job.state, !!held),
    summary: job.summary, dependsOn: job.dependsOn, ...(held ? { held: { ...held } } : {}), ...(job.retryAt && job.state === 'error' ? { retryAt: job.retryAt } : {}), ...(Array.isArray(cut) && cut.length ? { cut } : {}),
    createdAt: job.createdAt, updatedAt: job.updatedAt,
  };
}

/** A history row; `count` is the number of records imported when the job's result does not say. */
export function historyRow(job: Job, count?: number): HistoryRow {
  const row: HistoryRow = queueRow(job);
  const result = job.result ?? {};
  if (job.kind.startsWith('import.')) {
    const n = typeof result.count === 'number' ? result.count : count;
    if (n !== undefined) row.count = n;
  } else if (typeof result.qbId === 'string') row.qbId = result.qbId;
  if (job.error) row.error = redactPaths(job.error.message); // a stored failure may name a file: never where it is
  if (job.completedAt) row.completedAt = job.completedAt;
  return row;
}
