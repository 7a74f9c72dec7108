/**
 * A company for handler tests: the real store-backed mirror, outbox, matches and logs of BaseCompany,
 * with no connection (resync and kick are counted, nothing is sent).
 */
import { BaseCompany } from '../../../nodes/lib/company/base';
import type { Edition } from '../../../nodes/lib/company/types';
import type { Job, WritePayload } from '../../../nodes/lib/jobs';
import type { MirrorRecord } from '../../../nodes/lib/mirror';
import { Store } from '../../../nodes/lib/store';

export class TestCompany extends BaseCompany {
  resyncs = 0;
  kicks = 0;

  async resync(): Promise<void> {
    this.resyncs++;
  }

  kick(): void {
    this.kicks++;
  }

  newRecord(kind: 'item' | 'customer', record: Record<string, unknown>): WritePayload {
    const name = String(record.name);
    return { entity: kind === 'item' ? 'Item' : 'Customer', fields: { Name: name }, lookup: { field: 'Name', value: name } };
  }

  async close(): Promise<void> {
    this.stopStoreEvents();
  }

  /** Marks a job sent as the edition would (approved first when it waits in the queue: only approved jobs are claimed). */
  async sendJob(key: string): Promise<Job> {
    if ((await this.outbox.get(key))?.state === 'queued') await this.outbox.approve([key]);
    const job = await this.outbox.get(key);
    if (!job) throw new Error(`no job ${key}`);
    const sent = await this.outbox.markSent(job);
    if (!sent) throw new Error(`job ${key} (${job.state}) could not be claimed`);
    return sent;
  }

  /** Completes a job as the edition would after QuickBooks answered (and emits `job`). */
  async completeJob(key: string, qbId: string): Promise<Job> {
    const done = await this.outbox.complete(await this.sendJob(key), { qbId });
    this.jobFinished(done);
    return done;
  }
}

export { useStore } from '../../support/store';

let n = 0;
/** A fresh company (own id, so tests sharing a store do not see each other). */
export function newCompany(store: Store, edition: Edition = 'qbd'): TestCompany {
  return new TestCompany(`co-${++n}`, edition, store, { invoiceCreation: true });
}

/** Puts QuickBooks records in the company's mirror (active unless said otherwise). */
export async function mirrorOf(company: TestCompany, entity: string, records: Array<Partial<MirrorRecord> & { id: string; name: string }>): Promise<void> {
  await company.mirror.upsert(entity, records.map((r) => ({ active: true, data: {}, ...r })));
}

export const EDITIONS: readonly Edition[] = ['qbd', 'qbo'];
