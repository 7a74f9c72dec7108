/**
 * Issue 11 on QuickBooks Desktop: a look-up after an unknown outcome (a Web Connector killed before the
 * response) finds the job's own record by its tag, never a look-alike. Two BluBilling payments with the
 * same reference "CHK 5555", date and amount (one cheque paying BB-3001 and BB-3002) become two
 * QuickBooks payments, one applied to each invoice; a customer of the same name that the job did not
 * create is never claimed.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { invoicePayload, paymentPayload } from '../../../nodes/lib/handlers/export-shapes';
import { jobRefsIn, type WriteResult } from '../../../nodes/lib/jobs';
import { customerJob, rig, type Rig } from './desktop-company-helpers';

let r: Rig;
afterEach(() => r.close());

const SEED = { customers: [{ Name: 'Oyster Bay Co' }], items: [{ type: 'ItemService' as const, Name: 'Freight', Price: 40 }] };

/** Two 40.00 invoices and the first CHK 5555 payment exported; the second payment queued. */
async function twoInvoicesOnePaid(): Promise<{ customer: string }> {
  const customer = r.qbd.get('Customer', 'Oyster Bay Co')?.ListID as string;
  const item = r.qbd.get('Item', 'Freight')?.ListID as string;
  for (const n of ['3001', '3002']) {
    const payload = invoicePayload('qbd', { id: n, invoiceNumber: `BB-${n}`, customerId: 'c1', invoiceDate: '2024-06-20', createdAt: '2024-06-20T10:00:00Z', lines: [{ chargeId: 'x', quantity: 1, unitPrice: 40 }] }, customer, [{ qbId: item, name: 'Freight' }]);
    await r.enqueue({ key: `invoice:${n}`, kind: 'invoice.upsert', sourceId: n, payload, summary: `Invoice BB-${n}` });
  }
  await r.enqueue(paymentJob('p1', '3001', customer));
  const first = await r.run();
  assert.deepEqual(first.errors, []);
  assert.equal((await r.job('payment:p1')).state, 'complete');
  await r.enqueue(paymentJob('p2', '3002', customer));
  return { customer };
}

function paymentJob(id: string, invoice: string, customer: string) {
  const payload = paymentPayload('qbd', { id, customerId: 'c1', invoiceId: invoice, paymentDate: '2024-06-21', createdAt: '2024-06-21T10:00:00Z', amount: 40, reference: 'CHK 5555' }, customer, { jobRef: `invoice:${invoice}` });
  return { key: `payment:${id}`, kind: 'payment.add' as const, sourceId: id, dependsOn: jobRefsIn(payload.fields), payload, summary: `Payment ${id}` };
}

async function assertTwoPayments(): Promise<void> {
  const payments = r.qbd.all('ReceivePayment').filter((p) => p.RefNumber === 'CHK 5555');
  assert.equal(payments.length, 2, 'two QuickBooks payments');
  const inv = (n: string) => ((r.qbd.all('Invoice').find((i) => i.RefNumber === `BB-${n}`)) as { TxnID: string; BalanceRemaining: number });
  const p1 = await r.job('payment:p1');
  const p2 = await r.job('payment:p2');
  assert.equal(p2.state, 'complete');
  const id1 = (p1.result as unknown as WriteResult).qbId;
  const id2 = (p2.result as unknown as WriteResult).qbId;
  assert.notEqual(id2, id1, 'the second job owns its own payment');
  const applied = (id: string) => JSON.stringify(payments.find((p) => p.TxnID === id));
  assert.ok(applied(id1).includes(inv('3001').TxnID));
  assert.ok(applied(id2).includes(inv('3002').TxnID));
  assert.equal(Number(inv('3001').BalanceRemaining), 0);
  assert.equal(Number(inv('3002').BalanceRemaining), 0, 'BB-3002 is paid');
}

describe('DesktopCompany look-ups after a Web Connector killed before the response', () => {
  it('QuickBooks never ran the second payment: it is added, not matched to the first CHK 5555 payment', async () => {
    r = await rig({ idleTimeoutMs: 300, qbd: { seed: SEED } });
    await twoInvoicesOnePaid();
    const ended = r.nextSessionEnd();
    await r.run({ killAfterRequests: 1, processKilledRequest: false });
    await ended;
    assert.equal((await r.job('payment:p2')).uncertain, true);
    const res = await r.run();
    assert.deepEqual(res.errors, []);
    await assertTwoPayments();
    assert.equal((await r.job('payment:p2')).result?.foundExisting, undefined);
  });

  it('QuickBooks ran it before the crash: the look-up finds it by its tag (foundExisting), not the first payment', async () => {
    r = await rig({ idleTimeoutMs: 300, qbd: { seed: SEED } });
    await twoInvoicesOnePaid();
    const ended = r.nextSessionEnd();
    await r.run({ killAfterRequests: 1 });
    await ended;
    const res = await r.run();
    assert.deepEqual(res.errors, []);
    await assertTwoPayments();
    assert.equal((await r.job('payment:p2')).result?.foundExisting, true);
  });

  it('a restart mid-send: a customer of the same name that the job did not create is not claimed by the look-up', async () => {
    r = await rig({ idleTimeoutMs: 300, qbd: { seed: { ...SEED, customers: [...SEED.customers, { Name: 'Harbor Freight Co', IsActive: false }] } } });
    await r.enqueue(customerJob('customer:hf', 'Harbor Freight Co'));
    const ended = r.nextSessionEnd();
    await r.run({ killAfterRequests: 1, processKilledRequest: false });
    await ended;
    const res = await r.run();
    assert.deepEqual(res.requests.map((x) => /<(\w+Rq)[ >]/.exec(x.replace('<QBXMLMsgsRq', ''))?.[1]), ['CustomerQueryRq', 'CustomerAddRq', 'CustomerQueryRq']);
    const job = await r.job('customer:hf');
    assert.equal(job.state, 'error', 'the look-alike was not taken as the job\'s own record');
    assert.equal(job.error?.statusCode, 3100);
    assert.equal(r.qbd.count('Customer'), 2);
  });

  it('a customer the job did create before the crash is found by the tag in its Notes', async () => {
    r = await rig({ idleTimeoutMs: 300, qbd: { seed: SEED } });
    await r.enqueue(customerJob('customer:kc', 'Kelp Co'));
    const ended = r.nextSessionEnd();
    await r.run({ killAfterRequests: 1 });
    await ended;
    await r.run();
    const job = await r.job('customer:kc');
    assert.equal(job.state, 'complete');
    assert.equal(job.result?.foundExisting, true);
    assert.match(String(r.qbd.get('Customer', 'Kelp Co')?.Notes), /\[qbsync customer:kc\]/);
  });
});
