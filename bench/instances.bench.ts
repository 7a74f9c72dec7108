/**
 * bench:instances — what claiming costs, and what a second instance gives: BENCH_JOBS (1,000) invoice
 * jobs sent by OnlineCompany to the QBO simulator (Intuit's limits, on the simulator's clock so limit
 * waits take no real time: the figures are the package's own cost per job) through
 *  1. one instance on nedb (no claims between processes: the baseline),
 *  2. one instance on PostgreSQL (every job claimed by a compare-and-set of its revision),
 *  3. two instances on one PostgreSQL schema, the jobs enqueued alternately through both (two stores,
 *     two pools, two clients and token managers, as two Node-RED processes).
 * Printed: wall time, jobs per second, batch requests, jobs sent per instance, duplicates (must be 0).
 * PostgreSQL: QB_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/test); without a server the
 * PostgreSQL runs are skipped with the reason. Never asserts on time.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { QboClient } from '../nodes/lib/company/qbo/client';
import { resolveEndpoints } from '../nodes/lib/company/qbo/environment';
import { refreshWithNodeQuickbooks, toTokenSet, type TokenSet } from '../nodes/lib/company/qbo/oauth';
import { OnlineCompany } from '../nodes/lib/company/qbo/online-company';
import { RealmThrottle } from '../nodes/lib/company/qbo/throttle';
import { TokenManager } from '../nodes/lib/company/qbo/tokens';
import { RANK } from '../nodes/lib/jobs';
import { Store, TokenVault } from '../nodes/lib/store';
import { loadPg } from '../nodes/lib/store/postgres';
import { startQboSimulator } from '../test/sim/qbo/server';
import { tempDir } from '../test/support/tmp';
import { invoicePayload } from '../test/unit/qbo/online-company-rig';
import { FakeClock } from '../test/unit/qbo/harness';
import { measure, report, run, type Phase } from './harness';

const JOBS = Number(process.env.BENCH_JOBS || 1000);
const PG_URL = process.env.QB_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';

interface Outcome {
  phase: Phase;
  batches: number;
  invoices: number;
  duplicates: number;
  perInstance: number[];
}

/** Sends JOBS invoice jobs through `instances` companies, each on its own store from `open`. */
async function sendThrough(label: string, instances: number, open: (i: number) => Promise<Store>): Promise<Outcome> {
  const clock = new FakeClock();
  const sim = await startQboSimulator({ now: () => clock.now() });
  const endpoints = resolveEndpoints({ environment: 'custom', baseUrl: sim.baseUrl, tokenUrl: sim.tokenUrl, authorizeUrl: sim.authorizeUrl });
  const app = { clientId: sim.clientId, clientSecret: sim.clientSecret };
  const key = `bench:${sim.realmId}`;
  const income = sim.seed('Account', [{ Name: 'Sales of Product Income', AccountType: 'Income' }])[0].Id as string;
  const customerId = sim.seed('Customer', [{ DisplayName: 'Seafood Buyer' }])[0].Id as string;
  const itemId = sim.seed('Item', [{ Name: 'Product', Type: 'NonInventory', IncomeAccountRef: { value: income } }])[0].Id as string;
  clock.advance(1000);
  const stores: Store[] = [];
  for (let i = 0; i < instances; i++) stores.push(await open(i));
  await new TokenVault<TokenSet>(stores[0]).save(key, toTokenSet(sim.realmId, sim.issueTokens(), clock.now()));
  const companies = stores.map((store) => {
    const tokens = new TokenManager({ store: new TokenVault<TokenSet>(store), key, realmId: sim.realmId, refresh: (rt) => refreshWithNodeQuickbooks(endpoints, app, rt), clock });
    const client = new QboClient({ realmId: sim.realmId, app, endpoints, tokens, clock, throttle: new RealmThrottle(clock) });
    return new OnlineCompany({ id: 'bench', store, settings: { invoiceCreation: true, incomeAccountId: income }, client, clock, syncEveryMinutes: 0, retryDelayMs: 50 });
  });
  try {
    await Promise.all(companies.map((c) => c.start()));
    await Promise.all(companies.map((c) => c.idle()));
    sim.resetStats();
    const phase = await measure(label, JOBS, async () => {
      for (let i = 0; i < JOBS; i++) {
        const c = companies[i % instances];
        await c.outbox.enqueue({ key: `invoice:B-${i}`, kind: 'invoice.upsert', rank: RANK['invoice.upsert'], payload: invoicePayload(`B-${i}`, customerId, itemId) });
        c.kick();
      }
      for (;;) {
        if ((await companies[0].outbox.list({ state: ['queued', 'approved', 'sent'] })).length === 0) break;
        for (const c of companies) c.kick();
        await new Promise((r) => setTimeout(r, 20));
      }
      await Promise.all(companies.map((c) => c.idle({ retries: true })));
    });
    const jobs = await companies[0].outbox.list();
    const byDoc = new Map<string, number>();
    for (const inv of sim.all('Invoice')) byDoc.set(String(inv.DocNumber), (byDoc.get(String(inv.DocNumber)) ?? 0) + 1);
    return {
      phase,
      batches: sim.stats.requests.batch,
      invoices: sim.all('Invoice').length,
      duplicates: [...byDoc.values()].reduce((n, k) => n + Math.max(0, k - 1), 0),
      perInstance: stores.map((s) => jobs.filter((j) => j.sentBy === s.instance.id).length),
    };
  } finally {
    for (const c of companies) await c.close();
    for (const s of stores) await s.close();
    await sim.close();
  }
}

/** Whether PostgreSQL answers; else why not. */
async function pgReachable(): Promise<string | undefined> {
  try {
    const { Pool } = loadPg();
    const pool = new Pool({ connectionString: PG_URL, max: 1, connectionTimeoutMillis: 5000 });
    try {
      await pool.query('SELECT 1');
    } finally {
      await pool.end();
    }
    return undefined;
  } catch (err) {
    return (err as Error).message || 'no answer';
  }
}

run(async () => {
  const tmp = tempDir('bench-instances-');
  const outcomes: Array<{ name: string; o: Outcome }> = [];
  try {
    outcomes.push({ name: 'nedb, one instance', o: await sendThrough(`nedb, 1 instance: ${JOBS} invoice jobs`, 1, () => Store.open(path.join(tmp.dir, 'nedb'))) });
    const why = await pgReachable();
    if (why) console.log(`\n(PostgreSQL runs skipped: ${PG_URL.replace(/:[^:@/]*@/, ':***@')} is not reachable: ${why})`);
    else {
      const schemas: string[] = [];
      const pgStore = (label: string) => {
        const schema = `qbbench_${process.pid}_${crypto.randomBytes(3).toString('hex')}_${label}`;
        schemas.push(schema);
        return (i: number) => Store.open(path.join(tmp.dir, `${label}-${i}`), { url: PG_URL, schema, secret: 'bench' });
      };
      try {
        outcomes.push({ name: 'PostgreSQL, one instance', o: await sendThrough(`PostgreSQL, 1 instance: ${JOBS} invoice jobs`, 1, pgStore('one')) });
        outcomes.push({ name: 'PostgreSQL, two instances', o: await sendThrough(`PostgreSQL, 2 instances: ${JOBS} invoice jobs`, 2, pgStore('two')) });
      } finally {
        const { Pool } = loadPg();
        const pool = new Pool({ connectionString: PG_URL, max: 1 });
        for (const s of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
        await pool.end();
      }
    }
  } finally {
    tmp.cleanup();
  }
  report('bench:instances — invoice jobs → QuickBooks Online (OnlineCompany + QBO simulator, simulator clock)', outcomes.map((x) => x.o.phase));
  const lines = ['', '| run | batch requests | invoices | duplicates | jobs sent per instance |', '| --- | ---: | ---: | ---: | --- |'];
  for (const { name, o } of outcomes) lines.push(`| ${name} | ${o.batches} | ${o.invoices} | ${o.duplicates} (target 0) | ${o.perInstance.join(' / ')} |`);
  console.log(lines.join('\n'));
});
