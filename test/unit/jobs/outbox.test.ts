import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Outbox } from '../../../nodes/lib/jobs';
import { useStore } from '../../support/store';

const storeOf = useStore();
let n = 0;
const outbox = (autoApprove = false) => new Outbox(storeOf(), `co-${++n}`, { autoApprove, maxAttempts: 3 });

describe('outbox', () => {
  it('queues one job per source key, ever: a repeat returns the existing job', async () => {
    const ob = outbox();
    const a = await ob.enqueue({ key: 'invoice:so-1', kind: 'invoice.add', payload: { DocNumber: 'SO-1' } });
    const b = await ob.enqueue({ key: 'invoice:so-1', kind: 'invoice.add', payload: { DocNumber: 'SO-1' } });
    assert.equal(a.created, true);
    assert.equal(b.created, false);
    assert.equal((await ob.list()).length, 1);
  });

  it('concurrent enqueues of one key make one job', async () => {
    const ob = outbox();
    const results = await Promise.all(Array.from({ length: 10 }, () => ob.enqueue({ key: 'customer:c1', kind: 'customer.add', payload: { Name: 'A' } })));
    assert.equal(results.filter((r) => r.created).length, 1);
    assert.equal((await ob.list()).length, 1);
  });

  it('waits for approval unless the queue approves by itself', async () => {
    assert.equal((await outbox().enqueue({ key: 'k', kind: 'x', payload: 1 })).job.state, 'queued');
    assert.equal((await outbox(true).enqueue({ key: 'k', kind: 'x', payload: 1 })).job.state, 'approved');
  });

  it('a changed source replaces the payload of a job not yet sent and bumps its version', async () => {
    const ob = outbox();
    await ob.enqueue({ key: 'invoice:so-2', kind: 'invoice.add', payload: { qty: 1 } });
    const r = await ob.enqueue({ key: 'invoice:so-2', kind: 'invoice.add', payload: { qty: 2 } });
    assert.deepEqual([r.changed, r.job.version, r.job.payload], [true, 2, { qty: 2 }]);
  });

  it('a complete job is never re-queued by a repeat', async () => {
    const ob = outbox(true);
    const { job } = await ob.enqueue({ key: 'p:1', kind: 'payment.add', payload: { a: 1 } });
    await ob.complete((await ob.markSent(job))!, { qbId: '99' });
    const again = await ob.enqueue({ key: 'p:1', kind: 'payment.add', payload: { a: 2 } });
    assert.deepEqual([again.job.state, again.changed, again.job.result], ['complete', false, { qbId: '99' }]);
  });

  it('approve and skip move only the jobs they apply to', async () => {
    const ob = outbox();
    for (const k of ['a', 'b', 'c']) await ob.enqueue({ key: k, kind: 'x', payload: k });
    assert.equal(await ob.approve(['a', 'b', 'missing']), 2);
    assert.equal(await ob.skip(['b', 'c']), 2);
    assert.deepEqual((await ob.list()).map((j) => [j.key, j.state]), [['a', 'approved'], ['b', 'skipped'], ['c', 'skipped']]);
    assert.equal(await ob.approve(['c']), 0, 'a skipped job stays skipped');
  });

  it('ready() gives approved jobs in dependency order, holding those whose dependencies are not complete', async () => {
    const ob = outbox(true);
    await ob.enqueue({ key: 'payment:p1', kind: 'payment.add', rank: 2, dependsOn: ['invoice:i1'], payload: 3 });
    await ob.enqueue({ key: 'invoice:i1', kind: 'invoice.add', rank: 1, dependsOn: ['customer:c1'], payload: 2 });
    await ob.enqueue({ key: 'customer:c1', kind: 'customer.add', rank: 0, payload: 1 });
    assert.deepEqual((await ob.ready()).map((j) => j.key), ['customer:c1']);
    const c = (await ob.get('customer:c1'))!;
    await ob.complete((await ob.markSent(c))!, { qbId: '1' });
    assert.deepEqual((await ob.ready()).map((j) => j.key), ['invoice:i1']);
  });

  it('markSent is persisted before sending; recoverSent marks such jobs uncertain and re-approves them', async () => {
    const ob = outbox(true);
    const { job } = await ob.enqueue({ key: 'invoice:so-9', kind: 'invoice.add', payload: {} });
    await ob.markSent(job);
    const fresh = new Outbox(storeOf(), ob.company, { autoApprove: true });
    assert.equal((await fresh.get('invoice:so-9'))!.state, 'sent');
    assert.equal(await fresh.recoverSent(), 1);
    const recovered = (await fresh.get('invoice:so-9'))!;
    assert.deepEqual([recovered.state, recovered.uncertain, recovered.attempts], ['approved', true, 1]);
  });

  it('markSent is a claim: a stale read, or a job not approved, is not claimed (null); the claim records the instance', async () => {
    const ob = outbox(true);
    const { job } = await ob.enqueue({ key: 'invoice:so-10', kind: 'invoice.add', payload: {} });
    const sent = (await ob.markSent(job))!;
    assert.deepEqual([sent.state, sent.sentBy, sent.attempts], ['sent', storeOf().instance.id, 1]);
    assert.equal(await ob.markSent(job), null, 'the same read again: already claimed');
    assert.equal((await ob.get('invoice:so-10'))!.attempts, 1);
    const queued = (await outbox(false).enqueue({ key: 'q', kind: 'x', payload: {} })).job;
    assert.equal(await new Outbox(storeOf(), queued.company).markSent(queued), null, 'a queued job waits for approval');
    // its own follow-up request (a sent job of this instance) may be marked again
    assert.equal((await ob.markSent(sent))?.attempts, 2);
  });

  it('periodic recovery leaves this instance\'s own sent jobs alone; jobs of a previous open of the store are taken', async () => {
    const ob = outbox(true);
    const { job } = await ob.enqueue({ key: 'invoice:so-11', kind: 'invoice.add', payload: {} });
    await ob.markSent(job);
    assert.equal(await ob.recoverSent({ own: false }), 0);
    // a job sent by an instance that is gone (no heartbeat; on nedb any other open), and one written before claims recorded it
    const gone = (await ob.enqueue({ key: 'invoice:so-12', kind: 'invoice.add', payload: {} })).job;
    await storeOf().jobs.update({ _id: gone._id }, { $set: { state: 'sent', sentBy: 'other-host:1:abcdef' } });
    const legacy = (await ob.enqueue({ key: 'invoice:so-13', kind: 'invoice.add', payload: {} })).job;
    await storeOf().jobs.update({ _id: legacy._id }, { $set: { state: 'sent' }, $unset: { rev: true } });
    assert.equal(await ob.recoverSent({ own: false }), 2);
    assert.equal((await ob.get('invoice:so-12'))!.history.at(-1)?.note, 'instance other-host:1:abcdef stopped answering; will look up before re-sending');
    const old = (await ob.get('invoice:so-13'))!;
    assert.deepEqual([old.state, old.uncertain, old.rev], ['approved', true, 1], 'a job without a revision is written with one');
    assert.equal((await ob.get('invoice:so-11'))!.state, 'sent');
  });

  it('retryable failures go back to approved until attempts run out, then error with QuickBooks\' code', async () => {
    const ob = outbox(true);
    let { job } = await ob.enqueue({ key: 'k', kind: 'x', payload: {} });
    for (let i = 0; i < 3; i++) job = await ob.fail((await ob.markSent(job))!, { message: 'throttled', statusCode: 429 }, { retryable: true });
    assert.deepEqual([job.state, job.attempts, job.error?.statusCode], ['error', 3, 429]);
  });

  it('a non-retryable failure is an error an admin can approve again', async () => {
    const ob = outbox(true);
    const { job } = await ob.enqueue({ key: 'k', kind: 'x', payload: {} });
    const failed = await ob.fail((await ob.markSent(job))!, { message: 'The name supplied already exists.', statusCode: 3100 });
    assert.equal(failed.state, 'error');
    assert.equal(await ob.approve(['k']), 1);
    assert.equal((await ob.get('k'))!.error, undefined);
  });

  it('keeps a bounded history of state changes', async () => {
    const ob = outbox(true);
    let { job } = await ob.enqueue({ key: 'k', kind: 'x', payload: {} });
    job = await ob.complete((await ob.markSent(job))!, { qbId: '1' });
    assert.deepEqual(job.history.map((h) => h.state), ['approved', 'sent', 'complete']);
  });
});

describe('outbox: updates of complete jobs', () => {
  it('reopenOnChange re-opens a complete job with a changed payload and keeps its result', async () => {
    const ob = outbox(true);
    const { job } = await ob.enqueue({ key: 'invoice:so-5', kind: 'invoice.upsert', payload: { qty: 1 }, reopenOnChange: true });
    await ob.complete((await ob.markSent(job))!, { qbId: '130', syncToken: '0' });
    const same = await ob.enqueue({ key: 'invoice:so-5', kind: 'invoice.upsert', payload: { qty: 1 }, reopenOnChange: true });
    assert.equal(same.changed, false);
    const r = await ob.enqueue({ key: 'invoice:so-5', kind: 'invoice.upsert', payload: { qty: 4 }, reopenOnChange: true });
    assert.deepEqual([r.changed, r.job.state, r.job.version, r.job.result], [true, 'approved', 2, { qbId: '130', syncToken: '0' }]);
  });
});

describe('outbox: approval per job', () => {
  it('a job can wait for review on a queue that approves by itself, and the other way round', async () => {
    const auto = outbox(true);
    assert.equal((await auto.enqueue({ key: 'customer:cu-1', kind: 'customer.add', payload: 1, autoApprove: false })).job.state, 'queued');
    const review = outbox(false);
    assert.equal((await review.enqueue({ key: 'import:items', kind: 'import.items', payload: 1, autoApprove: true })).job.state, 'approved');
  });
});

describe('outbox: nothing waits silently (issue 11)', () => {
  /** Approved jobs that cannot be sent and say nothing about why: a dependency is in error or skipped and the job is not held. */
  async function silent(ob: Outbox): Promise<string[]> {
    const ready = new Set((await ob.ready()).map((j) => j.key));
    const out: string[] = [];
    for (const j of await ob.list({ state: ['approved', 'queued'] })) {
      if (ready.has(j.key) || j.heldBy) continue;
      for (const k of j.dependsOn) {
        const dep = await ob.get(k);
        if (dep && (dep.state === 'error' || dep.state === 'skipped')) out.push(j.key);
      }
    }
    return out;
  }

  async function chain(ob: Outbox) {
    await ob.enqueue({ key: 'customer:c', kind: 'customer.add', payload: { Name: 'C' } });
    await ob.enqueue({ key: 'invoice:i', kind: 'invoice.upsert', payload: { n: 1 }, dependsOn: ['customer:c'] });
    await ob.enqueue({ key: 'payment:p', kind: 'payment.add', payload: { n: 1 }, dependsOn: ['invoice:i'] });
    return (await ob.markSent((await ob.get('customer:c'))!))!;
  }

  const error = { code: 'name-taken', statusCode: 3100, message: "QuickBooks has a vendor named 'C': rename the BluBilling customer or the vendor" };

  it('walks every path of a dependency to a terminal or visibly held state, and back', async () => {
    // complete → the dependent is ready
    let ob = outbox(true);
    await ob.complete(await chain(ob), { qbId: 'Q1' });
    assert.deepEqual((await ob.ready()).map((j) => j.key), ['invoice:i']);
    assert.deepEqual(await silent(ob), []);

    // a refusal → invoice and payment held with the same reason, in the history too; approving the customer again releases them
    ob = outbox(true);
    await ob.fail(await chain(ob), error);
    for (const key of ['invoice:i', 'payment:p']) {
      const j = (await ob.get(key))!;
      assert.equal(j.heldBy?.key, 'customer:c', key);
      assert.match(j.heldBy?.reason ?? '', /vendor named 'C'/);
      assert.match(j.history.at(-1)?.note ?? '', /^held: waits for customer:c/);
    }
    assert.deepEqual(await silent(ob), []);
    await ob.approve(['customer:c']);
    assert.equal((await ob.get('invoice:i'))?.heldBy, undefined);
    assert.equal((await ob.get('payment:p'))?.heldBy, undefined);
    assert.deepEqual(await silent(ob), []);

    // a refusal, then the source changes (a rename): released with the new payload
    ob = outbox(true);
    await ob.fail(await chain(ob), error);
    await ob.enqueue({ key: 'customer:c', kind: 'customer.add', payload: { Name: 'C renamed' } });
    assert.equal((await ob.get('customer:c'))?.state, 'approved');
    assert.equal((await ob.get('payment:p'))?.heldBy, undefined);

    // skipped → held with "skipped"; skipping the dependents ends them
    ob = outbox(true);
    await chain(ob);
    await ob.recoverSent();
    await ob.skip(['customer:c']);
    assert.match((await ob.get('invoice:i'))?.heldBy?.reason ?? '', /was skipped/);
    assert.deepEqual(await silent(ob), []);
    await ob.skip(['invoice:i', 'payment:p']);
    assert.deepEqual((await ob.list({ state: ['approved', 'queued'] })).length, 0);

    // an unknown outcome retried after a backoff: Error with the reason, dependents held until the automatic retry
    ob = outbox(true);
    const failed = await ob.fail(await chain(ob), { code: '500', message: 'server error' }, { retryable: true, uncertain: true, backoffMs: 30 });
    assert.equal(failed.state, 'error');
    assert.ok(failed.retryAt);
    assert.match((await ob.get('invoice:i'))?.heldBy?.reason ?? '', /retried automatically/);
    assert.deepEqual(await silent(ob), []);
    await new Promise((r) => setTimeout(r, 40));
    assert.deepEqual((await ob.ready()).map((j) => j.key), ['customer:c'], 'the retry is due');
    assert.equal((await ob.get('customer:c'))?.uncertain, true, 'looked up before it is sent again');
    assert.equal((await ob.get('invoice:i'))?.heldBy, undefined);

    // the attempts run out → an error for an admin, dependents held
    ob = outbox(true);
    let job = await chain(ob);
    for (let i = 0; i < 3; i++) {
      job = await ob.fail(job, { code: 'NETWORK', message: 'network failure' }, { retryable: true });
      if (job.state === 'approved') job = (await ob.markSent(job))!;
    }
    assert.equal(job.state, 'error');
    assert.equal(job.retryAt, undefined);
    assert.equal((await ob.get('invoice:i'))?.heldBy?.key, 'customer:c');
    assert.deepEqual(await silent(ob), []);

    // a dependent queued after its dependency failed is held at once
    await ob.enqueue({ key: 'payment:p2', kind: 'payment.add', payload: { n: 2 }, dependsOn: ['invoice:i'] });
    assert.equal((await ob.get('payment:p2'))?.heldBy?.key, 'customer:c');
    assert.deepEqual(await silent(ob), []);
  });
});
