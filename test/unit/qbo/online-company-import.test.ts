import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { ImportPayload, JobKind } from '../../../nodes/lib/jobs';
import { RANK } from '../../../nodes/lib/jobs';
import { invoicePayload, OnlineRig, seedBasics } from './online-company-rig';

const MIN = 60_000;

describe('OnlineCompany imports by date range (BluBilling on QuickBooks Online)', () => {
  let rig: OnlineRig;
  /** LastUpdatedTime of the customers seeded one minute apart: C0 … C4. */
  const times: string[] = [];
  let seq = 0;

  async function importJob(kind: JobKind, payload: ImportPayload) {
    const key = `import:${kind}:${++seq}`;
    await rig.company.outbox.enqueue({ key, kind, rank: RANK[kind], payload });
    await rig.send();
    return { job: await rig.job(key), pages: rig.events.imported.filter((p) => p.job.key === key) };
  }

  before(async () => {
    rig = await new OnlineRig().open();
    const { customerId, itemId } = seedBasics(rig);
    for (let i = 0; i < 5; i++) {
      rig.clock.advance(MIN);
      const c = rig.sim.seed('Customer', [{ DisplayName: `C${i}`, ...(i === 2 ? { Active: false } : {}) }])[0];
      times.push(String(c.MetaData.LastUpdatedTime));
    }
    rig.sim.seed('Invoice', [
      { ...invoicePayload('INV-A', customerId, itemId).fields, TxnDate: '2024-05-31' },
      { ...invoicePayload('INV-B', customerId, itemId).fields, TxnDate: '2024-06-01' },
      { ...invoicePayload('INV-C', customerId, itemId).fields, TxnDate: '2024-06-30' },
      { ...invoicePayload('INV-D', customerId, itemId).fields, TxnDate: '2024-07-01' },
    ]);
    rig.clock.advance(MIN);
    await rig.started();
  });
  after(() => rig.close());
  beforeEach(() => {
    rig.events.imported.length = 0;
  });

  it('includes both ends of a date-time range (inactive records too)', async () => {
    const { job, pages } = await importJob('import.customers', { from: times[1], to: times[3] });
    assert.equal(job.state, 'complete');
    const names = pages.flatMap((p) => p.records.map((r) => r.name)).sort();
    assert.deepEqual(names, ['C1', 'C2', 'C3']);
    assert.equal(job.result?.count, 3);
  });

  it('imports active records only when asked (BluBilling\'s "active customers")', async () => {
    const { job, pages } = await importJob('import.customers', { from: times[1], to: times[3], activeOnly: true });
    assert.equal(job.state, 'complete');
    assert.deepEqual(pages.flatMap((p) => p.records.map((r) => r.name)).sort(), ['C1', 'C3']);
  });

  it('emits one imported event per page with count, total and done on the last', async () => {
    const { pages } = await importJob('import.customers', { from: times[0], to: times[4], pageSize: 2 });
    assert.deepEqual(pages.map((p) => [p.records.length, p.count, p.total, p.done]), [[2, 2, 5, false], [2, 4, 5, false], [1, 5, 5, true]]);
    assert.ok(pages.every((p) => p.entity === 'customers'));
  });

  it('imports invoices by transaction date with inclusive whole days, into the mirror', async () => {
    const { pages } = await importJob('import.invoices', { from: '2024-06-01', to: '2024-06-30', dateField: 'txn' });
    const docs = pages.flatMap((p) => p.records.map((r) => r.name)).sort();
    assert.deepEqual(docs, ['INV-B', 'INV-C']);
    const mirrored = await rig.company.mirror.list('invoices');
    assert.ok(mirrored.some((r) => r.name === 'INV-B'));
  });

  it('treats a bare "to" date as the whole day', async () => {
    const day = new Date(Date.parse(times[4])).toISOString().slice(0, 10);
    const { pages } = await importJob('import.customers', { from: times[4], to: day });
    assert.deepEqual(pages.flatMap((p) => p.records.map((r) => r.name)), ['C4']);
  });

  it('emits one empty, done page for an empty range', async () => {
    const { job, pages } = await importJob('import.items', { from: '2001-01-01', to: '2001-01-02' });
    assert.equal(job.state, 'complete');
    assert.deepEqual(pages.map((p) => [p.records.length, p.done, p.count]), [[0, true, 0]]);
  });

  it('fails a range whose from is after its to, with a clear error', async () => {
    const { job } = await importJob('import.items', { from: '2024-02-01', to: '2024-01-01' });
    assert.equal(job.state, 'error');
    assert.match(job.error?.message ?? '', /is after to/);
  });
});
