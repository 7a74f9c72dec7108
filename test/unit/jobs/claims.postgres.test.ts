/**
 * The outbox shared by several instances (two Store objects on one PostgreSQL schema: two pools, two
 * instance ids): each job is claimed (marked sent) by exactly one instance; a dead instance's sent jobs
 * are taken over after its lease, never a live one's; concurrent writers of one job lose nothing.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Outbox, type Job } from '../../../nodes/lib/jobs';
import type { Store } from '../../../nodes/lib/store';
import { Instances } from '../../support/instances';
import { pgSkip } from '../../support/pg';

const skip = pgSkip();
const LEASE = 1500;
let n = 0;

/** Claims every job of `jobs` in turn; returns the keys this outbox got. */
async function claimAll(ob: Outbox, jobs: Job[]): Promise<string[]> {
  const got: string[] = [];
  for (const job of jobs) if (await ob.markSent(job)) got.push(job.key);
  return got;
}

describe('outbox claims across instances (PostgreSQL)', { skip }, () => {
  const groups: Instances[] = [];
  /** Two instances on a schema of their own, and the outbox of one company on each. */
  async function two(lease = 30_000): Promise<{ a: Store; b: Store; obA: Outbox; obB: Outbox }> {
    const g = new Instances(`claims_${++n}`, { leaseMs: lease });
    groups.push(g);
    const a = await g.add();
    const b = await g.add();
    return { a, b, obA: new Outbox(a, 'co', { autoApprove: true }), obB: new Outbox(b, 'co', { autoApprove: true }) };
  }
  after(async () => {
    for (const g of groups) await g.close();
  });

  it('two claimers of the same read of a job: one gets it, the other is told (null)', async () => {
    const { a, b, obA, obB } = await two();
    for (let i = 0; i < 20; i++) {
      await obA.enqueue({ key: `k${i}`, kind: 'invoice.upsert', payload: { i } });
      const [ja, jb] = await Promise.all([obA.get(`k${i}`), obB.get(`k${i}`)]);
      const [ra, rb] = await Promise.all([obA.markSent(ja!), obB.markSent(jb!)]);
      assert.equal([ra, rb].filter(Boolean).length, 1, `job k${i}: exactly one claim`);
      const stored = (await obA.get(`k${i}`))!;
      assert.equal(stored.state, 'sent');
      assert.equal(stored.attempts, 1);
      assert.equal(stored.sentBy, ra ? a.instance.id : b.instance.id);
    }
  });

  it('N approved jobs claimed by two outboxes at once: every job is claimed exactly once', async () => {
    const { a, b, obA, obB } = await two();
    const N = 150;
    for (let i = 0; i < N; i++) await (i % 2 ? obA : obB).enqueue({ key: `invoice:${i}`, kind: 'invoice.upsert', payload: { i } });
    const [readyA, readyB] = await Promise.all([obA.ready(), obB.ready()]);
    assert.equal(readyA.length, N);
    assert.equal(readyB.length, N);
    const [gotA, gotB] = await Promise.all([claimAll(obA, readyA), claimAll(obB, readyB)]);
    assert.equal(gotA.length + gotB.length, N, `claimed ${gotA.length} + ${gotB.length}`);
    assert.equal(new Set([...gotA, ...gotB]).size, N, 'no job claimed twice');
    const sent = await obA.list({ state: 'sent' });
    assert.equal(sent.length, N);
    const byA = new Set(gotA);
    for (const j of sent) {
      assert.equal(j.attempts, 1, j.key);
      assert.equal(j.sentBy, byA.has(j.key) ? a.instance.id : b.instance.id, j.key);
    }
    // A later claim with the stale read fails too.
    assert.equal(await obB.markSent(readyB[0]), null);
  });

  it('takeover: a dead instance\'s sent jobs come back as uncertain after its lease, not before, with the reason', async () => {
    const { a, b, obA, obB } = await two(LEASE);
    for (let i = 0; i < 5; i++) await obA.enqueue({ key: `t${i}`, kind: 'customer.add', payload: { i } });
    assert.equal((await claimAll(obA, await obA.ready())).length, 5);
    const dead = a.instance.id;
    await a.close(); // the process stops without completing them
    assert.equal(await obB.recoverSent({ own: false }), 0, 'its lease has not passed yet');
    assert.equal(await obB.recoverSent(), 0, 'nor at a start-up');
    await sleep(LEASE + 300);
    assert.equal(await obB.recoverSent({ own: false }), 5);
    for (const j of await obB.list()) {
      assert.deepEqual([j.state, j.uncertain, j.attempts], ['approved', true, 1], j.key);
      assert.equal(j.history.at(-1)?.note, `instance ${dead} stopped answering; will look up before re-sending`);
    }
    assert.equal(await obB.recoverSent({ own: false }), 0, 'taken once');
  });

  it('a live instance\'s sent jobs are never taken, however long they take', async () => {
    const { a, obA, obB } = await two(LEASE);
    for (let i = 0; i < 3; i++) await obA.enqueue({ key: `l${i}`, kind: 'customer.add', payload: { i } });
    await claimAll(obA, await obA.ready());
    await sleep(LEASE * 2.5);
    assert.equal(await obB.recoverSent(), 0);
    assert.equal(await obB.recoverSent({ own: false }), 0);
    for (const j of await obB.list()) assert.deepEqual([j.state, j.sentBy], ['sent', a.instance.id]);
    // its own recovery at start-up takes them (a new company object of the same instance)
    assert.equal(await obA.recoverSent(), 3);
  });

  it('an instance thought dead still records the truth: its late answer completes the taken-over job', async () => {
    const { a, b, obA, obB } = await two(LEASE);
    await obA.enqueue({ key: 'c1', kind: 'customer.add', payload: { name: 'C1' } });
    await obA.enqueue({ key: 'c2', kind: 'customer.add', payload: { name: 'C2' } });
    const [s1, s2] = [(await obA.markSent((await obA.get('c1'))!))!, (await obA.markSent((await obA.get('c2'))!))!];
    await a.instance.close(); // its heartbeat stops (a long pause), its requests still in flight
    await sleep(LEASE + 300);
    assert.equal(await obB.recoverSent({ own: false }), 2);
    // c1: QuickBooks answered A; the job was only put back (uncertain), so it completes with A's record
    const done = await obA.complete(s1, { qbId: '41' });
    assert.deepEqual([done.state, done.uncertain, done.result], ['complete', false, { qbId: '41' }]);
    // c2: B claimed it again meanwhile: A's late failure is not B's outcome, B's job stays as it is
    const again = (await obB.markSent((await obB.get('c2'))!))!;
    const afterFail = await obA.fail(s2, { message: 'network failure' }, { retryable: true });
    assert.deepEqual([afterFail.state, afterFail.sentBy, afterFail.attempts], ['sent', b.instance.id, 2]);
    // …and when B's answer names another record than one already recorded, the history says so
    await obB.complete(again, { qbId: '52' });
    const late = await obA.complete(s2, { qbId: '53' });
    assert.deepEqual([late.state, late.result], ['complete', { qbId: '52' }]);
    assert.match(late.history.at(-1)?.note ?? '', /also answered as QuickBooks record 53 .*check QuickBooks for a second record/);
  });

  it('a changed payload read before another instance\'s claim never puts the sent job back to approved', async () => {
    const { a, obA, obB } = await two();
    await obA.enqueue({ key: 'inv', kind: 'invoice.upsert', payload: { qty: 1 } });
    // A's enqueue reads the job (approved), then B claims it, then A writes: the write must see the claim.
    const jobs = a.jobs;
    const findOne = jobs.findOne.bind(jobs);
    let raced = false;
    jobs.findOne = ((query: Record<string, unknown>) => ({
      then: (ok: (v: unknown) => unknown, fail: (e: unknown) => unknown) =>
        findOne(query).exec().then(async (doc) => {
          if (!raced && doc) {
            raced = true;
            assert.ok(await obB.markSent((await obB.get('inv'))!), 'B claims between A\'s read and write');
          }
          return doc;
        }).then(ok, fail),
    })) as unknown as typeof jobs.findOne;
    try {
      const r = await obA.enqueue({ key: 'inv', kind: 'invoice.upsert', payload: { qty: 2 } });
      assert.equal(raced, true);
      assert.equal(r.changed, false);
    } finally {
      jobs.findOne = findOne;
    }
    const job = (await obB.get('inv'))!;
    assert.deepEqual([job.state, job.payload, job.version], ['sent', { qty: 1 }, 1]);
  });

  it('a Web Connector session whose requests reach both instances: a follow-up of the session may be marked by the other, and the session\'s end puts back what it left whichever instance sent it', async () => {
    const { b, obA, obB } = await two();
    await obA.enqueue({ key: 'w1', kind: 'invoice.upsert', payload: { n: 1 } });
    await obA.enqueue({ key: 'w2', kind: 'invoice.upsert', payload: { n: 2 } });
    const w1 = (await obA.markSent((await obA.get('w1'))!, { session: 'ticket-1' }))!;
    assert.equal(w1.sentIn, 'ticket-1');
    assert.equal(await obB.markSent((await obB.get('w1'))!), null, 'not a follow-up of a session: A\'s claim stands');
    assert.equal(await obB.markSent((await obB.get('w1'))!, { session: 'ticket-2' }), null, 'another session');
    const followUp = (await obB.markSent((await obB.get('w1'))!, { session: 'ticket-1' }))!;
    assert.deepEqual([followUp.sentBy, followUp.attempts], [b.instance.id, 2]);
    await obB.markSent((await obB.get('w2'))!, { session: 'ticket-9' }); // another session's job, B alive
    // ticket-1 ends on A: its job comes back though B (alive) marked it; ticket-9's stays
    assert.equal(await obA.recoverSent({ session: 'ticket-1' }), 1);
    const back = (await obA.get('w1'))!;
    assert.deepEqual([back.state, back.uncertain], ['approved', true]);
    assert.match(back.history.at(-1)?.note ?? '', new RegExp(`sent by instance ${b.instance.id} in a Web Connector session that ended`));
    assert.equal((await obA.get('w2'))!.state, 'sent');
  });

  it('a retry due on two instances at once is made once', async () => {
    const { obA, obB } = await two();
    for (let i = 0; i < 10; i++) {
      const { job } = await obA.enqueue({ key: `r${i}`, kind: 'payment.add', payload: { i } });
      await obA.fail((await obA.markSent(job))!, { message: 'throttled' }, { retryable: true, backoffMs: 1 });
    }
    await sleep(20);
    const [na, nb] = await Promise.all([obA.releaseDue(), obB.releaseDue()]);
    assert.equal(na + nb, 10);
    for (const j of await obA.list()) {
      assert.equal(j.state, 'approved');
      assert.equal(j.history.filter((h) => /automatic retry/.test(h.note ?? '')).length, 1, j.key);
    }
  });
});
