import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { jobTag, type WriteResult } from '../../../nodes/lib/jobs';
import { invoicePayload, OnlineRig, seedBasics } from './online-company-rig';

describe('OnlineCompany writes: exactly once, updates, errors', () => {
  let rig: OnlineRig;
  let customerId: string;
  let itemId: string;
  let n = 0;
  const doc = () => `SO-${++n}`;
  const invoicesNamed = (docs: string[]) => rig.sim.all('Invoice').filter((i) => docs.includes(String(i.DocNumber)));

  before(async () => {
    rig = await new OnlineRig().open();
    ({ customerId, itemId } = seedBasics(rig));
    rig.clock.advance(1000);
    await rig.started();
  });
  after(() => rig.close());
  beforeEach(() => {
    rig.sim.faults.clear();
    rig.sim.resetStats();
  });

  it('creates a batch of invoices in one batch request and completes each job with Id, SyncToken and DocNumber', async () => {
    const docs = [doc(), doc(), doc()];
    for (const d of docs) await rig.write(`invoice:${d}`, 'invoice.upsert', invoicePayload(d, customerId, itemId));
    await rig.send();
    assert.equal(rig.sim.stats.requests.batch, 1);
    assert.equal(invoicesNamed(docs).length, 3);
    const job = await rig.job(`invoice:${docs[0]}`);
    assert.equal(job.state, 'complete');
    const result = job.result as unknown as WriteResult;
    assert.equal(result.ref, docs[0]);
    assert.equal(result.version, '0');
    assert.ok((await rig.company.mirror.get('invoices', result.qbId))?.name === docs[0]);
  });

  it('creates each invoice exactly once when the answer is lost after commit', async () => {
    const docs = [doc(), doc(), doc()];
    for (const d of docs) await rig.write(`invoice:${d}`, 'invoice.upsert', invoicePayload(d, customerId, itemId));
    rig.sim.faults.dropAfterCommit(1);
    await rig.send();
    assert.equal(rig.sim.stats.dropped, 1);
    assert.equal(invoicesNamed(docs).length, 3);
    for (const d of docs) {
      const job = await rig.job(`invoice:${d}`);
      assert.equal(job.state, 'complete');
      assert.equal((job.result as unknown as WriteResult).foundExisting, true);
    }
  });

  it('puts jobs back as uncertain when sending stops on an error after QuickBooks took them, and completes them once by their look-up', async () => {
    const docs = [doc(), doc(), doc()];
    for (const d of docs) await rig.write(`invoice:${d}`, 'invoice.upsert', invoicePayload(d, customerId, itemId));
    const mirror = rig.company.mirror;
    const upsert = mirror.upsert.bind(mirror);
    let broken = true;
    mirror.upsert = async (...args: Parameters<typeof upsert>) => {
      if (broken) {
        broken = false;
        throw new Error('the store did not answer');
      }
      return upsert(...args);
    };
    try {
      await rig.send();
      const after = await Promise.all(docs.map((d) => rig.job(`invoice:${d}`)));
      assert.ok(after.every((j) => j.state !== 'sent'), `no job stays sent while this instance lives: ${after.map((j) => j.state)}`);
      const putBack = after.filter((j) => j.history.some((h) => /sending stopped: the store did not answer; outcome unknown, will look up before re-sending/.test(h.note ?? '')));
      assert.ok(putBack.length >= 1, 'the unsettled jobs say why they went back');
      await rig.send();
    } finally {
      mirror.upsert = upsert;
    }
    assert.equal(invoicesNamed(docs).length, 3, 'each invoice once');
    for (const d of docs) assert.equal((await rig.job(`invoice:${d}`)).state, 'complete');
  });

  it('creates each invoice exactly once through server errors and retries', async () => {
    const docs = [doc(), doc()];
    for (const d of docs) await rig.write(`invoice:${d}`, 'invoice.upsert', invoicePayload(d, customerId, itemId));
    rig.sim.faults.serverError(3, { target: 'batch' });
    await rig.send();
    assert.equal(rig.sim.stats.serverErrors, 3);
    assert.equal(invoicesNamed(docs).length, 2);
    for (const d of docs) assert.equal((await rig.job(`invoice:${d}`)).state, 'complete');
  });

  it('looks up a job left sent by a crash and completes it without adding it again', async () => {
    const d = doc();
    const job = await rig.write(`invoice:${d}`, 'invoice.upsert', invoicePayload(d, customerId, itemId));
    await rig.company.outbox.markSent(job); // the process died after sending…
    // …and QuickBooks had applied it (with the job's tag in PrivateNote, as sent)
    rig.sim.seed('Invoice', [{ ...invoicePayload(d, customerId, itemId).fields, PrivateNote: jobTag(`invoice:${d}`) }]);
    await rig.company.close();
    await rig.started();
    const done = await rig.job(`invoice:${d}`);
    assert.equal(done.state, 'complete');
    assert.equal((done.result as unknown as WriteResult).foundExisting, true);
    assert.equal(invoicesNamed([d]).length, 1);
  });

  it('never claims a look-alike after a restart: an invoice with the same DocNumber but not the job\'s tag is not this job\'s', async () => {
    const d = doc();
    const job = await rig.write(`invoice:${d}`, 'invoice.upsert', invoicePayload(d, customerId, itemId));
    await rig.company.outbox.markSent(job); // the process died before the request left…
    const [other] = rig.sim.seed('Invoice', [invoicePayload(d, customerId, itemId).fields]); // …and someone keyed the same number by hand
    await rig.company.close();
    await rig.started();
    const after = await rig.job(`invoice:${d}`);
    assert.notEqual(after.state, 'complete');
    assert.notEqual((after.result as unknown as WriteResult | undefined)?.qbId, other.Id);
    assert.equal(after.error?.statusCode, '6140'); // QuickBooks refused a second invoice with that number: reported, not claimed
  });

  it('rides out a 429 storm: delayed, nothing lost, nothing doubled', async () => {
    const docs = Array.from({ length: 40 }, () => doc());
    for (const d of docs) await rig.write(`invoice:${d}`, 'invoice.upsert', invoicePayload(d, customerId, itemId));
    rig.sim.faults.throttle(12, { target: 'batch' });
    const t0 = rig.clock.now();
    await rig.send();
    assert.equal(rig.sim.stats.throttled.injected, 12);
    assert.ok(rig.clock.now() - t0 >= 60_000, 'the storm was waited out');
    assert.equal(invoicesNamed(docs).length, 40);
    for (const d of docs) assert.equal((await rig.job(`invoice:${d}`)).state, 'complete');
  });

  it('updates the same invoice when a complete job is reopened (current SyncToken read first)', async () => {
    const d = doc();
    await rig.write(`invoice:${d}`, 'invoice.upsert', invoicePayload(d, customerId, itemId, 2), { reopenOnChange: true });
    await rig.send();
    const first = (await rig.job(`invoice:${d}`)).result as unknown as WriteResult;
    // Someone edits the invoice in QuickBooks meanwhile (SyncToken moves on).
    const inv = rig.sim.all('Invoice').find((i) => i.Id === first.qbId) as Record<string, unknown>;
    rig.sim.company.update('Invoice', { Id: inv.Id, SyncToken: inv.SyncToken, sparse: true, PrivateNote: 'edited in QuickBooks' });
    await rig.write(`invoice:${d}`, 'invoice.upsert', invoicePayload(d, customerId, itemId, 5), { reopenOnChange: true });
    await rig.send();
    const job = await rig.job(`invoice:${d}`);
    assert.equal(job.state, 'complete');
    const second = job.result as unknown as WriteResult;
    assert.equal(second.qbId, first.qbId);
    assert.equal(second.updated, true);
    assert.equal(second.version, '2');
    const invoices = invoicesNamed([d]);
    assert.equal(invoices.length, 1);
    assert.equal(invoices[0].TotalAmt, 50);
  });

  it('turns a QuickBooks validation fault into a job error with its code and message', async () => {
    const d = doc();
    const payload = invoicePayload(d, customerId, itemId);
    ((payload.fields.Line as Array<Record<string, unknown>>)[0]).Amount = 99;
    await rig.write(`invoice:${d}`, 'invoice.upsert', payload);
    await rig.send();
    const job = await rig.job(`invoice:${d}`);
    assert.equal(job.state, 'error');
    assert.equal(job.error?.statusCode, '6070');
    assert.match(job.error?.message ?? '', /Amount calculation incorrect/);
    assert.ok(rig.events.jobs.some((j) => j.key === job.key && j.state === 'error'));
    assert.equal(invoicesNamed([d]).length, 0);
  });

  it('adds items in batches, mirrors them at once and marks their matches', async () => {
    const book = rig.company.matches('item');
    await book.upsertApp([{ appId: 'it-1', appName: 'Razor Clams', key: 'raz-1', record: {} }]);
    await book.flush();
    await rig.write('item:it-1', 'item.add', rig.company.newRecord('item', { id: 'it-1', name: 'Razor Clams', sku: 'RAZ-1', price: 12.5 }));
    await rig.send();
    const job = await rig.job('item:it-1');
    assert.equal(job.state, 'complete');
    const qbId = (job.result as unknown as WriteResult).qbId;
    const mirrored = await rig.company.mirror.get('items', qbId);
    assert.equal(mirrored?.data.Sku, 'RAZ-1');
    assert.equal((await book.get('it-1'))?.qbId, qbId);
    assert.equal((await book.get('it-1'))?.status, 'matched');
  });

  it('reports 6240 on an item add as the duplicate-item-name issue and never adds a second item', async () => {
    rig.sim.seed('Item', [{ Name: 'Dungeness Crab', Sku: 'DUN-OLD', Active: false }]);
    const book = rig.company.matches('item');
    await book.upsertApp([{ appId: 'it-2', appName: 'Dungeness Crab', key: 'dun-1', record: {} }]);
    await book.flush();
    await rig.write('item:it-2', 'item.add', rig.company.newRecord('item', { id: 'it-2', name: 'Dungeness Crab', sku: 'DUN-1' }));
    await rig.send();
    const job = await rig.job('item:it-2');
    assert.equal(job.state, 'error');
    assert.equal(job.error?.code, 'name-taken');
    assert.equal(job.error?.statusCode, '6240');
    assert.match(job.error?.message ?? '', /QuickBooks has an inactive item named 'Dungeness Crab': make it active in QuickBooks/);
    assert.match(job.error?.message ?? '', /Duplicate Name Exists/);
    assert.equal((await book.get('it-2'))?.issue, 'duplicate-item-name');
    assert.equal(rig.sim.all('Item').filter((i) => i.Name === 'Dungeness Crab').length, 1);
    await rig.send(); // nothing is retried
    assert.equal(rig.sim.stats.requests.batch, 1);
  });

  it('adds a customer, its invoice and a payment linked to the invoice through job references', async () => {
    await rig.write('customer:cu-9', 'customer.add', rig.company.newRecord('customer', { id: 'cu-9', name: 'Harbor: Fish Market', billingEmail: 'ap@harbor.example' }));
    const d = doc();
    const inv = invoicePayload(d, { jobRef: 'customer:cu-9' }, itemId, 3, 10);
    await rig.write(`invoice:${d}`, 'invoice.upsert', inv, { dependsOn: ['customer:cu-9'] });
    await rig.write('payment:pay-1', 'payment.add', {
      entity: 'Payment',
      fields: { CustomerRef: { value: { jobRef: 'customer:cu-9' } }, TotalAmt: 30, TxnDate: '2026-06-02', PaymentRefNum: 'PAY-1', Line: [{ Amount: 30, LinkedTxn: [{ TxnId: { jobRef: `invoice:${d}` }, TxnType: 'Invoice' }] }] },
      lookup: { field: 'RefNumber', value: 'PAY-1' },
    }, { dependsOn: ['customer:cu-9', `invoice:${d}`] });
    rig.sim.faults.dropAfterCommit(1); // the customer's batch answer is lost: found by its DisplayName
    await rig.send();
    for (const key of ['customer:cu-9', `invoice:${d}`, 'payment:pay-1']) assert.equal((await rig.job(key)).state, 'complete', key);
    const customer = rig.sim.all('Customer').filter((c) => c.DisplayName === 'Harbor Fish Market');
    assert.equal(customer.length, 1);
    const invoice = invoicesNamed([d])[0];
    assert.equal(invoice.CustomerRef.value, customer[0].Id);
    assert.equal(invoice.Balance, 0);
    const payments = rig.sim.all('Payment').filter((p) => p.PaymentRefNum === 'PAY-1');
    assert.equal(payments.length, 1);
    assert.equal(payments[0].Line[0].LinkedTxn[0].TxnId, invoice.Id);
  });

  it('sends a payment exactly once when its answer is lost (requestid replay)', async () => {
    const d = doc();
    await rig.write(`invoice:${d}`, 'invoice.upsert', invoicePayload(d, customerId, itemId, 1, 20));
    await rig.send();
    const invId = ((await rig.job(`invoice:${d}`)).result as unknown as WriteResult).qbId;
    await rig.write('payment:pay-2', 'payment.add', {
      entity: 'Payment',
      fields: { CustomerRef: { value: customerId }, TotalAmt: 20, PaymentRefNum: 'PAY-2', Line: [{ Amount: 20, LinkedTxn: [{ TxnId: invId, TxnType: 'Invoice' }] }] },
      lookup: { field: 'RefNumber', value: 'PAY-2' },
    });
    rig.sim.faults.dropAfterCommit(1);
    await rig.send();
    assert.equal((await rig.job('payment:pay-2')).state, 'complete');
    assert.equal(rig.sim.stats.replays, 1);
    assert.equal(rig.sim.all('Payment').filter((p) => p.PaymentRefNum === 'PAY-2').length, 1);
  });

  it('a payment method by name becomes the PaymentMethodRef of QuickBooks\' method; an unknown one is left out and said in the history', async () => {
    const [check] = rig.sim.seed('PaymentMethod', [{ Name: 'Check' }]);
    const d = doc();
    await rig.write(`invoice:${d}`, 'invoice.upsert', invoicePayload(d, customerId, itemId, 2, 20));
    await rig.send();
    const invId = ((await rig.job(`invoice:${d}`)).result as unknown as WriteResult).qbId;
    const pay = (ref: string, method: string, amount: number) => ({
      entity: 'Payment' as const,
      fields: { CustomerRef: { value: customerId }, TotalAmt: amount, PaymentRefNum: ref, PaymentMethodRef: { name: method }, Line: [{ Amount: amount, LinkedTxn: [{ TxnId: invId, TxnType: 'Invoice' }] }] },
      lookup: { field: 'RefNumber' as const, value: ref },
    });
    await rig.write('payment:pm-1', 'payment.add', pay('PM-1', 'check', 20));
    await rig.write('payment:pm-2', 'payment.add', pay('PM-2', 'Bitcoin', 20));
    await rig.send();
    const withMethod = rig.sim.all('Payment').find((p) => p.PaymentRefNum === 'PM-1');
    assert.deepEqual(withMethod?.PaymentMethodRef, { value: check.Id, name: 'Check' });
    assert.equal(withMethod?.PrivateNote, jobTag('payment:pm-1'), 'no memo text for the method, only the job tag');
    const without = rig.sim.all('Payment').find((p) => p.PaymentRefNum === 'PM-2');
    assert.equal(without?.PaymentMethodRef, undefined);
    const job = await rig.job('payment:pm-2');
    assert.equal(job.state, 'complete');
    assert.match(job.history.at(-1)?.note ?? '', /QuickBooks has no active payment method named 'Bitcoin'/);
  });
});

describe('OnlineCompany.newRecord', () => {
  let rig: OnlineRig;
  before(async () => {
    rig = await new OnlineRig().open();
    rig.newCompany();
  });
  after(() => rig.close());

  it('builds a NonInventory item with the General settings accounts and a Name look-up', () => {
    const p = rig.company.newRecord('item', { id: 'it-1', name: 'Kumamoto: 60ct', sku: 'KUM-60', description: 'Oysters', price: 42.5 });
    assert.equal(p.entity, 'Item');
    assert.deepEqual(p.fields, { Name: 'Kumamoto 60ct', Type: 'NonInventory', IncomeAccountRef: { value: rig.incomeAccountId }, Sku: 'KUM-60', Description: 'Oysters', UnitPrice: 42.5 });
    assert.deepEqual(p.lookup, { field: 'Name', value: 'Kumamoto 60ct' });
    assert.deepEqual(p.match, { kind: 'item', appId: 'it-1' });
  });

  it('builds a customer with DisplayName, e-mail and billing address and a DisplayName look-up', () => {
    const p = rig.company.newRecord('customer', { id: 'cu-1', name: 'Oyster Bay Co', billingEmail: 'ap@oysterbay.example', billingAddress: { line1: '1 Dock St', city: 'Portland', region: 'ME', postalCode: '04101' } });
    assert.equal(p.fields.DisplayName, 'Oyster Bay Co');
    assert.deepEqual(p.fields.PrimaryEmailAddr, { Address: 'ap@oysterbay.example' });
    assert.deepEqual(p.fields.BillAddr, { Line1: '1 Dock St', City: 'Portland', CountrySubDivisionCode: 'ME', PostalCode: '04101' });
    assert.deepEqual(p.lookup, { field: 'DisplayName', value: 'Oyster Bay Co' });
  });

  it('names the missing income account setting', () => {
    const company = rig.newCompany({ settings: { invoiceCreation: true } });
    assert.throws(() => company.newRecord('item', { id: 'x', name: 'X' }), /income account \(General settings: incomeAccountId\)/);
  });
});

describe('OnlineCompany.close', () => {
  let rig: OnlineRig;
  before(async () => {
    rig = await new OnlineRig().open();
  });
  after(() => rig.close());

  it('cancels a scheduled send: nothing leaves after close, the job stays approved', async () => {
    const { customerId, itemId } = seedBasics(rig);
    rig.clock.advance(1000);
    await rig.started({ lingerMs: 50 });
    rig.sim.resetStats();
    await rig.write('invoice:SO-X', 'invoice.upsert', invoicePayload('SO-X', customerId, itemId));
    rig.company.kick();
    await rig.company.close();
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(rig.sim.stats.requests.batch, 0);
    assert.equal((await rig.job('invoice:SO-X')).state, 'approved');
  });
});
