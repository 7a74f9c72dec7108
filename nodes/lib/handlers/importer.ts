import type { Company } from '../company/types';
import { RANK, type ImportKind, type ImportPayload, type Job } from '../jobs';
import type { LogEntry } from '../log';
import type { MirrorRecord } from '../mirror';
import { schemas } from '../schemas';
import { historyStatus, type HistoryStatus, WAITING } from './queue-view';

/** The activity log kind where import progress is kept (one entry per import job key). */
export const IMPORT_LOG = 'import';
/** Prefix of the import jobs this handler queues (the company's own Re-sync jobs use another). */
export const IMPORT_PREFIX = 'import:';

export type ImportEntity = 'items' | 'customers' | 'invoices';
const ALL: readonly ImportEntity[] = ['items', 'customers', 'invoices'];

/** `msg.payload` of an import (schema `import-request`): inclusive dates; entities default to all three. */
export interface ImportRequest {
  from: string;
  to: string;
  entities?: ImportEntity[];
  /** Invoices: by modification date (default) or by transaction date. */
  dateField?: 'modified' | 'txn';
  /** Items and customers: import active records only (BluBilling imports "active customers"); default active and inactive. */
  activeOnly?: boolean;
}

export interface ImportQueued {
  entity: ImportEntity;
  key: string;
  state: Job['state'];
  /** False when the same request is still pending: nothing new was queued. */
  created: boolean;
  summary: string;
}

export interface ImportReport {
  from: string;
  to: string;
  queued: ImportQueued[];
  /** BluBilling's checks before importing invoices (customers imported, charges mapped); empty when fine. */
  warnings: string[];
}

/** BluBilling's own words for what must be done before invoices are imported. */
export const BEFORE_INVOICES =
  'Before importing invoices, ensure that (a) all customers have been imported correctly and (b) the Plans & Charges have been mapped to the QuickBooks Items correctly.';

/** A page of imported records as the company emits it (`imported` event). */
export interface ImportedEvent {
  job: Pick<Job, 'key' | 'kind'> & Partial<Job>;
  entity: string;
  records: MirrorRecord[];
  done: boolean;
  /** Records imported by this job so far (when the company counts them). */
  count?: number;
  /** What QuickBooks announced in total (when it did). */
  total?: number;
}

/** One imported record on the output: QuickBooks id, name, active flag and the fields mirrored. */
export interface ImportedRecord {
  id: string;
  name: string;
  active: boolean;
  fields: Record<string, unknown>;
}

/**
 * What an import node sends for each page: `{entity, job, records, count, total?, done}`; `count` is
 * the records imported by this job so far (this page included; `records.length` is the page), `total`
 * the count QuickBooks announced, `done` true on the last page.
 */
export interface ImportOutput {
  entity: string;
  job: string;
  records: ImportedRecord[];
  count: number;
  total?: number;
  done: boolean;
}

export interface ImportProgressRow {
  key: string;
  entity: string;
  state: Job['state'];
  status: HistoryStatus;
  count: number;
  done: boolean;
}

export type ImportCommand = { command: 'import'; request: ImportRequest } | { command: 'status' };

/** `msg.topic` "status" asks for progress; anything else is an import request (validated). */
export function parseImportMessage(msg: { topic?: unknown; payload?: unknown }): ImportCommand {
  if (typeof msg.topic === 'string' && msg.topic.toLowerCase() === 'status') return { command: 'status' };
  return { command: 'import', request: schemas().validate<ImportRequest>('import-request', msg.payload) };
}

/**
 * The idempotency key of an import: `import:<entity>:<from>:<to>` (invoices by transaction date add
 * `:txn`). A repeat while the job is pending gets the same job; once it has finished, a repeat is a new
 * run with `#2`, `#3`, … appended.
 */
export function importKey(entity: ImportEntity, from: string, to: string, dateField?: 'modified' | 'txn', activeOnly?: boolean): string {
  return `${IMPORT_PREFIX}${entity}:${from}:${to}${entity === 'invoices' && dateField === 'txn' ? ':txn' : ''}${entity !== 'invoices' && activeOnly ? ':active' : ''}`;
}

/** Turns one `imported` event into the output shape; `count` defaults to the page's size. */
export function toImportOutput(event: ImportedEvent, count = event.count ?? event.records.length): ImportOutput {
  const out: ImportOutput = {
    entity: event.entity, job: event.job.key, count, done: event.done,
    records: event.records.map((r) => ({ id: r.id, name: r.name, active: r.active, fields: r.data ?? {} })),
  };
  if (event.total !== undefined) out.total = event.total;
  return out;
}

/** The texts of an import's progress, by key (a node's catalog gives them in its language). */
export type ImportText = (key: 'none' | 'queued' | 'imported', subs?: { entity: string; count?: number }) => string;

const ENGLISH: ImportText = (key, subs) => (key === 'none' ? 'no imports' : key === 'queued' ? `${subs!.entity}: queued` : `${subs!.entity}: ${subs!.count} imported`);

/** A status text: what is importing or queued, else the last result (e.g. "items: 120 imported"). */
export function importStatusText(rows: readonly ImportProgressRow[], t: ImportText = ENGLISH): string {
  const pending = rows.filter((r) => r.status === 'In Queue');
  const shown = pending.length ? pending : rows.slice(0, 1);
  if (!shown.length) return t('none');
  return shown.map((r) => ((r.state === 'queued' || r.state === 'approved') && r.count === 0 ? t('queued', { entity: r.entity }) : t('imported', { entity: r.entity, count: r.count }))).join(', ');
}

/** How many records an import job imported: its result's count, else the running count of its log entry. */
function importedCount(job: Job, entry: LogEntry | null): number {
  if (typeof job.result?.count === 'number') return job.result.count;
  return typeof entry?.detail?.count === 'number' ? entry.detail.count : 0;
}

function entityOf(kind: string): string {
  return kind.startsWith('import.') ? kind.slice('import.'.length) : kind;
}

/**
 * BluBilling's "Import from ERP" without Node-RED: a date range becomes one import job per entity
 * (items, customers, invoices) in the company's queue; imported pages come back as the company's
 * `imported` events and leave as `ImportOutput`s; progress is kept in the `import` log. Imports only
 * read QuickBooks, so they are approved at once unless `autoApprove` is false.
 */
export class ImportHandler {
  private readonly autoApprove: boolean;

  constructor(
    readonly company: Company,
    options: { autoApprove?: boolean } = {},
  ) {
    this.autoApprove = options.autoApprove ?? true;
  }

  private get log() {
    return this.company.log(IMPORT_LOG);
  }

  /** Runs a parsed command: queue an import, or report progress. */
  async run(cmd: ImportCommand): Promise<ImportReport | { imports: ImportProgressRow[]; text: string }> {
    if (cmd.command === 'import') return this.request(cmd.request);
    const imports = await this.progress();
    return { imports, text: importStatusText(imports) };
  }

  /** Validates an import request and queues one job per entity (once while pending). */
  async request(payload: unknown): Promise<ImportReport> {
    const req = schemas().validate<ImportRequest>('import-request', payload);
    const entities = req.entities ?? ALL;
    const warnings = entities.includes('invoices') ? await this.beforeInvoices(entities) : [];
    const queued: ImportQueued[] = [];
    for (const entity of entities) {
      const kind = `import.${entity}` as ImportKind;
      const activeOnly = entity !== 'invoices' && req.activeOnly === true;
      const key = await this.freeKey(importKey(entity, req.from, req.to, req.dateField, activeOnly));
      const body: ImportPayload = { from: req.from, to: req.to, ...(entity === 'invoices' && req.dateField ? { dateField: req.dateField } : {}), ...(activeOnly ? { activeOnly } : {}) };
      const summary = `Import ${activeOnly ? 'active ' : ''}${entity} ${entity === 'invoices' && req.dateField === 'txn' ? 'dated' : 'created or modified'} ${req.from} to ${req.to}`;
      const { job, created } = await this.company.outbox.enqueue({ key, kind, rank: RANK[kind], payload: body, summary, autoApprove: this.autoApprove });
      if (created) {
        await this.log.put(key, { status: 'queued', label: summary, detail: { entity, count: 0 } });
      }
      queued.push({ entity, key, state: job.state, created, summary });
    }
    if (queued.some((q) => q.created)) this.company.kick();
    return { from: req.from, to: req.to, queued, warnings };
  }

  /**
   * What is missing before invoices are imported (the import is queued all the same): no customers in
   * the mirror and none imported by this request, or charges not mapped to QuickBooks items.
   */
  private async beforeInvoices(entities: readonly ImportEntity[]): Promise<string[]> {
    const missing: string[] = [];
    if (!entities.includes('customers') && (await this.company.mirror.count('customers')) === 0) missing.push('no customers have been imported from QuickBooks yet');
    const charges = await this.company.matches('charge').list();
    const unmapped = charges.filter((c) => c.status !== 'matched');
    if (charges.length === 0) missing.push('no Plans & Charges have been mapped yet');
    else if (unmapped.length) missing.push(`${unmapped.length} charge(s) are not mapped to a QuickBooks item: ${unmapped.slice(0, 10).map((c) => `"${c.appName}"`).join(', ')}`);
    return missing.length ? [`${BEFORE_INVOICES} Now ${missing.join('; ')}.`] : [];
  }

  /** The base key while its job is pending (or unused); after it finished, the next `#n` run. */
  private async freeKey(base: string): Promise<string> {
    for (let n = 1; ; n++) {
      const key = n === 1 ? base : `${base}#${n}`;
      const job = await this.company.outbox.get(key);
      if (!job || WAITING.includes(job.state)) return key;
    }
  }

  /**
   * The company's `imported` event for one of this handler's jobs: keeps the running count and returns
   * the page to send on (undefined for the company's own Re-sync imports).
   */
  async onImported(event: ImportedEvent): Promise<ImportOutput | undefined> {
    const key = event.job.key;
    if (!key.startsWith(IMPORT_PREFIX)) return undefined;
    const entry = await this.log.get(key);
    const before = typeof entry?.detail?.count === 'number' ? entry.detail.count : 0;
    const count = event.count ?? before + event.records.length;
    await this.log.put(key, { status: event.done ? 'imported' : 'importing', detail: { entity: event.entity, count, ...(event.total !== undefined ? { total: event.total } : {}) } });
    return toImportOutput(event, count);
  }

  /** The company's `job` event for a finished import job: records it; returns its progress row. */
  async onJob(job: Job): Promise<ImportProgressRow | undefined> {
    if (!job.key.startsWith(IMPORT_PREFIX) || !job.kind.startsWith('import.') || job.company !== this.company.id) return undefined;
    const entry = await this.log.get(job.key);
    const count = importedCount(job, entry);
    await this.log.put(job.key, { status: job.state, detail: { ...(entry?.detail ?? {}), entity: entityOf(job.kind), count }, ...(job.error ? { error: job.error } : {}) });
    return this.row(job, count);
  }

  /** This handler's import jobs, newest first, with their counts. */
  async progress(): Promise<ImportProgressRow[]> {
    const jobs = (await this.company.outbox.list()).filter((j) => j.kind.startsWith('import.') && j.key.startsWith(IMPORT_PREFIX));
    const rows: ImportProgressRow[] = [];
    for (const job of jobs.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.key.localeCompare(b.key))) {
      const entry = await this.log.get(job.key);
      const count = importedCount(job, entry);
      rows.push(this.row(job, count));
    }
    return rows;
  }

  private row(job: Job, count: number): ImportProgressRow {
    return { key: job.key, entity: entityOf(job.kind), state: job.state, status: historyStatus(job.state), count, done: job.state === 'complete' };
  }
}
