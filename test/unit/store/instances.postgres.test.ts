/**
 * Instances sharing one store (instances.ts): on PostgreSQL each open store is an instance that
 * heartbeats in qb_instances and is dead once its heartbeat is older than the lease; `exclusive` is a
 * mutex across instances (an advisory lock). On nedb only this open is alive and the mutex is in-process.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Outbox } from '../../../nodes/lib/jobs';
import { Store } from '../../../nodes/lib/store';
import { Instances } from '../../support/instances';
import { pgQuery, pgSkip } from '../../support/pg';
import { tempDir } from '../../support/tmp';

const skip = pgSkip();
const LEASE = 1500;

/** Runs `calls` through `exclusive` at once; returns how many ran inside at the same time, at most. */
async function overlap(calls: Array<{ store: Store; name: string }>): Promise<{ most: number; ran: number }> {
  let inside = 0;
  let most = 0;
  let ran = 0;
  await Promise.all(calls.map(({ store, name }) => store.exclusive(name, async () => {
    inside++;
    most = Math.max(most, inside);
    await sleep(25);
    inside--;
    ran++;
  })));
  return { most, ran };
}

describe('instances on PostgreSQL', { skip }, () => {
  const all: Instances[] = [];
  const group = (label: string) => {
    const g = new Instances(label, { leaseMs: LEASE });
    all.push(g);
    return g;
  };
  after(async () => {
    for (const g of all) await g.close();
  });

  it('two stores on one schema are two instances, each alive while it heartbeats; a closed one is dead once its lease has passed, not before', async () => {
    const g = group('alive');
    const a = await g.add();
    const b = await g.add();
    assert.notEqual(a.instance.id, b.instance.id);
    assert.equal(a.instance.leaseMs, LEASE);
    assert.deepEqual([...(await a.instance.alive([a.instance.id, b.instance.id, 'nobody']))].sort(), [a.instance.id, b.instance.id].sort());
    const rows = await pgQuery(`SELECT id, host, pid FROM "${g.schema}".qb_instances ORDER BY id`);
    assert.deepEqual(rows.map((r) => [r.id, r.pid]).sort(), [[a.instance.id, process.pid], [b.instance.id, process.pid]].sort());

    await sleep(LEASE * 2.5); // the heartbeat (every lease/3) keeps both alive
    assert.equal(await a.instance.isAlive(b.instance.id), true);

    await b.close();
    assert.equal(await a.instance.isAlive(b.instance.id), true, 'alive until its lease has passed');
    await sleep(LEASE + 300);
    assert.equal(await a.instance.isAlive(b.instance.id), false);
    assert.equal(await a.instance.isAlive(a.instance.id), true);
  });

  it('exclusive: callers of one name never run at once, across instances and within one; other names do not wait', async () => {
    const g = group('mutex');
    const a = await g.add();
    const b = await g.add();
    const same = await overlap(Array.from({ length: 8 }, (_, i) => ({ store: i % 2 ? a : b, name: 'realm-1' })));
    assert.deepEqual(same, { most: 1, ran: 8 });
    const acrossOnly = await overlap([{ store: a, name: 'realm-2' }, { store: b, name: 'realm-2' }]);
    assert.deepEqual(acrossOnly, { most: 1, ran: 2 }, 'two instances, one caller each');
    const other = await overlap([{ store: a, name: 'realm-3' }, { store: b, name: 'realm-4' }]);
    assert.deepEqual(other, { most: 2, ran: 2 });
  });

  it('exclusive: a failing caller releases the lock and its error reaches the caller', async () => {
    const g = group('mutex_err');
    const a = await g.add();
    const b = await g.add();
    await assert.rejects(a.exclusive('k', async () => { throw new Error('refresh failed'); }), /refresh failed/);
    assert.equal(await b.exclusive('k', async () => 'next'), 'next');
  });

  it('a heartbeat that fails is reported through the store\'s warn, never thrown, and recovers; meanwhile the instance claims no job', async () => {
    const g = group('beat');
    const warnings: string[] = [];
    const a = await g.add({ warn: (m) => warnings.push(m), leaseMs: 300 });
    const outbox = new Outbox(a, 'co', { autoApprove: true });
    await outbox.enqueue({ key: 'j1', kind: 'customer.add', payload: {} });
    assert.equal(a.instance.canClaim(), true);
    const failed = () => warnings.filter((w) => /heartbeat of instance .* failed/.test(w)).length;
    await pgQuery(`ALTER TABLE "${g.schema}".qb_instances RENAME TO qb_instances_away`);
    try {
      for (let i = 0; i < 50 && failed() === 0; i++) await sleep(100);
      await sleep(300); // several more failing beats: over two thirds of a lease without one
      assert.equal(a.instance.canClaim(), false);
      assert.equal(await outbox.markSent((await outbox.get('j1'))!), null, 'no claim while the others may take it for dead');
      assert.equal((await outbox.get('j1'))!.state, 'approved');
    } finally {
      await pgQuery(`ALTER TABLE "${g.schema}".qb_instances_away RENAME TO qb_instances`);
    }
    assert.equal(failed(), 1, `warned once per outage: ${warnings.join(' | ')}`);
    for (let i = 0; i < 50 && !/works again/.test(warnings.at(-1) ?? ''); i++) await sleep(100);
    assert.match(warnings.at(-1) ?? '', /heartbeat of instance .* works again/);
    assert.equal(await a.instance.isAlive(a.instance.id), true);
    assert.equal(a.instance.canClaim(), true);
    assert.equal((await outbox.markSent((await outbox.get('j1'))!))?.state, 'sent');
  });
});

describe('instances on nedb (one process)', () => {
  const tmp = tempDir('qbsync-nedb-instances-');
  after(() => tmp.cleanup());

  it('only this open is alive (a previous open\'s id is dead); exclusive is an in-process mutex', async () => {
    const dir = path.join(tmp.dir, 'store');
    const first = await Store.open(dir);
    assert.equal(first.backendKind, 'nedb');
    const old = first.instance.id;
    await first.close();
    const store = await Store.open(dir, { leaseMs: 5_000 });
    try {
      assert.notEqual(store.instance.id, old);
      assert.equal(store.instance.leaseMs, 5_000);
      assert.equal(await store.instance.isAlive(store.instance.id), true);
      assert.equal(await store.instance.isAlive(old), false);
      assert.deepEqual(await overlap(Array.from({ length: 5 }, () => ({ store, name: 'x' }))), { most: 1, ran: 5 });
      assert.deepEqual(await overlap([{ store, name: 'x' }, { store, name: 'y' }]), { most: 2, ran: 2 });
    } finally {
      await store.close();
    }
  });

  it('the lease: the option, else QB_INSTANCE_LEASE_MS, else 30 s; a value that is not a whole number of at least 300 ms is not used', async () => {
    const dir = path.join(tmp.dir, 'lease');
    const before = process.env.QB_INSTANCE_LEASE_MS;
    const leaseWith = async (env: string | undefined, option?: number) => {
      if (env === undefined) delete process.env.QB_INSTANCE_LEASE_MS;
      else process.env.QB_INSTANCE_LEASE_MS = env;
      const store = await Store.open(dir, option === undefined ? {} : { leaseMs: option });
      await store.close();
      return store.instance.leaseMs;
    };
    try {
      assert.equal(await leaseWith(undefined), 30_000);
      assert.equal(await leaseWith('4500'), 4_500);
      assert.equal(await leaseWith('4500', 1_200), 1_200);
      assert.equal(await leaseWith('soon'), 30_000);
      assert.equal(await leaseWith('10'), 30_000);
    } finally {
      if (before === undefined) delete process.env.QB_INSTANCE_LEASE_MS;
      else process.env.QB_INSTANCE_LEASE_MS = before;
    }
  });
});
