/**
 * Issue 13, item 4: two Node-RED processes (`npm start`, the four shipped flows) on one PostgreSQL
 * store, serving the same QuickBooks Online company (the simulator). BlueTrace packed orders and
 * BluBilling exports are posted to both; one process is killed with SIGKILL in the middle of the burst
 * and started again. Every order ends as exactly one invoice, every BluBilling record as exactly one
 * QuickBooks record, nothing is lost and nothing stays stuck.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { QbdCompany } from '../sim/qbd';
import { startQboSimulator, type QboSimulator } from '../sim/qbo';
import { WebConnectorSimulator } from '../sim/qbwc';
import { qboSimEnv } from '../support/env';
import { call as get, postJson } from '../support/http-call';
import { eventually } from '../support/flow-server';
import { PG_URL, pgSkip, testSchema } from '../support/pg';
import { startRed, type RedProcess } from '../support/red-process';
import { RoundRobin } from '../support/round-robin';
import { QBWC_TEST_PASSWORD, QBWC_TEST_USER } from '../support/shipped-red';
import { tempDir } from '../support/tmp';

const skip = pgSkip();
const tmp = tempDir('qbsync-instances-');
after(() => tmp.cleanup());

type Rec = Record<string, any>;
const ORDERS = 120;
const SALES = 12;
/** The lease after which a dead instance's jobs are taken over (short, so the test does not wait 30 s). */
const LEASE_MS = 2_000;

/** GET, or a JSON POST when there is a body. */
function call(base: string, url: string, body?: unknown): ReturnType<typeof get> {
  return body === undefined ? get(base, url) : postJson(base, url, body);
}

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

function order(i: number): Rec {
  return { id: `so-${i}`, orderNumber: `SO-${2000 + i}`, customerId: 'c-7', packedDate: day(0), lines: [{ itemId: 'it-101', quantity: 1 + (i % 3), unitPrice: 42.5 }] };
}

/** How many QuickBooks records of `entity` have each value of `field`, and the values seen more than once. */
function census(sim: QboSimulator, entity: Parameters<QboSimulator['all']>[0], field: (r: Rec) => string): { count: Map<string, number>; repeated: string[] } {
  const count = new Map<string, number>();
  for (const r of sim.all(entity) as Rec[]) count.set(field(r), (count.get(field(r)) ?? 0) + 1);
  return { count, repeated: [...count].filter(([, n]) => n > 1).map(([k]) => k) };
}

describe('two Node-RED instances on one PostgreSQL store', { skip }, () => {
  let sim: QboSimulator;
  let env: Record<string, string>;
  const red: { a?: RedProcess; b?: RedProcess } = {};
  const userDir = { a: path.join(tmp.dir, 'a'), b: path.join(tmp.dir, 'b') };

  before(async () => {
    sim = await startQboSimulator({ latencyMs: 15 });
    sim.seed('Item', [
      { Name: 'Kumamoto 60ct', Sku: 'KUM-60', Type: 'NonInventory', UnitPrice: 42.5 },
      { Name: 'Hosting - Monthly', Type: 'Service', UnitPrice: 50 },
    ]);
    sim.seed('Customer', [{ DisplayName: 'Oyster Bay Co', PrimaryEmailAddr: { Address: 'ap@oysterbay.example' } }]);
    env = {
      ...qboSimEnv(sim),
      QB_STORE_URL: PG_URL,
      QB_STORE_SCHEMA: testSchema('instances'),
      QB_STORE_KEY: 'instances-test-store-key-0123456789',
      QB_INSTANCE_LEASE_MS: String(LEASE_MS),
      QBWC_USERNAME: QBWC_TEST_USER,
      QBWC_PASSWORD: QBWC_TEST_PASSWORD,
      QBWC_PUBLIC_URL: 'http://localhost:1880',
    };
    // Both start at once: the schema is migrated once, the bootstrap token saved once.
    [red.a, red.b] = await Promise.all([startRed(userDir.a, env), startRed(userDir.b, env)]);
  });
  after(async () => {
    await Promise.allSettled([red.a?.stop(), red.b?.stop()]);
    await sim?.close();
  });

  it('invoices every packed order and exports every BluBilling record exactly once, one instance killed with SIGKILL mid-burst', async () => {
    const a = () => red.a as RedProcess;
    const b = () => red.b as RedProcess;
    // Matches made on A are the ones B invoices with (one store).
    const items = await eventually('A matches the item', async () => {
      const r = await call(a().base, '/bluetrace/items', [{ id: 'it-101', name: 'Kumamoto Oysters 60ct', sku: 'KUM-60' }]);
      return r.status === 200 && r;
    }, 30_000);
    assert.equal(items.status, 200, JSON.stringify(items.body));
    assert.equal((await call(a().base, '/bluetrace/customers', [{ id: 'c-7', name: 'Oyster Bay Co', billingEmail: 'ap@oysterbay.example' }])).status, 200);

    // BluBilling on QuickBooks Online: import and map on B, records on A, export and approve on both.
    assert.equal((await call(b().base, '/blubilling-online/imports', { from: '2000-01-01', to: day(2), entities: ['items', 'customers'] })).status, 200);
    await eventually('the BluBilling imports Complete', async () => {
      const rows = (await call(b().base, '/blubilling-online/imports')).body.imports as Rec[];
      return rows.length === 2 && rows.every((r) => r.status === 'Complete');
    }, 30_000);
    assert.equal((await call(b().base, '/blubilling-online/charges', [{ id: 'ch-1', name: 'Monthly Hosting', priceCode: 'Hosting - Monthly' }])).status, 200);
    const now = () => new Date().toISOString();
    for (let n = 1; n <= SALES; n++) {
      assert.equal((await call(a().base, '/blubilling-online/customers', { id: `cu-${n}`, name: `Harbor Buyer ${n}`, email: `ap${n}@harbor.example`, createdAt: now() })).status, 200);
      const invoice = { id: `in-${n}`, invoiceNumber: `BB-${n}`, customerId: `cu-${n}`, invoiceDate: day(0), createdAt: now(), lines: [{ chargeId: 'ch-1', description: 'Hosting', quantity: 2, unitPrice: 50 }] };
      assert.equal((await call(a().base, '/blubilling-online/invoices', invoice)).status, 200);
      assert.equal((await call(a().base, '/blubilling-online/payments', { id: `pa-${n}`, customerId: `cu-${n}`, invoiceId: `in-${n}`, paymentDate: day(0), createdAt: now(), amount: 100, reference: `CHK ${n}` })).status, 200);
    }
    const range = { from: day(-2), to: day(2) };
    const exports = await Promise.all([call(a().base, '/blubilling-online/exports', range), call(b().base, '/blubilling-online/exports', range)]);
    for (const e of exports) assert.equal(e.status, 200, JSON.stringify(e.body));
    const approvals = await Promise.all([call(a().base, '/blubilling-online/queue/approve', {}), call(b().base, '/blubilling-online/queue/approve', {})]);
    for (const r of approvals) assert.equal(r.status, 200, JSON.stringify(r.body));

    // The burst: orders to A and B in turn, 6 at a time; A is killed after the first third.
    const accepted = new Set<number>();
    const unanswered: number[] = [];
    let killed = false;
    const post = async (i: number, target: RedProcess) => {
      try {
        const r = await call(target.base, '/bluetrace/orders/packed', order(i));
        assert.equal(r.status, 202, JSON.stringify(r.body));
        accepted.add(i);
      } catch (err) {
        if (target === red.a && killed) unanswered.push(i); // a real client retries what got no answer
        else throw err;
      }
    };
    const burst = async (from: number, to: number, pick: (i: number) => RedProcess) => {
      for (let i = from; i < to; i += 6) await Promise.all(Array.from({ length: Math.min(6, to - i) }, (_, k) => post(i + k, pick(i + k))));
    };
    await burst(0, ORDERS / 3, (i) => (i % 2 ? b() : a()));
    const sentBeforeKill = sim.all('Invoice').length;
    const killer = burst(ORDERS / 3, (2 * ORDERS) / 3, (i) => (i % 2 ? b() : a()));
    await new Promise((r) => setTimeout(r, 40));
    killed = true;
    a().child.kill('SIGKILL');
    await killer;
    // B retries what A never answered; then A comes back (same user directory, same store) and takes its share again.
    for (const i of unanswered) await post(i, b());
    red.a = await startRed(userDir.a, env);
    await burst((2 * ORDERS) / 3, ORDERS, (i) => (i % 2 ? b() : a()));
    assert.equal(accepted.size, ORDERS, `every order was accepted by one instance (unanswered by A: ${unanswered.length})`);

    // Nothing lost, nothing stuck: every order invoiced once, every BluBilling record sent once.
    const state = async () => {
      const log = (await call(b().base, '/bluetrace/invoices?limit=1000')).body as Rec[];
      const queue = ((await call(b().base, '/blubilling-online/queue')).body as Rec).queue as Rec[];
      const statuses: Record<string, number> = {};
      for (const r of log) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      const invoices = census(sim, 'Invoice', (r) => String(r.DocNumber));
      const done = invoices.count.size >= ORDERS + SALES && log.length === ORDERS && (statuses.created ?? 0) + (statuses.updated ?? 0) === ORDERS && queue.length === 0;
      const waiting = log.filter((r) => r.status !== 'created' && r.status !== 'updated');
      return { done, summary: `${invoices.count.size} distinct invoices (repeated: ${invoices.repeated.join(', ') || 'none'}), invoice log ${JSON.stringify(statuses)} ${JSON.stringify(waiting.slice(0, 3))}, BluBilling queue ${JSON.stringify(queue.slice(0, 3))}` };
    };
    await eventually('every order invoiced and every export sent', async () => (await state()).done, 90_000).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${(await state()).summary}\nA:\n${a().output().slice(-3000)}\nB:\n${b().output().slice(-3000)}`);
    });
    const invoices = census(sim, 'Invoice', (r) => String(r.DocNumber));
    assert.deepEqual(invoices.repeated, [], 'no invoice twice');
    for (let i = 0; i < ORDERS; i++) assert.equal(invoices.count.get(`SO-${2000 + i}`), 1, `SO-${2000 + i} once`);
    for (let n = 1; n <= SALES; n++) assert.equal(invoices.count.get(`BB-${n}`), 1, `BB-${n} once`);
    const customers = census(sim, 'Customer', (r) => String(r.DisplayName));
    for (let n = 1; n <= SALES; n++) assert.equal(customers.count.get(`Harbor Buyer ${n}`), 1, `customer ${n} once`);
    const payments = census(sim, 'Payment', (r) => String(r.PaymentRefNum));
    for (let n = 1; n <= SALES; n++) assert.equal(payments.count.get(`CHK ${n}`), 1, `payment ${n} once`);
    assert.ok(sentBeforeKill < ORDERS, 'A was killed while invoices were still being sent');
  });
  it('refreshes the QuickBooks Online token once when both instances find it expired at once, and both keep working', async () => {
    const [a, b] = [red.a as RedProcess, red.b as RedProcess];
    sim.resetStats();
    sim.oauth.expireAccessTokens();
    // Intuit rotates the refresh token on every refresh: a second refresh with the old one is invalid_grant,
    // which would leave one instance needing a reconnect. One refresh (single flight across instances) keeps both going.
    const answers = await Promise.all([call(a.base, '/bluetrace/orders/packed', order(ORDERS)), call(b.base, '/bluetrace/orders/packed', order(ORDERS + 1))]);
    for (const r of answers) assert.equal(r.status, 202, JSON.stringify(r.body));
    await eventually('both orders invoiced after the refresh', () => [ORDERS, ORDERS + 1].every((i) => sim.all('Invoice').some((r: Rec) => r.DocNumber === `SO-${2000 + i}`)), 30_000);
    assert.equal(sim.stats.requests.token, 1, 'one refresh-token grant for both instances');
    const more = await Promise.all([call(a.base, '/bluetrace/orders/packed', order(ORDERS + 2)), call(b.base, '/bluetrace/orders/packed', order(ORDERS + 3))]);
    for (const r of more) assert.equal(r.status, 202, JSON.stringify(r.body));
    await eventually('both instances still send with the one rotated token', () => [ORDERS + 2, ORDERS + 3].every((i) => sim.all('Invoice').some((r: Rec) => r.DocNumber === `SO-${2000 + i}`)), 30_000);
    assert.equal(sim.stats.requests.token, 1);
    assert.equal(sim.stats.unauthorized > 0, true, 'the expired token was refused first');
  });
  it('serves a Web Connector session whose calls alternate between the instances (a load balancer without affinity)', async () => {
    const [a, b] = [red.a as RedProcess, red.b as RedProcess];
    const qb = new QbdCompany({
      seed: {
        items: [{ type: 'ItemNonInventory', Name: 'Kumamoto 60ct', ManufacturerPartNumber: 'KUM-60', Price: 42.5 }],
        customers: [{ Name: 'Oyster Bay Co', Email: 'ap@oysterbay.example' }],
      },
    });
    const balancer = await RoundRobin.start([a.base + '/bluetrace/qbwc', b.base + '/bluetrace/qbwc'], '/bluetrace/qbwc');
    try {
      const session = async () => {
        const r = await new WebConnectorSimulator({ url: balancer.url, username: QBWC_TEST_USER, password: QBWC_TEST_PASSWORD, processor: qb }).runSession();
        assert.equal(r.ok, true, JSON.stringify(r.errors));
        return r;
      };
      assert.equal((await call(a.base, '/bluetrace-desktop/resync', {})).status, 200);
      const first = await session();
      assert.ok(first.requests.some((r) => /<ItemQueryRq/.test(r)) && first.requests.some((r) => /<CustomerQueryRq/.test(r)), 'the first import ran');
      // The lists imported through both instances are matched on B, the orders packed on A and B.
      const items = await eventually('B matches the Desktop item', async () => {
        const r = await call(b.base, '/bluetrace-desktop/items', [{ id: 'it-101', name: 'Kumamoto Oysters 60ct', sku: 'KUM-60' }]);
        return r.status === 200 && r.body.matched === 1 && r;
      }, 20_000);
      assert.equal(items.body.matched, 1);
      assert.equal((await call(b.base, '/bluetrace-desktop/customers', [{ id: 'c-7', name: 'Oyster Bay Co', billingEmail: 'ap@oysterbay.example' }])).body.matched, 1);
      const orders = Array.from({ length: 8 }, (_, i) => ({ ...order(i), id: `sd-${i}`, orderNumber: `D-${i}` }) as Rec);
      for (const [i, o] of orders.entries()) assert.equal((await call(i % 2 ? b.base : a.base, '/bluetrace-desktop/orders/packed', o)).status, 202);
      const before = balancer.forwarded.length;
      const run = await session();
      const calls = balancer.forwarded.slice(before);
      assert.ok(calls.length >= 2 * orders.length && calls.some((c) => c.upstream === 0) && calls.some((c) => c.upstream === 1), 'the session went through both instances');
      assert.ok(run.percents.at(-1) === 100, JSON.stringify(run.percents));
      for (const o of orders) assert.equal(qb.all('Invoice').filter((inv: Rec) => inv.RefNumber === o.orderNumber).length, 1, `${o.orderNumber} once in QuickBooks Desktop`);
      await eventually('the invoice log on either instance shows every order created', async () => {
        const log = (await call(a.base, '/bluetrace-desktop/invoices')).body as Rec[];
        return orders.every((o) => log.some((e) => e.sourceId === o.id && e.status === 'created'));
      }, 10_000);
    } finally {
      await balancer.close();
    }
  });
});
