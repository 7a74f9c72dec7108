/**
 * Issue 11: the look-up after an unknown outcome finds the job's own record, never a look-alike. One
 * customer has two 40.00 invoices (BB-3001, BB-3002) and one cheque pays both, so BluBilling sends two
 * payments with the same reference "CHK 5555", date and amount. Whatever happens to the second one's
 * answer (a 500 storm until the client gives up, commit-then-drop, a restart mid-send), QuickBooks ends up
 * with two payments, one applied to each invoice, and each job owns its own.
 */
import assert from 'node:assert/strict';
import { after, beforeEach, describe, it } from 'node:test';
import { paymentPayload } from '../../../nodes/lib/handlers/export-shapes';
import { type Job, type WriteResult } from '../../../nodes/lib/jobs';
import { invoicePayload, OnlineRig, seedBasics } from './online-company-rig';

describe('OnlineCompany look-ups after an unknown outcome: two identical payments stay two', () => {
  let rig: OnlineRig;
  let customerId: string;
  let itemId: string;
  let n = 0;

  after(() => rig?.close());
  beforeEach(async () => {
    await rig?.close();
    rig = await new OnlineRig().open();
    ({ customerId, itemId } = seedBasics(rig));
    rig.clock.advance(1000);
    await rig.started();
  });

  /** Two 40.00 invoices exported; the first CHK 5555 payment exported; the second queued (not sent). */
  async function twoInvoicesOnePaid(): Promise<{ inv1: string; inv2: string; pay1: Job; key2: string }> {
    n++;
    for (const d of [`BB-300${n}1`, `BB-300${n}2`]) await rig.write(`invoice:${d}`, 'invoice.upsert', invoicePayload(d, customerId, itemId, 1, 40));
    await rig.send();
    const inv1 = ((await rig.job(`invoice:BB-300${n}1`)).result as unknown as WriteResult).qbId;
    const inv2 = ((await rig.job(`invoice:BB-300${n}2`)).result as unknown as WriteResult).qbId;
    const payment = (id: string, invoice: string) => paymentPayload('qbo', { id, customerId, invoiceId: invoice, paymentDate: '2026-06-02', createdAt: '2026-06-02T10:00:00Z', amount: 40, reference: 'CHK 5555' }, customerId, invoice);
    await rig.write(`payment:p${n}-1`, 'payment.add', payment(`p${n}-1`, inv1));
    await rig.send();
    const pay1 = await rig.job(`payment:p${n}-1`);
    assert.equal(pay1.state, 'complete');
    const key2 = `payment:p${n}-2`;
    await rig.write(key2, 'payment.add', payment(`p${n}-2`, inv2));
    return { inv1, inv2, pay1, key2 };
  }

  /** Two payments in QuickBooks, one on each invoice, each owned by its own job; both invoices paid. */
  async function assertTwoPayments(inv1: string, inv2: string, pay1: Job, key2: string): Promise<void> {
    const payments = rig.sim.all('Payment').filter((p) => p.PaymentRefNum === 'CHK 5555');
    assert.equal(payments.length, 2, 'two QuickBooks payments');
    const onInvoice = (id: string) => payments.filter((p) => p.Line.some((l: { LinkedTxn: Array<{ TxnId: string }> }) => l.LinkedTxn.some((t) => t.TxnId === id)));
    assert.equal(onInvoice(inv1).length, 1);
    assert.equal(onInvoice(inv2).length, 1);
    const job2 = await rig.job(key2);
    assert.equal(job2.state, 'complete');
    const id1 = (pay1.result as unknown as WriteResult).qbId;
    const id2 = (job2.result as unknown as WriteResult).qbId;
    assert.notEqual(id2, id1, 'the second job owns its own QuickBooks payment');
    assert.equal(onInvoice(inv2)[0].Id, id2);
    assert.equal(rig.sim.company.get('Invoice', inv1)?.Balance, 0);
    assert.equal(rig.sim.company.get('Invoice', inv2)?.Balance, 0, 'BB-3002 is paid');
  }

  it('a 500 storm until the client gives up: the job is Error with the reason, retried after a backoff, and creates its own payment', async () => {
    await rig.company.close();
    await rig.started({ retryDelayMs: 500 }); // a backoff long enough to look at the job in between
    const { inv1, inv2, pay1, key2 } = await twoInvoicesOnePaid();
    rig.sim.faults.serverError(8, { target: 'write' }); // every attempt of the client (8) gets 500
    rig.company.kick();
    await rig.company.idle();
    const failed = await rig.job(key2);
    assert.equal(failed.state, 'error', 'never Complete without its own record');
    assert.equal(failed.uncertain, true);
    assert.ok(failed.retryAt, 'an automatic retry is scheduled');
    assert.match(failed.error?.message ?? '', /outcome is unknown/);
    assert.ok(failed.history.some((h) => h.state === 'error'));
    await rig.send(); // the backoff passes; the storm is over
    await assertTwoPayments(inv1, inv2, pay1, key2);
    assert.equal((await rig.job(key2)).attempts, 2);
  });

  it('commit-then-drop, then 500s until the client gives up: the look-up finds the job\'s own payment, not the first one', async () => {
    const { inv1, inv2, pay1, key2 } = await twoInvoicesOnePaid();
    rig.sim.faults.dropAfterCommit(1); // applied, answer lost…
    rig.sim.faults.serverError(7, { target: 'write' }); // …then 500 until the client gives up
    await rig.send();
    await assertTwoPayments(inv1, inv2, pay1, key2);
    const job2 = await rig.job(key2);
    assert.equal((job2.result as unknown as WriteResult).foundExisting, true);
  });

  it('a restart mid-send (the request never left): the second payment is created, not matched to the first', async () => {
    const { inv1, inv2, pay1, key2 } = await twoInvoicesOnePaid();
    await rig.company.outbox.markSent(await rig.job(key2)); // marked sent, then the process died
    await rig.company.close();
    await rig.started();
    await assertTwoPayments(inv1, inv2, pay1, key2);
  });

  it('a restart mid-send (QuickBooks applied it): found by its tag, not added again', async () => {
    const { inv1, inv2, pay1, key2 } = await twoInvoicesOnePaid();
    rig.sim.faults.hang(1, { target: 'write' }); // applied; no answer before the process dies
    rig.company.kick();
    for (let i = 0; i < 200 && (await rig.job(key2)).state !== 'sent'; i++) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(rig.sim.all('Payment').filter((p) => p.PaymentRefNum === 'CHK 5555').length, 2);
    const restarted = rig.newCompany();
    await restarted.start();
    await restarted.idle({ retries: true });
    await assertTwoPayments(inv1, inv2, pay1, key2);
    assert.equal(((await rig.job(key2)).result as unknown as WriteResult).foundExisting, true);
  });
});
