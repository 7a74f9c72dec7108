/** DesktopCompany exactly-once and nothing-lost: killed sessions, a crash while QuickBooks holds a request, restarts. */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { customerJob, rig, type Rig } from './desktop-company-helpers';

let r: Rig;
afterEach(() => r.close());

const rqNames = (requests: string[]) => requests.map((x) => /<(\w+Rq)[ >]/.exec(x.replace('<QBXMLMsgsRq', ''))?.[1]);

function invoiceJob(key: string, ref: string, customerName: string) {
  return {
    key, kind: 'invoice.upsert' as const, sourceId: key,
    payload: {
      entity: 'Invoice',
      fields: { CustomerRef: { FullName: customerName }, TxnDate: '2024-06-20', RefNumber: ref, InvoiceLineAdd: [{ ItemRef: { FullName: 'Freight' }, Amount: 15 }] },
      lookup: { field: 'RefNumber', value: ref },
    },
    summary: `Invoice ${ref}`,
  };
}

const SEED = { customers: [{ Name: 'Oyster Bay Co' }], items: [{ type: 'ItemService' as const, Name: 'Freight', Price: 15 }] };

describe('DesktopCompany: a session that dies', () => {
  it('killed after the Nth response: the next session sends the rest; nothing twice, nothing lost', async () => {
    r = await rig({ idleTimeoutMs: 400, qbd: { seed: SEED } });
    for (let i = 1; i <= 4; i++) await r.enqueue(customerJob(`customer:c${i}`, `Customer ${i}`));
    for (let i = 1; i <= 2; i++) await r.enqueue(invoiceJob(`invoice:so-${i}`, `SO-${i}`, 'Oyster Bay Co'));

    const ended = r.nextSessionEnd();
    const killed = await r.run({ killAfterResponses: 3 });
    assert.equal(killed.killed, true);
    assert.equal((await r.run()).authStatus, 'busy', 'the dead session still holds the company until it expires');
    const end = await ended;
    assert.equal(end.reason, 'expired');
    assert.equal(end.summary, '3 sent, 3 complete, 0 errors');

    const res = await r.run();
    assert.deepEqual(res.errors, []);
    assert.deepEqual(rqNames(res.requests), ['CustomerAddRq', 'InvoiceAddRq', 'InvoiceAddRq']);
    assert.equal(r.qbd.count('Customer'), 5);
    assert.equal(r.qbd.count('Invoice'), 2);
    for (const j of await r.company.outbox.list()) {
      assert.equal(j.state, 'complete', j.key);
      assert.equal(j.attempts, 1, `${j.key} was sent once`);
    }
  });

  it('a crash while QuickBooks holds a request: the next session finds the record by its look-up and completes the job (foundExisting)', async () => {
    r = await rig({ idleTimeoutMs: 400, qbd: { seed: SEED } });
    await r.enqueue(customerJob('customer:c1', 'Kelp Co'));
    await r.enqueue(invoiceJob('invoice:so-1', 'SO-1', 'Oyster Bay Co'));

    let ended = r.nextSessionEnd();
    await r.run({ killAfterRequests: 1 }); // QuickBooks added the customer; the answer never came back
    assert.equal((await r.job('customer:c1')).state, 'sent');
    assert.match((await ended).summary, /1 unanswered/);
    const uncertain = await r.job('customer:c1');
    assert.equal(uncertain.state, 'approved');
    assert.equal(uncertain.uncertain, true);

    ended = r.nextSessionEnd();
    const second = await r.run({ killAfterRequests: 2 }); // look-up answered, then the invoice add is lost the same way
    assert.deepEqual(rqNames(second.requests), ['CustomerQueryRq', 'InvoiceAddRq']);
    await ended;

    const third = await r.run();
    assert.deepEqual(rqNames(third.requests), ['InvoiceQueryRq']);
    assert.equal(third.closeMessage, '0 sent, 1 complete, 0 errors, 1 found already in QuickBooks');

    const customer = await r.job('customer:c1');
    assert.equal(customer.state, 'complete');
    assert.equal(customer.result?.foundExisting, true);
    assert.equal(customer.result?.qbId, r.qbd.get('Customer', 'Kelp Co')?.ListID);
    const invoice = await r.job('invoice:so-1');
    assert.equal(invoice.result?.foundExisting, true);
    assert.equal(invoice.result?.qbId, (r.qbd.all('Invoice')[0] as { TxnID: string }).TxnID);
    assert.equal(r.qbd.count('Customer'), 2);
    assert.equal(r.qbd.count('Invoice'), 1);
  });

  it('a crash before QuickBooks ran the request: the look-up finds nothing and the record is added once', async () => {
    r = await rig({ idleTimeoutMs: 400, qbd: { seed: SEED } });
    await r.enqueue(invoiceJob('invoice:so-1', 'SO-1', 'Oyster Bay Co'));
    const ended = r.nextSessionEnd();
    await r.run({ killAfterRequests: 1, processKilledRequest: false });
    await ended;
    const res = await r.run();
    assert.deepEqual(rqNames(res.requests), ['InvoiceQueryRq', 'InvoiceAddRq'], 'status 1 (no match) is not an error: add it now');
    const job = await r.job('invoice:so-1');
    assert.equal(job.state, 'complete');
    assert.equal(job.result?.foundExisting, undefined);
    assert.equal(job.attempts, 2);
    assert.equal(r.qbd.count('Invoice'), 1);
  });

  it('QuickBooks cannot be opened (connectionError): nothing is lost, the work waits for the next run', async () => {
    r = await rig();
    await r.enqueue(customerJob('customer:c1', 'Kelp Co'));
    const failed = await r.run({ openFails: true });
    assert.equal(failed.connectionErrorAnswer, 'done');
    assert.equal((await r.job('customer:c1')).state, 'approved');
    await r.run();
    assert.equal((await r.job('customer:c1')).state, 'complete');
    assert.equal(r.qbd.count('Customer'), 1);
  });
});

describe('DesktopCompany: a restart of the company object', () => {
  it('a new instance over the same store recovers sent jobs as uncertain and resumes the queue', async () => {
    r = await rig({ qbd: { seed: SEED } });
    await r.enqueue(customerJob('customer:c1', 'Kelp Co'));
    await r.enqueue(customerJob('customer:c2', 'Mussel Co'));
    await r.enqueue(invoiceJob('invoice:so-1', 'SO-1', 'Oyster Bay Co'));
    await r.run({ killAfterRequests: 2 }); // c1 complete, c2 added in QuickBooks but unanswered; then the process dies
    assert.equal((await r.job('customer:c2')).state, 'sent');

    // the process restarts: the old service and company are gone without ending their session
    r.server.closeAllConnections();
    await new Promise<void>((resolve) => r.server.close(() => resolve()));
    await r.newCompany();
    await r.startService();
    const recovered = await r.job('customer:c2');
    assert.equal(recovered.state, 'approved');
    assert.equal(recovered.uncertain, true);

    const res = await r.run();
    assert.deepEqual(rqNames(res.requests), ['CustomerQueryRq', 'InvoiceAddRq']);
    assert.equal((await r.job('customer:c2')).result?.foundExisting, true);
    assert.equal((await r.job('invoice:so-1')).state, 'complete');
    assert.equal(r.qbd.count('Customer'), 3);
    assert.equal(r.qbd.count('Invoice'), 1);
  });
});
