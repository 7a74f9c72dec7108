import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RealmThrottle } from '../../../nodes/lib/company/qbo/throttle';
import { FakeClock } from './harness';

/** The most requests `t` lets run at once, of `n` started together. */
async function mostAtOnce(t: RealmThrottle, n: number): Promise<number> {
  let running = 0;
  let max = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    const release = await t.acquire();
    running += 1;
    max = Math.max(max, running);
    await new Promise((r) => setImmediate(r));
    running -= 1;
    release();
  }));
  return max;
}

describe('per-realm throttle', () => {
  it('lets at most 10 requests run at once', async () => {
    const clock = new FakeClock();
    assert.equal(await mostAtOnce(new RealmThrottle(clock), 50), 10);
  });

  it('starts at most 500 requests in any minute', async () => {
    const clock = new FakeClock();
    const t = new RealmThrottle(clock);
    const starts: number[] = [];
    await Promise.all(Array.from({ length: 1200 }, async () => {
      const release = await t.acquire();
      starts.push(clock.now());
      release();
    }));
    for (let i = 500; i < starts.length; i += 1) assert.ok(starts[i] - starts[i - 500] >= 60_000, `request ${i}`);
    assert.equal(starts.length, 1200);
  });

  it('starts at most 40 batch requests in any minute', async () => {
    const clock = new FakeClock();
    const t = new RealmThrottle(clock);
    const starts: number[] = [];
    await Promise.all(Array.from({ length: 81 }, async () => {
      (await t.acquire(true))();
      starts.push(clock.now());
    }));
    for (let i = 40; i < starts.length; i += 1) assert.ok(starts[i] - starts[i - 40] >= 60_000, `batch ${i}`);
  });

  it('keeps to its share of the limits when instances share the realm (2: 5 at once, 20 batch requests a minute)', async () => {
    const clock = new FakeClock();
    const t = new RealmThrottle(clock);
    t.setShares(2);
    assert.equal(t.sharedBy, 2);
    assert.equal(await mostAtOnce(t, 30), 5);
    const starts: number[] = [];
    await Promise.all(Array.from({ length: 41 }, async () => {
      (await t.acquire(true))();
      starts.push(clock.now());
    }));
    for (let i = 20; i < starts.length; i += 1) assert.ok(starts[i] - starts[i - 20] >= 60_000, `batch ${i}`);
    t.setShares(1); // the other instance stopped: the whole of the limits again
    const t0 = clock.now();
    const more: number[] = [];
    await Promise.all(Array.from({ length: 10 }, async () => {
      (await t.acquire())();
      more.push(clock.now());
    }));
    assert.ok(more.every((at) => at === t0), 'no wait with the whole budget back');
  });

  it('does not hold up a plain request behind a batch waiting for its window', async () => {
    let now = 0;
    const never = { now: () => now, random: () => 0.5, sleep: (_ms: number, signal?: AbortSignal) => new Promise<void>((r) => signal?.addEventListener('abort', () => r())) };
    const t = new RealmThrottle(never);
    for (let i = 0; i < 40; i += 1) (await t.acquire(true))();
    let batchStarted = false;
    void t.acquire(true).then((release) => {
      batchStarted = true;
      release();
    });
    await new Promise((r) => setImmediate(r));
    (await t.acquire(false))();
    assert.equal(batchStarted, false);
    now = 61_000;
    t.pause(0);
    await new Promise((r) => setImmediate(r));
    assert.equal(batchStarted, true);
  });

  it('holds every request back during a pause', async () => {
    const clock = new FakeClock();
    const t = new RealmThrottle(clock);
    const t0 = clock.now();
    t.pause(30_000);
    (await t.acquire())();
    assert.ok(clock.now() - t0 >= 30_000);
  });
});
