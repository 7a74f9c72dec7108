/**
 * Issue 11 item 3/4 on QuickBooks Desktop, through the BluBilling exporter: a customer whose name
 * QuickBooks already has (3100). An active customer that was never imported is referenced and its
 * invoice goes out in the same run (it used to wait In Queue forever); a name held by a vendor, an
 * employee or an other name is reported with the action, the invoice shows as Held with the same reason,
 * and a rename in BluBilling followed by an export sends both.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { ChargeHandler } from '../../../nodes/lib/handlers/charges';
import { ExportHandler } from '../../../nodes/lib/handlers/exporter';
import { rig, type Rig } from './desktop-company-helpers';

let r: Rig;
afterEach(() => r.close());

const JUNE = { from: '2024-06-01', to: '2024-06-30' };

async function setup(seed: Record<string, unknown>): Promise<ExportHandler> {
  r = await rig({ qbd: { seed: { items: [{ type: 'ItemService' as const, Name: 'Hosting', Price: 40 }], ...seed } } });
  const item = r.qbd.get('Item', 'Hosting')?.ListID as string;
  await r.company.mirror.upsert('items', [{ id: item, name: 'Hosting', active: true, data: {} }]);
  await new ChargeHandler(r.company).ingest([{ id: 'ch-1', name: 'Hosting', priceCode: 'Hosting' }]);
  const exporter = new ExportHandler(r.company, { autoApprove: true, timeZone: 'UTC' });
  r.company.on('job', (j) => void exporter.onJob(j));
  await exporter.records.receive('customer', [{ id: 'c1', name: 'Harbor Freight Co', createdAt: '2024-06-10T10:00:00Z' }]);
  await exporter.records.receive('invoice', [{ id: 'i1', invoiceNumber: 'BB-3001', customerId: 'c1', invoiceDate: '2024-06-10', createdAt: '2024-06-10T11:00:00Z', lines: [{ chargeId: 'ch-1', quantity: 1, unitPrice: 40 }] }]);
  await exporter.export(JUNE);
  return exporter;
}

describe('DesktopCompany + exporter: a customer name QuickBooks Desktop already has (3100)', () => {
  it('an active customer never imported: referenced, and the invoice goes out in the same run (not In Queue forever)', async () => {
    await setup({ customers: [{ Name: 'Harbor Freight Co' }] });
    const res = await r.run();
    assert.deepEqual(res.errors, []);
    const existing = r.qbd.get('Customer', 'Harbor Freight Co')?.ListID;
    const customer = await r.job('customer:c1');
    assert.equal(customer.state, 'complete');
    assert.equal(customer.result?.qbId, existing);
    assert.equal(customer.result?.matchedExisting, true);
    assert.equal((await r.job('invoice:i1')).state, 'complete');
    const inv = r.qbd.all('Invoice').find((i) => i.RefNumber === 'BB-3001') as { CustomerRef: { ListID: string } };
    assert.equal(inv.CustomerRef.ListID, existing);
    assert.equal(r.qbd.count('Customer'), 1);
  });

  for (const [seed, holder] of [
    [{ vendors: ['Harbor Freight Co'] }, /QuickBooks has a vendor named 'Harbor Freight Co': rename the BluBilling customer or the vendor/],
    [{ employees: ['Harbor Freight Co'] }, /QuickBooks has an employee named 'Harbor Freight Co': rename the BluBilling customer or the employee/],
    [{ otherNames: ['Harbor Freight Co'] }, /QuickBooks has 'Harbor Freight Co' in its Other Names list .*: rename the BluBilling customer or that name in QuickBooks/],
  ] as const) {
    it(`the name is held by ${Object.keys(seed)[0]}: the holder is named in the action`, async () => {
      await setup(seed);
      const res = await r.run();
      assert.deepEqual(res.errors, []);
      const customer = await r.job('customer:c1');
      assert.equal(customer.state, 'error');
      assert.match(customer.error?.message ?? '', holder);
      assert.equal((await r.job('invoice:i1')).heldBy?.key, 'customer:c1');
    });
  }

  it('an inactive customer of that name: make it active, or rename', async () => {
    await setup({ customers: [{ Name: 'Harbor Freight Co', IsActive: false }] });
    await r.run();
    assert.match((await r.job('customer:c1')).error?.message ?? '', /QuickBooks has an inactive customer named 'Harbor Freight Co': make it active in QuickBooks/);
  });

  it('a vendor, employee or other name: the action on the customer, the invoice Held with the same reason; a rename and an export send both', async () => {
    const exporter = await setup({ otherNames: ['Harbor Freight Co'] });
    await r.run();
    const customer = await r.job('customer:c1');
    assert.equal(customer.state, 'error');
    assert.equal(customer.error?.statusCode, 3100);
    assert.match(customer.error?.message ?? '', /QuickBooks has 'Harbor Freight Co' in its Other Names list/);
    assert.match(customer.error?.message ?? '', /rename the BluBilling customer or that name in QuickBooks/);

    // Nothing waits silently: the queue, the history and the record say why the invoice cannot go.
    const queue = (await exporter.run({ command: 'queue' })) as { queue: Array<{ key: string; status: string; held?: { key: string; reason: string } }> };
    const row = queue.queue.find((q) => q.key === 'invoice:i1');
    assert.equal(row?.status, 'Held');
    assert.equal(row?.held?.key, 'customer:c1');
    assert.match(row?.held?.reason ?? '', /in its Other Names list/);
    const invJob = await r.job('invoice:i1');
    assert.ok(invJob.history.some((h) => /^held: waits for Customer Harbor Freight Co/.test(h.note ?? '')));
    await new Promise((resolve) => setTimeout(resolve, 20)); // the job events reach the exporter
    const record = await exporter.records.get('invoice', 'i1');
    assert.equal(record?.status, 'held');
    assert.match(String(record?.actions?.[0]), /Invoice BB-3001 is held: Customer Harbor Freight Co needs action/);
    assert.equal((await r.run()).authStatus, 'none', 'nothing can go until the fix');

    // The fix: the customer is renamed in BluBilling; the next export re-opens its job with the new name.
    await exporter.records.receive('customer', [{ id: 'c1', name: 'Harbor Freight Company', createdAt: '2024-06-10T10:00:00Z' }]);
    await exporter.export(JUNE);
    const reopened = await r.job('customer:c1');
    assert.equal(reopened.state, 'approved');
    assert.equal((await r.job('invoice:i1')).heldBy, undefined);
    const res = await r.run();
    assert.deepEqual(res.errors, []);
    assert.equal((await r.job('customer:c1')).state, 'complete');
    assert.equal((await r.job('invoice:i1')).state, 'complete');
    const added = r.qbd.get('Customer', 'Harbor Freight Company')?.ListID;
    assert.equal((r.qbd.all('Invoice').find((i) => i.RefNumber === 'BB-3001') as { CustomerRef: { ListID: string } }).CustomerRef.ListID, added);
  });
});
