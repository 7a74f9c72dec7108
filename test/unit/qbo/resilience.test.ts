import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { QboError } from '../../../nodes/lib/company/qbo/errors';
import { Harness, harness } from './harness';

describe('QboClient retries, backoff and Intuit limits', () => {
  let h: Harness;

  before(async () => {
    h = await harness({ client: { retry: { maxAttempts: 6 } } });
  });
  after(() => h.close());
  beforeEach(() => {
    h.sim.faults.clear();
    h.sim.resetStats();
    h.sim.config.latencyMs = 0;
    h.clock.slept.length = 0;
    h.clock.advance(600_000);
  });

  it('honours Retry-After on a 429', async () => {
    h.sim.faults.throttle(1, { retryAfter: 7 });
    await h.client.companyInfo();
    assert.deepEqual(h.clock.slept, [7000]);
  });

  it('backs off from 60 s with jitter on a 429 without Retry-After', async () => {
    h.sim.faults.throttle(1);
    await h.client.companyInfo();
    assert.equal(h.clock.slept.length, 1);
    assert.ok(h.clock.slept[0] >= 30_000 && h.clock.slept[0] <= 60_000);
  });

  it('rides out a storm of five 429s, with growing waits', async () => {
    h.sim.faults.throttle(5);
    const info = await h.client.companyInfo();
    assert.ok(info.CompanyName);
    assert.equal(h.sim.stats.throttled.injected, 5);
    assert.equal(h.sim.stats.requests.read, 6);
    assert.ok(h.clock.slept[1] > h.clock.slept[0]);
  });

  it('pauses every request of the realm after a 429', async () => {
    h.sim.faults.throttle(1, { retryAfter: 30 });
    const start = h.clock.now();
    await Promise.all([h.client.companyInfo(), h.client.companyInfo(), h.client.companyInfo()]);
    assert.ok(h.clock.now() - start >= 30_000);
    assert.equal(h.sim.stats.throttled.injected, 1);
  });

  it('retries 5xx with backoff and succeeds', async () => {
    h.sim.faults.serverError(2, { status: 503 });
    await h.client.companyInfo();
    assert.equal(h.sim.stats.requests.read, 3);
    assert.equal(h.clock.slept.length, 2);
    assert.ok(h.clock.slept[1] > h.clock.slept[0]);
  });

  it('gives up after the configured attempts', async () => {
    h.sim.faults.serverError(50);
    await assert.rejects(h.client.companyInfo(), (e: QboError) => e.status === 500 && e.code === '10000');
    assert.equal(h.sim.stats.requests.read, 6);
  });

  it('keeps 600 reads under 500 a minute and 10 in flight: no 429 from the server', async () => {
    h.sim.config.latencyMs = 2;
    const start = h.clock.now();
    await Promise.all(Array.from({ length: 600 }, () => h.client.companyInfo()));
    assert.equal(h.sim.stats.requests.read, 600);
    assert.deepEqual(h.sim.stats.throttled, { rate: 0, batch: 0, concurrency: 0, injected: 0 });
    assert.ok(h.sim.stats.maxInFlight <= 10);
    assert.ok(h.clock.now() - start >= 60_000, 'the 501st request had to wait for the window');
  });

  it('keeps batch requests under 40 a minute: 45 batches, no 429', async () => {
    const items = Array.from({ length: 45 * 30 }, (_, i) => ({ sourceKey: `k${i}`, record: { DisplayName: `Limit Co ${i}` } }));
    const results = await h.client.createMany('Customer', items);
    assert.ok(results.every((r) => r.ok));
    assert.equal(h.sim.stats.requests.batch, 45);
    assert.equal(h.sim.stats.throttled.batch, 0);
    assert.equal(h.sim.stats.throttled.concurrency, 0);
  });
});
