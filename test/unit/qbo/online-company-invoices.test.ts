import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InvoiceHandler, type InvoiceOutcome } from '../../../nodes/lib/handlers/invoices';
import type { Job } from '../../../nodes/lib/jobs';
import { OnlineRig, seedBasics } from './online-company-rig';

describe('BlueTrace packed orders → QuickBooks Online invoices (InvoiceHandler + OnlineCompany)', () => {
  let rig: OnlineRig;
  let handler: InvoiceHandler;
  let ids: { customerId: string; itemId: string };
  const outcomes: InvoiceOutcome[] = [];
  const waiters: Array<() => void> = [];

  /** The next logged outcome of an order (after the company's job event went through the handler). */
  function outcomeOf(orderId: string, from: number): Promise<InvoiceOutcome> {
    return new Promise((resolve) => {
      const check = () => {
        const hit = outcomes.slice(from).find((o) => o.orderId === orderId);
        if (hit) resolve(hit);
        else waiters.push(check);
      };
      check();
    });
  }

  const order = (id: string, quantity: number, unitPrice = 42.5) => ({
    id, orderNumber: id.toUpperCase(), customerId: 'cu-1', packedDate: '2026-11-20', lines: [{ itemId: 'it-1', sku: 'KUM-60', description: 'Kumamoto 60ct', quantity, unitPrice }],
  });

  before(async () => {
    rig = await new OnlineRig().open();
    ids = seedBasics(rig);
    rig.clock.advance(1000);
    const company = await rig.started();
    const customers = company.matches('customer');
    await customers.upsertApp([{ appId: 'cu-1', appName: 'Oyster Bay', key: 'ap@oysterbay.example', record: {} }]);
    await customers.save([{ appId: 'cu-1', key: 'ap@oysterbay.example', status: 'matched', qbId: ids.customerId }]);
    const items = company.matches('item');
    await items.upsertApp([{ appId: 'it-1', appName: 'Kumamoto 60ct', key: 'kum-60', record: {} }]);
    await items.save([{ appId: 'it-1', key: 'kum-60', status: 'matched', qbId: ids.itemId }]);
    handler = new InvoiceHandler(company);
    company.on('job', (job: Job) =>
      void handler.onJob(job).then((o) => {
        if (o) outcomes.push(o);
        for (const w of waiters.splice(0)) w();
      }));
  });
  after(() => rig.close());

  async function handle(id: string, quantity: number): Promise<InvoiceOutcome> {
    const from = outcomes.length;
    await handler.handle(order(id, quantity));
    return outcomeOf(id, from);
  }

  it('creates the invoice of a packed order and logs it as created with its QuickBooks id', async () => {
    assert.equal((await handle('so-1', 3)).status, 'created');
    const inv = rig.sim.all('Invoice').filter((i) => i.DocNumber === 'SO-1');
    assert.equal(inv.length, 1);
    assert.equal(inv[0].TotalAmt, 127.5);
    const entry = (await handler.list()).find((e) => e.sourceId === 'so-1');
    assert.equal(entry?.status, 'created');
    assert.equal(entry?.qbId, inv[0].Id);
  });

  it('updates the same invoice when the order changes before it is closed', async () => {
    assert.equal((await handle('so-1', 4)).status, 'updated');
    const inv = rig.sim.all('Invoice').filter((i) => i.DocNumber === 'SO-1');
    assert.equal(inv.length, 1);
    assert.equal(inv[0].TotalAmt, 170);
    assert.equal(inv[0].SyncToken, '1');
    assert.equal((await handler.list()).find((e) => e.sourceId === 'so-1')?.status, 'updated');
  });

  it('shows a QuickBooks refusal as an action with its code in the invoice log', async () => {
    rig.sim.company.update('Item', { Id: ids.itemId, SyncToken: rig.sim.all('Item').find((i) => i.Id === ids.itemId)?.SyncToken, sparse: true, Active: false });
    assert.equal((await handle('so-2', 1)).status, 'needs-action');
    const entry = (await handler.list()).find((e) => e.sourceId === 'so-2');
    assert.equal(entry?.status, 'needs-action');
    assert.match(entry?.actions[0] ?? '', /^QuickBooks refused invoice SO-2 \(\d+\): /);
    assert.equal(rig.sim.all('Invoice').filter((i) => i.DocNumber === 'SO-2').length, 0);
  });
  it('never logs "queued" over the end another instance logged first for the same job version', async () => {
    const log = rig.company.log('invoice');
    await log.put('so-race', { status: 'created', qbId: '77', actions: [], jobVersion: 2 });
    const kept = await log.put('so-race', { status: 'queued', actions: [], jobVersion: 2 }, {}, { ifOlderThan: 2 });
    assert.equal(kept.status, 'created');
    assert.equal((await log.get('so-race'))?.status, 'created');
    const older = await log.put('so-race', { status: 'queued', actions: [], jobVersion: 1 }, {}, { ifOlderThan: 1 });
    assert.equal(older.status, 'created', 'an older version never overwrites');
    const next = await log.put('so-race', { status: 'queued', actions: [], jobVersion: 3 }, {}, { ifOlderThan: 3 });
    assert.equal(next.status, 'queued', 'a changed order (a new job version) shows queued again');
    assert.equal((await log.get('so-race'))?.jobVersion, 3);
    // a new entry is inserted once; a second writer for the same version decides again and keeps the first
    const [a, b] = await Promise.all([
      log.put('so-new', { status: 'created', qbId: '78', actions: [], jobVersion: 1 }),
      log.put('so-new', { status: 'queued', actions: [], jobVersion: 1 }, {}, { ifOlderThan: 1 }),
    ]);
    assert.ok([a.status, b.status].includes('created'));
    assert.equal((await log.get('so-new'))?.status, 'created');
  });

  it('brings a "queued" entry up to its complete job when the instance that sent it stopped before logging it', async () => {
    const log = rig.company.log('invoice');
    const job = await rig.company.outbox.get('invoice:so-1'); // created, then updated (version 2), above
    assert.equal(job?.state, 'complete');
    await log.put('so-1', { status: 'queued', qbId: undefined, jobVersion: job!.version }); // as the stopped instance left it
    const outcomes = await new InvoiceHandler(rig.company).reconcile();
    assert.deepEqual(outcomes.map((o) => [o.orderId, o.status]), [['so-1', 'updated']]);
    const entry = await log.get('so-1');
    assert.equal(entry?.status, 'updated');
    assert.equal(entry?.qbId, (job!.result as { qbId: string }).qbId);
    assert.deepEqual(await new InvoiceHandler(rig.company).reconcile(), [], 'nothing left to bring up');
  });
});
