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
});
