/**
 * bench:qbwc-sessions — what keeping the Web Connector's sessions in the store costs per SOAP call.
 * One Web Connector session (the simulator, over HTTP) sends BENCH_JOBS (default 300) customer.add jobs to
 * the QuickBooks Desktop simulator, each call reading its session from the store and writing it back:
 *
 *  1. nedb store, one instance (the default);
 *  2. PostgreSQL store (QB_TEST_PG_URL, as the tests), one instance;
 *  3. PostgreSQL store, two instances on one schema behind a round-robin balancer (every call of the
 *     session goes to the other instance than the one before).
 *
 * Prints wall time, CPU and time per job (a sendRequestXML + receiveResponseXML pair), and checks every
 * job was added to QuickBooks exactly once. PostgreSQL phases are left out (with the reason) when it is
 * unreachable.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { DesktopCompany } from '../nodes/lib/company/qbwc/desktop-company';
import { createQbwcService, type QbwcService } from '../nodes/lib/company/qbwc/service';
import { RANK } from '../nodes/lib/jobs';
import { Store, type StoreOptions } from '../nodes/lib/store';
import { QbdCompany } from '../test/sim/qbd';
import { WebConnectorSimulator } from '../test/sim/qbwc';
import { mountOnHttpServer } from '../test/support/http-mount';
import { createPool } from '../nodes/lib/store/postgres';
import { RoundRobin } from '../test/support/round-robin';
import { tempDir } from '../test/support/tmp';
import { measure, report, run, type Phase } from './harness';

const JOBS = Number(process.env.BENCH_JOBS) || 300;
const USER = 'bench';
const PASSWORD = 'bench-Pass-1';
const PATH = '/qbwc';
/** The tests' PostgreSQL (test/support/pg.ts reads the same variable; not imported: it registers test hooks). */
const PG_URL = process.env.QB_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';

interface Instance {
  company: DesktopCompany;
  service: QbwcService;
  url: string;
  close(): Promise<void>;
}

async function instance(dir: string, income: string, options: StoreOptions): Promise<Instance> {
  const store = await Store.open(dir, options);
  const company = new DesktopCompany({ id: 'bench', store, settings: { invoiceCreation: true, incomeAccountId: income }, autoApprove: true });
  await company.start();
  const service = await createQbwcService({ workSource: company, username: USER, password: PASSWORD });
  const server = http.createServer();
  mountOnHttpServer(server, PATH, service.handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    company, service, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${PATH}`,
    async close() {
      await service.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await company.close();
      await store.close();
    },
  };
}

/** One phase: fresh store(s), JOBS jobs queued, one session through `instances` (a balancer when more than one). */
async function phase(name: string, count: number, options: (i: number) => StoreOptions): Promise<Phase> {
  const tmp = tempDir('qbwc-sessions-bench-');
  const qbd = new QbdCompany();
  const income = qbd.get('Account', 'Service Income')?.ListID as string;
  const instances: Instance[] = [];
  for (let i = 0; i < count; i++) instances.push(await instance(path.join(tmp.dir, `i${i}`), income, options(i)));
  const lb = count > 1 ? await RoundRobin.start(instances.map((x) => x.url), PATH) : undefined;
  try {
    for (let i = 1; i <= JOBS; i++) {
      const name = `Bench Customer ${i}`;
      await instances[0]!.company.outbox.enqueue({ key: `customer:b${i}`, kind: 'customer.add', rank: RANK['customer.add'], payload: { entity: 'Customer', fields: { Name: name }, lookup: { field: 'Name', value: name } }, summary: name });
    }
    const sim = new WebConnectorSimulator({ url: lb?.url ?? instances[0]!.url, username: USER, password: PASSWORD, processor: qbd });
    let closeMessage = '';
    const p = await measure(name, JOBS, async () => {
      const r = await sim.runSession();
      assert.deepEqual(r.errors, []);
      closeMessage = r.closeMessage ?? '';
    });
    assert.equal(closeMessage, `${JOBS} sent, ${JOBS} complete, 0 errors`);
    assert.equal(qbd.received.filter((x) => x.includes('<CustomerAddRq')).length, JOBS, 'each job added once');
    if (lb) console.log(`${name}: calls per instance ${lb.perUpstream().join(' / ')}`);
    return p;
  } finally {
    await lb?.close();
    for (const x of instances) await x.close();
    tmp.cleanup();
  }
}

async function pgQuery(sql: string): Promise<void> {
  const pool = createPool(PG_URL);
  try {
    await pool.query(sql);
  } finally {
    await pool.end();
  }
}

async function pgReachable(): Promise<string | undefined> {
  try {
    await pgQuery('SELECT 1');
    return undefined;
  } catch (err) {
    return (err as Error).message || 'no answer';
  }
}

run(async () => {
  const phases: Phase[] = [await phase('nedb, one instance', 1, () => ({}))];
  const why = await pgReachable();
  if (why) {
    console.log(`PostgreSQL phases left out: ${why}`);
  } else {
    const schema = (label: string) => `qbbench_${process.pid}_${label}`;
    try {
      phases.push(await phase('PostgreSQL, one instance', 1, () => ({ url: PG_URL, schema: schema('one') })));
      phases.push(await phase('PostgreSQL, two instances (round robin)', 2, () => ({ url: PG_URL, schema: schema('two') })));
    } finally {
      for (const s of ['one', 'two']) await pgQuery(`DROP SCHEMA IF EXISTS "${schema(s)}" CASCADE`);
    }
  }
  report(`One Web Connector session, ${JOBS} customer adds (a sendRequestXML + receiveResponseXML per job)`, phases);
  for (const p of phases) console.log(`${p.name}: ${(p.ms / JOBS).toFixed(2)} ms per job`);
  if (phases.length === 3) console.log(`\nratio two instances / one instance on PostgreSQL: ${(phases[2]!.ms / phases[1]!.ms).toFixed(2)}×`);
});
