/**
 * bench:events — what store.events costs and how soon another instance hears a change.
 * On nedb: messages delivered in the process (what every mirror and match write now publishes).
 * On PostgreSQL (QB_BENCH_PG_URL, default the test database; skipped with the reason when unreachable):
 * two stores on one schema, as two instances: NOTIFY throughput, the delay until the other instance
 * hears each message (p50 / p95 / max), and mirror upserts on one instance until the other's copy
 * shows the last one.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { BaseCompany } from '../nodes/lib/company/base';
import type { WritePayload } from '../nodes/lib/jobs';
import { Store } from '../nodes/lib/store';
import { PG_URL as DEFAULT_PG_URL, pgQuery } from '../test/support/pg-query';
import { measure, report, run, type Phase } from './harness';

const MESSAGES = Number(process.env.BENCH_MESSAGES || 5_000);
const UPSERTS = Number(process.env.BENCH_UPSERTS || 500);
const PG_URL = process.env.QB_BENCH_PG_URL || DEFAULT_PG_URL;

/** A company with no connection: its mirror and its subscription to the other instances' changes. */
class BenchCompany extends BaseCompany {
  async resync(): Promise<void> {}
  kick(): void {}
  newRecord(): WritePayload {
    throw new Error('not in this benchmark');
  }
  async close(): Promise<void> {
    this.stopStoreEvents();
  }
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

/** Publishes `n` messages on `from`, each once `to` heard the one before; the delay each took, in ms. */
async function roundTrips(from: Store, to: Store, n: number, topic: string): Promise<number[]> {
  const delays: number[] = [];
  const stop = to.events.subscribe(topic, (m) => {
    if (typeof m.payload?.at === 'number') delays.push(performance.now() + performance.timeOrigin - m.payload.at);
  });
  for (let i = 0; i < n; i++) {
    await from.events.publish(topic, { at: performance.now() + performance.timeOrigin, i });
    await until(`message ${i}`, () => delays.length > i);
  }
  stop();
  return delays;
}

function percentiles(label: string, delays: number[]): string {
  const sorted = [...delays].sort((a, b) => a - b);
  const at = (p: number) => (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0).toFixed(2);
  return `${label}: p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms (${delays.length.toLocaleString('en-US')} messages)`;
}

async function reachable(): Promise<string | undefined> {
  try {
    await pgQuery('SELECT 1', [], PG_URL);
    return undefined;
  } catch (err) {
    return (err as Error).message || 'no answer';
  }
}

async function dropSchema(schema: string): Promise<void> {
  await pgQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`, [], PG_URL);
}

run(async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qbsync-bench-events-'));
  try {
    // nedb: one process, its own subscribers
    const local = await Store.open(path.join(tmp, 'nedb'), { url: '' });
    let delivered = 0;
    local.events.subscribe('bench', () => delivered++);
    const nedbPhase = await measure(`nedb: publish + deliver in the process`, MESSAGES, async () => {
      for (let i = 0; i < MESSAGES; i++) await local.events.publish('bench', { entity: 'items', ids: [String(i)] });
      await until('local delivery', () => delivered >= MESSAGES);
    });
    const delays = await roundTrips(local, local, 1_000, 'bench-delay');
    await local.close();
    report('store.events on nedb', [nedbPhase]);
    console.log(percentiles('nedb delivery delay', delays));

    const why = await reachable();
    if (why) {
      console.log(`\n## store.events on PostgreSQL\n\nskipped: PostgreSQL at ${PG_URL.replace(/:[^:@/]*@/, ':***@')} is not reachable: ${why}`);
      return;
    }
    const schema = `qbbench_events_${process.pid}`;
    const a = await Store.open(path.join(tmp, 'a'), { url: PG_URL, schema });
    const b = await Store.open(path.join(tmp, 'b'), { url: PG_URL, schema });
    try {
      const phases: Phase[] = [];
      let heard = 0;
      const stop = b.events.subscribe('bench', () => heard++);
      phases.push(await measure('PostgreSQL: NOTIFY on A until B heard all', MESSAGES, async () => {
        for (let i = 0; i < MESSAGES; i++) await a.events.publish('bench', { entity: 'items', ids: [String(i)] });
        await until('B heard all', () => heard >= MESSAGES);
      }));
      stop();
      const pgDelays = await roundTrips(a, b, 1_000, 'bench-delay');

      const onA = new BenchCompany('co-bench', 'qbo', a, { invoiceCreation: true });
      const onB = new BenchCompany('co-bench', 'qbo', b, { invoiceCreation: true });
      await onB.mirror.list('items');
      phases.push(await measure(`mirror upserts on A (1 record each) until B's copy shows the last`, UPSERTS, async () => {
        for (let i = 0; i < UPSERTS; i++) await onA.mirror.upsert('items', [{ id: String(i), name: `Item ${i}`, active: true, data: {} }]);
        await until(`B's copy`, async () => (await onB.mirror.get('items', String(UPSERTS - 1))) !== undefined);
      }));
      await onA.close();
      await onB.close();
      report('store.events on PostgreSQL (two stores on one schema)', phases);
      console.log(percentiles('PostgreSQL: A publishes, B hears', pgDelays));
    } finally {
      await a.close();
      await b.close();
      await dropSchema(schema);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
