/**
 * Where the BluBilling records to export are kept: the store's `log` collection, one activity log per
 * kind (`company.log('blubilling-customer' | 'blubilling-invoice' | 'blubilling-payment')`), one entry
 * per record. The entry's `source` is the record as last received, its `status` where the record stands
 * in the export, `qbId` the QuickBooks id once known, `actions` what an admin must do for a held one and
 * `detail.key` the key of its job. So the record store is also the per-record export log.
 */
import type { Company } from '../company/types';
import type { ActivityLog, LogEntry, LogUpdate } from '../log';
import { schemas } from '../schemas';
import { localDate } from './dates';
import type { BluCustomer, BluInvoice, BluPayment } from './export-shapes';

export type BluEntity = 'customer' | 'invoice' | 'payment';
export const BLU_ENTITIES: readonly BluEntity[] = ['customer', 'invoice', 'payment'];
export type BluRecord = BluCustomer | BluInvoice | BluPayment;

/**
 * received: known, not exported yet · held: cannot be sent yet (see actions) · queued: its job waits in
 * the queue · matched: already in QuickBooks (a customer imported from QuickBooks), nothing to send ·
 * exported: its job is complete · error: QuickBooks refused it · skipped: an admin skipped its job.
 */
export type RecordStatus = 'received' | 'held' | 'queued' | 'matched' | 'exported' | 'error' | 'skipped';

/** The statuses an export request picks up (never exported, not in the queue). */
export const EXPORTABLE: readonly RecordStatus[] = ['received', 'held'];

/** The export request's entity names. */
export const PLURAL: Readonly<Record<BluEntity, 'customers' | 'invoices' | 'payments'>> = { customer: 'customers', invoice: 'invoices', payment: 'payments' };

const SCHEMA: Readonly<Record<BluEntity, string>> = { customer: 'blubilling-customer', invoice: 'blubilling-invoice', payment: 'blubilling-payment' };

/** A short human label: the customer name, the invoice number, the payment amount and reference. */
export function labelOf(entity: BluEntity, record: BluRecord): string {
  if (entity === 'customer') return (record as BluCustomer).name;
  if (entity === 'invoice') return String((record as BluInvoice).invoiceNumber);
  const p = record as BluPayment;
  return `${p.amount.toFixed(2)}${p.reference ? ` (${p.reference})` : ''}`;
}

export class BluRecords {
  constructor(private readonly company: Company) {}

  log(entity: BluEntity): ActivityLog {
    return this.company.log(`blubilling-${entity}`);
  }

  /**
   * Validates (all first: one bad record changes nothing) and keeps records. A new record starts
   * `received`; a known one keeps its status and gets the new version of its fields.
   */
  async receive(entity: BluEntity, records: unknown[]): Promise<{ entity: BluEntity; received: number; ids: string[] }> {
    const valid = schemas().validateEach<BluRecord>(SCHEMA[entity], records, records.length > 1);
    const ids: string[] = [];
    for (const r of valid) {
      const id = String(r.id);
      await this.log(entity).put(id, { label: labelOf(entity, r), source: r }, { status: 'received' });
      ids.push(id);
    }
    return { entity, received: ids.length, ids };
  }

  async get(entity: BluEntity, id: string): Promise<LogEntry | null> {
    return this.log(entity).get(id);
  }

  async put(entity: BluEntity, id: string, update: LogUpdate & { status?: RecordStatus }): Promise<LogEntry> {
    return this.log(entity).put(id, update);
  }

  /**
   * Exportable records created in `[from, to]` (inclusive local dates): `createdAt` is converted to
   * its calendar date in `timeZone` before comparing, so 23:30 on the 31st in New York belongs to the
   * 31st there even though it is already the 1st in UTC.
   */
  async createdIn(entity: BluEntity, from: string, to: string, timeZone: string): Promise<LogEntry[]> {
    const entries = await this.log(entity).list({ status: [...EXPORTABLE], withSource: true });
    return entries
      .filter((e) => {
        const day = localDate((e.source as BluRecord).createdAt, timeZone);
        return day >= from && day <= to;
      })
      .sort((a, b) => Date.parse((a.source as BluRecord).createdAt) - Date.parse((b.source as BluRecord).createdAt));
  }

  /** Held records, and records QuickBooks refused, of any date (a later export retries them: after an import, a rename, a link). */
  async held(entity: BluEntity): Promise<LogEntry[]> {
    return this.log(entity).list({ status: ['held', 'error'], withSource: true });
  }

  /** Keys of the jobs these records were queued as (the exporter's jobs among the company's). */
  async jobKeys(): Promise<Set<string>> {
    const keys = new Set<string>();
    for (const entity of BLU_ENTITIES) {
      for (const e of await this.log(entity).list()) if (typeof e.detail?.key === 'string') keys.add(e.detail.key);
    }
    return keys;
  }
}
