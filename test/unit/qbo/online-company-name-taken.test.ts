/**
 * Issue 11 item 3 on QuickBooks Online: a BluBilling customer whose name QuickBooks already has (6240).
 * An active customer is referenced and its invoice goes out; an inactive customer or a vendor is
 * reported on the job with the action to take, its invoice is held with the same reason (never In Queue
 * silently), and after the fix a retry sends both.
 */
import assert from 'node:assert/strict';
import { after, beforeEach, describe, it } from 'node:test';
import { customerPayload, invoicePayload } from '../../../nodes/lib/handlers/export-shapes';
import { jobRefsIn, type WriteResult } from '../../../nodes/lib/jobs';
import { OnlineRig, seedBasics } from './online-company-rig';

describe('OnlineCompany: a customer name QuickBooks already has (6240)', () => {
  let rig: OnlineRig;
  let itemId: string;

  after(() => rig?.close());
  beforeEach(async () => {
    await rig?.close();
    rig = await new OnlineRig().open();
    ({ itemId } = seedBasics(rig));
    rig.clock.advance(1000);
    await rig.started();
  });

  async function customerAndInvoice(): Promise<void> {
    await rig.write('customer:c9', 'customer.add', customerPayload('qbo', { id: 'c9', name: 'Harbor Freight Co', email: 'ap@harbor.example', createdAt: '2026-06-01T10:00:00Z' }));
    const inv = invoicePayload('qbo', { id: 'i9', invoiceNumber: 'BB-4001', customerId: 'c9', invoiceDate: '2026-06-01', createdAt: '2026-06-01T10:00:00Z', lines: [{ chargeId: 'x', quantity: 1, unitPrice: 40 }] }, { jobRef: 'customer:c9' }, [{ qbId: itemId, name: 'Kumamoto 60ct' }]);
    await rig.write('invoice:i9', 'invoice.upsert', inv, { dependsOn: jobRefsIn(inv.fields) });
    await rig.send();
  }

  it('an active customer of that name is referenced (matchedExisting) and the invoice goes out for it', async () => {
    const [existing] = rig.sim.seed('Customer', [{ DisplayName: 'Harbor Freight Co' }]);
    await customerAndInvoice();
    const customer = await rig.job('customer:c9');
    assert.equal(customer.state, 'complete');
    assert.equal((customer.result as unknown as WriteResult).qbId, existing.Id);
    assert.equal((customer.result as unknown as WriteResult).matchedExisting, true);
    assert.equal(rig.sim.all('Customer').filter((c) => c.DisplayName === 'Harbor Freight Co').length, 1);
    const invoice = rig.sim.all('Invoice').find((i) => i.DocNumber === 'BB-4001');
    assert.equal(invoice?.CustomerRef.value, existing.Id);
  });

  it('a vendor of that name: the customer job says so with the action, the invoice is held with the same reason, a retry after the rename sends both', async () => {
    const [vendor] = rig.sim.seed('Vendor', [{ DisplayName: 'Harbor Freight Co' }]);
    await customerAndInvoice();
    const customer = await rig.job('customer:c9');
    assert.equal(customer.state, 'error');
    assert.equal(customer.error?.statusCode, '6240');
    assert.match(customer.error?.message ?? '', /QuickBooks has a vendor named 'Harbor Freight Co': rename the BluBilling customer or the vendor/);
    const invoice = await rig.job('invoice:i9');
    assert.equal(invoice.state, 'approved');
    assert.equal(invoice.heldBy?.key, 'customer:c9');
    assert.match(invoice.heldBy?.reason ?? '', /vendor named 'Harbor Freight Co'/);
    assert.ok(invoice.history.some((h) => /held/.test(h.note ?? '')));

    // The fix: the vendor is renamed in QuickBooks; the admin retries the customer.
    rig.sim.company.update('Vendor', { Id: vendor.Id, SyncToken: vendor.SyncToken, sparse: true, DisplayName: 'Harbor Freight Co (vendor)' });
    await rig.company.outbox.approve(['customer:c9']);
    await rig.send();
    assert.equal((await rig.job('customer:c9')).state, 'complete');
    const sent = await rig.job('invoice:i9');
    assert.equal(sent.state, 'complete');
    assert.equal(sent.heldBy, undefined);
  });

  it('an inactive customer of that name: the action is to make it active, then a retry references it', async () => {
    const [inactive] = rig.sim.seed('Customer', [{ DisplayName: 'Harbor Freight Co', Active: false }]);
    await customerAndInvoice();
    const customer = await rig.job('customer:c9');
    assert.equal(customer.state, 'error');
    assert.match(customer.error?.message ?? '', /QuickBooks has an inactive customer named 'Harbor Freight Co': make it active in QuickBooks/);
    rig.sim.company.update('Customer', { Id: inactive.Id, SyncToken: inactive.SyncToken, sparse: true, Active: true });
    await rig.company.outbox.approve(['customer:c9']);
    await rig.send();
    assert.equal(((await rig.job('customer:c9')).result as unknown as WriteResult).qbId, inactive.Id);
    assert.equal((await rig.job('invoice:i9')).state, 'complete');
  });
});
