/**
 * bench:instances (issue 13, item 5b) — BlueTrace packed orders → QuickBooks Online invoices through one
 * and through two instances sharing one PostgreSQL store, each instance a process of its own
 * (bench/instances-worker.ts: a Store on the schema, an OnlineCompany and the InvoiceHandler per company).
 * The orders are split between the instances; both send loops take jobs from the same outbox, so each
 * job must be claimed by one of them: duplicates in the simulators must be 0.
 *
 * In production the rate per company is bounded by Intuit's limits (qbo.md §2.7: 40 batch requests of 30
 * a minute = 1,200 invoices a minute per company). To measure what the package itself can do, every
 * window is Intuit's minute divided by BENCH_DILATION (default 20: 3 s, with Intuit's counts per window)
 * in the simulators and in the client's throttle alike, so the limits are 20× looser than Intuit's and
 * the measured rate is the package's (instances, store, CPU). Printed beside it: Intuit's ceiling for the
 * companies of the run (1,200 a minute each); the lower of the two is what a deployment gets. The same
 * orders are also spread over 20 companies at once (20 simulators, one realm each), where the ceiling is
 * 20 times higher and the package's own rate decides.
 *
 * env: BENCH_INSTANCE_ORDERS (order counts, default "1000,10000"), BENCH_COMPANIES (default 20),
 * BENCH_DILATION (20), QB_TEST_PG_URL (the PostgreSQL server; default postgres://postgres@127.0.0.1:5432/test).
 */
import { fork, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { toTokenSet } from '../nodes/lib/company/qbo/oauth';
import { Store, TokenVault } from '../nodes/lib/store';
import { startQboSimulator, type QboSimulator } from '../test/sim/qbo/server';
import { PG_URL, pgQuery } from '../test/support/pg-query';
import { tempDir } from '../test/support/tmp';
import { invoiceCensus, seedMatches, seedSimulator } from './bluetrace-orders';
import { run } from './harness';
import type { WorkerCompany, WorkerConfig } from './instances-worker';

const ORDER_COUNTS = (process.env.BENCH_INSTANCE_ORDERS || '1000,10000').split(',').map(Number).filter((n) => n > 0);
const MANY = Number(process.env.BENCH_COMPANIES || 20);
const DILATION = Number(process.env.BENCH_DILATION || 20);
const BATCH = 30;
const INTUIT_PER_MINUTE = 40 * BATCH;

interface Outcome {
  backend: 'nedb' | 'postgres';
  orders: number;
  instances: number;
  companies: number;
  ms: number;
  invoices: number;
  duplicates: number;
  writeCalls: number;
  throttled: number;
  /** Creates QuickBooks refused because the DocNumber was already used: a job sent twice. */
  refusedAgain: number;
  workerCpuMs: number;
  workerPeakRssMb: number;
}

/** The nedb store is the worker's own (one process): it counts its complete invoice jobs. */
async function askComplete(child: ChildProcess): Promise<number> {
  const answer = waitFor(child, 'complete');
  child.send({ type: 'count' });
  return (await answer).n as number;
}

function waitFor(child: ChildProcess, type: string): Promise<any> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: any) => {
      if (m?.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m);
    };
    const onExit = (code: number | null) => reject(new Error(`an instance exited with ${code} before "${type}"`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function scenario(orders: number, instances: number, companies: number, backend: 'nedb' | 'postgres' = 'postgres'): Promise<Outcome> {
  const url = backend === 'postgres' ? PG_URL : '';
  const tmp = tempDir('bench-instances-');
  const schema = `bench_inst_${process.pid}_${crypto.randomBytes(3).toString('hex')}`;
  const secret = crypto.randomBytes(24).toString('hex');
  const windowMs = 60_000 / DILATION;
  const sims: QboSimulator[] = [];
  const children: ChildProcess[] = [];
  try {
    const store = await Store.open(path.join(tmp.dir, 'setup'), { url, schema, secret });
    const list: WorkerCompany[] = [];
    for (let c = 0; c < companies; c++) {
      const sim = await startQboSimulator({ latencyMs: 0, limits: { perWindow: 500, concurrent: 10, batchPerWindow: 40, windowMs } });
      sims.push(sim);
      const seeded = seedSimulator(sim);
      const id = `co-${c}`;
      await seedMatches(store, id, seeded);
      await new TokenVault(store).save(`qbo:${sim.realmId}`, toTokenSet(sim.realmId, sim.issueTokens(), Date.now()));
      list.push({ id, realmId: sim.realmId, income: seeded.income, baseUrl: sim.baseUrl, tokenUrl: sim.tokenUrl, authorizeUrl: sim.authorizeUrl, clientId: sim.clientId, clientSecret: sim.clientSecret });
    }
    await store.close();
    for (let index = 0; index < instances; index++) {
      const cfg: WorkerConfig = { dir: tmp.dir, url, schema, secret, companies: list, orders, instances, index, dilation: DILATION };
      children.push(fork(path.join(__dirname, 'instances-worker.js'), [], { env: { ...process.env, BENCH_WORKER: JSON.stringify(cfg) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    }
    await Promise.all(children.map((c) => waitFor(c, 'ready')));
    for (const s of sims) s.resetStats();
    const t0 = Date.now();
    for (const c of children) c.send({ type: 'go' });
    await Promise.all(children.map((c) => waitFor(c, 'handled')));
    // Done when every invoice job of every company is complete (read from the shared store).
    let last = -1;
    let lastChange = Date.now();
    for (;;) {
      const row = { n: backend === 'postgres' ? (await pgQuery(`SELECT count(*)::int AS n FROM "${schema}".qb_jobs WHERE kind = 'invoice.upsert' AND state = 'complete'`))[0].n : await askComplete(children[0]!) };
      if (row.n >= orders) break;
      if (row.n !== last) [last, lastChange] = [row.n, Date.now()];
      if (Date.now() - lastChange > Number(process.env.BENCH_STALL_MS || 120_000)) {
        const states = backend === 'postgres' ? await pgQuery(`SELECT state, count(*)::int AS n FROM "${schema}".qb_jobs GROUP BY state`) : [];
        const errors = backend === 'postgres' ? await pgQuery(`SELECT DISTINCT doc::jsonb->'error'->>'message' AS m FROM "${schema}".qb_jobs WHERE state = 'error' LIMIT 5`) : [];
        // BENCH_DEBUG=1: the simulators' figures and a few unfinished jobs, to see where it stopped
        if (process.env.BENCH_DEBUG) for (const [i, sim] of sims.entries()) console.error(`simulator ${i}`, JSON.stringify(sim.stats));
        if (process.env.BENCH_DEBUG && backend === 'postgres') console.error(JSON.stringify(await pgQuery(`SELECT doc::jsonb - 'payload' AS d FROM "${schema}".qb_jobs WHERE state NOT IN ('complete') LIMIT 3`), null, 1));
        throw new Error(`${orders} orders, ${instances} instance(s), ${companies} companies: no progress at ${row.n}/${orders} complete: ${JSON.stringify(states)}; errors: ${errors.map((e) => e.m).join(' | ')}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const ms = Date.now() - t0;
    const stopped = await Promise.all(children.map((c) => {
      const p = waitFor(c, 'stopped');
      c.send({ type: 'stop' });
      return p;
    }));
    let invoices = 0;
    let duplicates = 0;
    let writeCalls = 0;
    let throttled = 0;
    let refusedAgain = 0;
    for (const s of sims) {
      const census = invoiceCensus(s);
      invoices += census.invoices;
      duplicates += census.duplicates;
      writeCalls += s.stats.requests.write + s.stats.requests.batch;
      throttled += s.stats.throttled.rate + s.stats.throttled.batch + s.stats.throttled.concurrency;
      refusedAgain += s.stats.faults['6140'] ?? 0;
    }
    return {
      backend, orders, instances, companies, ms, invoices, duplicates, refusedAgain, writeCalls, throttled,
      workerCpuMs: stopped.reduce((a, m) => a + m.cpuMs, 0), workerPeakRssMb: Math.max(...stopped.map((m) => m.peakRssMb)),
    };
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await Promise.all(sims.map((s) => s.close()));
    if (backend === 'postgres') await pgQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    tmp.cleanup();
  }
}

run(async () => {
  try {
    await pgQuery('SELECT 1');
  } catch (err) {
    console.log(`\n## bench:instances — skipped: PostgreSQL at ${PG_URL.replace(/:[^:@/]*@/, ':***@')} is not reachable (${(err as Error).message})`);
    return;
  }
  const rows: Outcome[] = [];
  for (const orders of ORDER_COUNTS) {
    rows.push(await scenario(orders, 1, 1, 'nedb'));
    for (const instances of [1, 2]) rows.push(await scenario(orders, instances, 1));
  }
  const many = Math.max(...ORDER_COUNTS);
  for (const instances of [1, 2]) rows.push(await scenario(many, instances, MANY));

  const perMinute = (r: Outcome) => r.orders / (r.ms / 60_000);
  const lines = [
    `\n## bench:instances — packed orders → QuickBooks Online invoices through 1 and 2 instances on one PostgreSQL store`,
    '',
    `Intuit's windows ${DILATION}× shorter (${60 / DILATION} s, Intuit's counts: 500 requests, 40 batch requests, 10 concurrent per company), so the measured rate is the package's; Intuit's ceiling: ${INTUIT_PER_MINUTE.toLocaleString('en-US')} invoices a minute per company (40 batches × ${BATCH})`,
    '',
    '| store | orders | instances | companies | wall s | invoices / min measured | Intuit\'s ceiling / min | measured ÷ ceiling | invoices | duplicates | sent twice (6140) | write calls | 429s | instances\' CPU s | peak RSS MB (largest instance) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const pm = perMinute(r);
    const ceiling = INTUIT_PER_MINUTE * r.companies;
    lines.push(`| ${r.backend === 'postgres' ? 'PostgreSQL' : 'nedb'} | ${r.orders.toLocaleString('en-US')} | ${r.instances} | ${r.companies} | ${(r.ms / 1000).toFixed(1)} | ${Math.round(pm).toLocaleString('en-US')} | ${ceiling.toLocaleString('en-US')} | ${(pm / ceiling).toFixed(2)} | ${r.invoices.toLocaleString('en-US')} | ${r.duplicates} | ${r.refusedAgain} | ${r.writeCalls} | ${r.throttled} | ${(r.workerCpuMs / 1000).toFixed(1)} | ${r.workerPeakRssMb} |`);
  }
  const find = (orders: number, instances: number, companies: number) => rows.find((r) => r.backend === 'postgres' && r.orders === orders && r.instances === instances && r.companies === companies) as Outcome;
  lines.push('');
  for (const orders of ORDER_COUNTS) lines.push(`ratio PostgreSQL / nedb, one instance, ${orders.toLocaleString('en-US')} orders (wall time): ${(find(orders, 1, 1).ms / (rows.find((r) => r.backend === 'nedb' && r.orders === orders) as Outcome).ms).toFixed(2)}×`);
  for (const orders of ORDER_COUNTS) lines.push(`ratio 2 instances / 1 instance, ${orders.toLocaleString('en-US')} orders, one company (throughput): ${(find(orders, 1, 1).ms / find(orders, 2, 1).ms).toFixed(2)}×`);
  lines.push(`ratio 2 instances / 1 instance, ${many.toLocaleString('en-US')} orders over ${MANY} companies (throughput): ${(find(many, 1, MANY).ms / find(many, 2, MANY).ms).toFixed(2)}×`);
  lines.push(`ratio ${MANY} companies / 1 company, ${many.toLocaleString('en-US')} orders, 2 instances (throughput): ${(find(many, 2, 1).ms / find(many, 2, MANY).ms).toFixed(2)}×`);
  lines.push(`duplicates in every run: ${rows.reduce((a, r) => a + r.duplicates, 0)} (target 0); invoices sent twice (refused by QuickBooks as a duplicate DocNumber): ${rows.reduce((a, r) => a + r.refusedAgain, 0)} (target 0)`);
  console.log(lines.join('\n'));
});
