/**
 * The shipped flow flows/blubilling-qbo.json end to end: loaded as shipped in the test helper with the
 * core nodes it uses, its qbo-connection configured only from QBO_* environment variables (a bootstrap
 * refresh token) against the QuickBooks Online simulator, served on 127.0.0.1 and driven over real HTTP.
 * The steps run in order, as an admin would: import, map charges, receive BluBilling records, export,
 * review, approve. No Web Connector: imports run at once and approved jobs are sent at once.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startQboSimulator, type QboSimulator } from '../sim/qbo';
import { FlowServer, eventually } from '../support/flow-server';
import { nodeHelper as helper } from '../support/helper';
import { qboSimEnv } from '../support/env';
import { useFlow } from '../support/lifecycle';

const root = path.resolve(__dirname, '..', '..', '..');
const shipped = JSON.parse(fs.readFileSync(path.join(root, 'flows', 'blubilling-qbo.json'), 'utf8')) as Array<Record<string, any>>;
const modules = [
  require('@node-red/nodes/core/network/21-httpin.js'),
  require('@node-red/nodes/core/function/15-change.js'),
  require('@node-red/nodes/core/function/10-switch.js'),
  require('@node-red/nodes/core/common/21-debug.js'),
  require('@node-red/nodes/core/common/90-comment.js'),
  require('../../nodes/qbo-connection/qbo-connection'),
  require('../../nodes/qb-validate/qb-validate'),
  require('../../nodes/qb-charge-mapper/qb-charge-mapper'),
  require('../../nodes/qb-importer/qb-importer'),
  require('../../nodes/qb-date-range-exporter/qb-date-range-exporter'),
];

const P = '/blubilling-online';

const server = new FlowServer();
let sim: QboSimulator;

const post = (url: string, body: unknown) => server.request('POST', `${P}${url}`, body);
const get = (url: string) => server.request('GET', `${P}${url}`);

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
/** Around today, so records created now fall inside whatever this host's time zone is. */
const RANGE = { from: day(-2), to: day(2) };
const now = () => new Date().toISOString();

type Rec = Record<string, any>;
const invoicesNumbered = (doc: string) => sim.all('Invoice').filter((r: Rec) => r.DocNumber === doc);
const customersNamed = (name: string) => sim.all('Customer').filter((r: Rec) => r.DisplayName === name);
const paymentsRef = (ref: string) => sim.all('Payment').filter((r: Rec) => r.PaymentRefNum === ref);
const itemId = (name: string) => (sim.all('Item').find((r: Rec) => r.Name === name) as Rec).Id as string;
const company = async () => (helper.getNode('bbo-qbo') as unknown as { whenCompany(): Promise<any> }).whenCompany();

/** A customer, an invoice for it on the Hosting charge (2 × 50), and a payment of that invoice, all created now. */
async function postSale(n: number): Promise<void> {
  assert.equal((await post('/customers', { id: `cu-${n}`, name: `Oyster Bay ${n}`, email: `ap${n}@oyster.example`, createdAt: now() })).status, 200);
  const invoice = { id: `in-${n}`, invoiceNumber: `BB-${n}`, customerId: `cu-${n}`, invoiceDate: day(0), createdAt: now(), lines: [{ chargeId: 'ch-1', description: 'Hosting', quantity: 2, unitPrice: 50 }] };
  assert.equal((await post('/invoices', invoice)).status, 200);
  assert.equal((await post('/payments', { id: `pa-${n}`, customerId: `cu-${n}`, invoiceId: `in-${n}`, paymentDate: day(0), createdAt: now(), amount: 100, reference: `CHK ${n}` })).status, 200);
}

/** History rows by job key. */
async function history(): Promise<Map<string, { status: string; qbId?: string; count?: number; kind: string }>> {
  const res = await get('/history');
  assert.equal(res.status, 200);
  return new Map(res.body.history.map((r: { key: string }) => [r.key, r]));
}

/** Waits until every given job shows Complete in the history. */
function complete(keys: string[]) {
  return eventually(`${keys.join(', ')} Complete`, async () => {
    const rows = await history();
    return keys.every((k) => rows.get(k)?.status === 'Complete') && rows;
  });
}

describe('flows/blubilling-qbo.json end to end against the QuickBooks Online simulator', () => {
  useFlow({
    async env(storeDir) {
      sim = await startQboSimulator({ latencyMs: 0 });
      sim.seed('Item', [
        { Name: 'Hosting - Monthly', Type: 'Service', UnitPrice: 50 },
        { Name: 'Setup Fee', Type: 'Service', UnitPrice: 100 },
      ]);
      sim.seed('Customer', [
        { DisplayName: 'Baker & Sons', PrimaryEmailAddr: { Address: 'ap@baker.example' } },
        { DisplayName: 'Harbor Fish', PrimaryEmailAddr: { Address: 'ap@harbor.example' } },
      ]);
      return { ...qboSimEnv(sim), QB_STORE_DIR: storeDir };
    },
    async start() {
      await server.load(modules, shipped);
      const co = await company();
      await eventually('the first load of the QuickBooks lists', () => co.status().state === 'connected');
    },
    stop: () => sim.close(),
  }, server);

  it('is one tab, beside the other shipped flows, whose qbo-connection is configured from the environment only', () => {
    assert.deepEqual(shipped.filter((n) => n.type === 'tab').map((n) => n.label), ['BluBilling × QuickBooks Online']);
    assert.ok(shipped.every((n) => n.id.startsWith('bbo-')), 'every id is bbo-…');
    const conn = shipped.filter((n) => n.type === 'qbo-connection');
    assert.equal(conn.length, 1);
    const c = conn[0];
    assert.deepEqual([c.environment, c.baseUrl, c.tokenUrl, c.authUrl, c.realmId], ['${QBO_ENVIRONMENT}', '${QBO_BASE_URL}', '${QBO_TOKEN_URL}', '${QBO_AUTH_URL}', '${QBO_REALM_ID}']);
    assert.ok(!('credentials' in c));
    const qbNodes = shipped.filter((n) => 'edition' in n);
    assert.deepEqual(qbNodes.map((n) => [n.edition, n.qbo, n.qbwc]), qbNodes.map(() => ['qbo', c.id, '']));
    assert.equal(shipped.find((n) => n.type === 'qb-date-range-exporter')?.autoApprove, false, 'exports wait for review');
    // Deployable together with the other shipped flows: no id and no HTTP endpoint in common.
    const others = fs.readdirSync(path.join(root, 'flows')).filter((f) => f.endsWith('.json') && f !== 'blubilling-qbo.json')
      .flatMap((f) => JSON.parse(fs.readFileSync(path.join(root, 'flows', f), 'utf8')) as Array<Record<string, any>>);
    const endpoint = (n: Record<string, any>) => `${n.method} ${n.url}`;
    const ids = new Set(others.map((n) => n.id));
    const urls = new Set(others.filter((n) => n.type === 'http in').map(endpoint));
    assert.deepEqual(shipped.filter((n) => ids.has(n.id)).map((n) => n.id), []);
    assert.deepEqual(shipped.filter((n) => n.type === 'http in' && urls.has(endpoint(n))).map(endpoint), []);
    assert.ok(shipped.filter((n) => n.type === 'http in').every((n) => n.url.startsWith(`${P}/`)));
  });

  it('POST /imports imports the items and customers of a date range (both ends inclusive) at once, into the mirror', async () => {
    const updated = sim.all('Item').map((r: Rec) => new Date(r.MetaData.LastUpdatedTime).toISOString().slice(0, 10));
    const on = updated[0]; // a range of one day: both ends are that day
    const res = await post('/imports', { from: on, to: on, entities: ['items', 'customers'] });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.queued.map((q: { entity: string }) => q.entity), ['items', 'customers']);
    const imports = await eventually('both imports Complete', async () => {
      const rows = (await get('/imports')).body.imports as Array<{ entity: string; status: string; count: number }>;
      return rows.length === 2 && rows.every((r) => r.status === 'Complete') && rows;
    });
    assert.deepEqual(imports.map((r) => [r.entity, r.status, r.count]).sort(), [['customers', 'Complete', 2], ['items', 'Complete', 2]]);
    const co = await company();
    const names = (await co.mirror.list('items')).map((r: { name: string }) => r.name).sort();
    assert.deepEqual(names, ['Hosting - Monthly', 'Setup Fee']);
    const rows = await history();
    assert.equal([...rows.values()].find((r) => r.kind === 'import.items')?.count, 2);
  });

  it('POST /charges maps charges to the items named exactly as their Price Codes', async () => {
    const res = await post('/charges', [{ id: 'ch-1', name: 'Monthly Hosting', priceCode: 'Hosting - Monthly' }, { id: 'ch-2', name: 'Setup', priceCode: 'Setup Fee' }]);
    assert.equal(res.status, 200);
    assert.equal(res.body.mapped, 2);
    assert.deepEqual(res.body.charges.map((c: { qbId: string }) => c.qbId), [itemId('Hosting - Monthly'), itemId('Setup Fee')]);
  });

  it('a Price Code differing only by case is unmapped with BluBilling\'s instruction, and no item is created', async () => {
    const before = sim.all('Item').length;
    const res = await post('/charges', { id: 'ch-3', name: 'Setup (old)', priceCode: 'setup fee' });
    assert.equal(res.status, 200);
    assert.equal(res.body.unmapped, 1);
    assert.equal(res.body.issues[0].issue, 'unmapped-charge');
    assert.match(res.body.issues[0].resolution, /entered Exactly as it appears under the Name column in the Item List/);
    const issues = await get('/charges/issues');
    assert.deepEqual(issues.body.map((i: { appId: string }) => i.appId), ['ch-3']);
    assert.equal(sim.all('Item').length, before);
  });

  it('a bad body is refused with 400 naming each bad field', async () => {
    const res = await post('/invoices', { id: 'in-x', customerId: 'cu-1', createdAt: 'yesterday', lines: [] });
    assert.equal(res.status, 400);
    for (const field of ['/invoiceNumber', '/invoiceDate', '/createdAt', '/lines']) assert.match(res.body.error, new RegExp(field), field);
    assert.ok(res.body.problems.some((p: { path: string }) => p.path === '/invoiceNumber'));
    const exp = await post('/exports', { from: '2026-01-01', entities: ['vendors'] });
    assert.equal(exp.status, 400);
    assert.match(exp.body.error, /\/to is required/);
    const imp = await post('/imports', { to: '2026-01-01' });
    assert.equal(imp.status, 400);
    assert.match(imp.body.error, /\/from is required/);
  });

  it('POST /customers, /invoices and /payments keep the records; POST /exports queues them for review', async () => {
    await postSale(1);
    const res = await post('/exports', RANGE);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.queued.map((o: { key: string }) => o.key), ['customer:cu-1', 'invoice:in-1', 'payment:pa-1']);
  });

  it('GET /queue lists them waiting for approval, and nothing reaches QuickBooks before it', async () => {
    const res = await get('/queue');
    assert.deepEqual(res.body.queue.map((r: { key: string; state: string; status: string }) => [r.key, r.state, r.status]), [
      ['customer:cu-1', 'queued', 'In Queue'], ['invoice:in-1', 'queued', 'In Queue'], ['payment:pa-1', 'queued', 'In Queue'],
    ]);
    await (await company()).idle();
    assert.equal(customersNamed('Oyster Bay 1').length, 0);
    assert.equal(sim.all('Invoice').length, 0);
  });

  it('POST /queue/approve sends them at once; GET /history shows Complete with the QuickBooks ids', async () => {
    const res = await post('/queue/approve', {});
    assert.deepEqual(res.body, { approved: 3 });
    const rows = await complete(['customer:cu-1', 'invoice:in-1', 'payment:pa-1']);
    assert.equal(rows.get('customer:cu-1')?.qbId, customersNamed('Oyster Bay 1')[0]?.Id);
    assert.equal(rows.get('invoice:in-1')?.qbId, invoicesNumbered('BB-1')[0]?.Id);
    assert.equal(rows.get('payment:pa-1')?.qbId, paymentsRef('CHK 1')[0]?.Id);
  });

  it('QuickBooks holds exactly one customer, one invoice (lines by the charge mapping) and one payment linked to it', () => {
    const customers = customersNamed('Oyster Bay 1');
    assert.equal(customers.length, 1);
    assert.equal(customers[0].PrimaryEmailAddr?.Address, 'ap1@oyster.example');
    assert.equal(sim.all('Invoice').length, 1);
    const [inv] = invoicesNumbered('BB-1');
    assert.ok(inv, 'DocNumber is the BluBilling invoice number');
    assert.equal(inv.CustomerRef.value, customers[0].Id);
    const lines = inv.Line.filter((l: Rec) => l.DetailType === 'SalesItemLineDetail');
    assert.deepEqual(lines.map((l: Rec) => [l.SalesItemLineDetail.ItemRef.value, l.SalesItemLineDetail.Qty, l.SalesItemLineDetail.UnitPrice, l.Amount]), [[itemId('Hosting - Monthly'), 2, 50, 100]]);
    assert.equal(sim.all('Payment').length, 1);
    const [pay] = paymentsRef('CHK 1');
    assert.equal(pay.TotalAmt, 100);
    assert.deepEqual(pay.Line.flatMap((l: Rec) => l.LinkedTxn.map((t: Rec) => [t.TxnType, t.TxnId])), [['Invoice', inv.Id]]);
    assert.equal(sim.all('Invoice')[0].Balance, 0);
  });

  it('a second export of the same range queues nothing', async () => {
    const res = await post('/exports', RANGE);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.queued, []);
    assert.deepEqual((await get('/queue')).body.queue, []);
  });

  it('an invoice with an unmapped charge is held with its action, and queued by a later export once the charge is mapped', async () => {
    const invoice = { id: 'in-5', invoiceNumber: 'BB-5', customerId: 'cu-1', invoiceDate: day(0), createdAt: now(), lines: [{ chargeId: 'ch-3', description: 'Setup', quantity: 1, unitPrice: 100 }] };
    assert.equal((await post('/invoices', invoice)).status, 200);
    const held = await post('/exports', RANGE);
    assert.deepEqual(held.body.queued, []);
    assert.deepEqual(held.body.held.map((o: { key?: string; sourceId: string }) => o.sourceId), ['in-5']);
    assert.match(held.body.held[0].actions.join(' '), /Price Code/);
    assert.match(held.body.held[0].actions.join(' '), /setup fee/);
    const fixed = await post('/charges', { id: 'ch-3', name: 'Setup (old)', priceCode: 'Setup Fee' });
    assert.equal(fixed.body.unmapped, 0);
    assert.equal(fixed.body.charges.find((c: { chargeId: string }) => c.chargeId === 'ch-3')?.qbId, itemId('Setup Fee'));
    const later = await post('/exports', RANGE);
    assert.deepEqual(later.body.queued.map((o: { key: string }) => o.key), ['invoice:in-5']);
    assert.deepEqual(later.body.held, []);
    assert.deepEqual((await post('/queue/approve', { keys: ['invoice:in-5'] })).body, { approved: 1 });
    await complete(['invoice:in-5']);
    const [inv] = invoicesNumbered('BB-5');
    assert.deepEqual(inv.Line.filter((l: Rec) => l.DetailType === 'SalesItemLineDetail').map((l: Rec) => l.SalesItemLineDetail.ItemRef.value), [itemId('Setup Fee')]);
  });

  it('POST /queue/skip skips a job, which is never sent', async () => {
    assert.equal((await post('/customers', { id: 'cu-skip', name: 'Never Sent', createdAt: now() })).status, 200);
    await post('/exports', RANGE);
    assert.deepEqual((await post('/queue/skip', { keys: ['customer:cu-skip'] })).body, { skipped: 1 });
    const bad = await post('/queue/skip', {});
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /skip needs payload/);
    await (await company()).idle();
    assert.equal(customersNamed('Never Sent').length, 0);
  });

  it('the answer to the invoice write lost after QuickBooks committed it: still exactly one invoice', async () => {
    const invoice = { id: 'in-6', invoiceNumber: 'BB-6', customerId: 'cu-1', invoiceDate: day(0), createdAt: now(), lines: [{ chargeId: 'ch-1', description: 'Hosting', quantity: 3, unitPrice: 50 }] };
    assert.equal((await post('/invoices', invoice)).status, 200);
    assert.deepEqual((await post('/exports', RANGE)).body.queued.map((o: { key: string }) => o.key), ['invoice:in-6']);
    const dropped = sim.stats.dropped;
    sim.faults.dropAfterCommit(1);
    assert.deepEqual((await post('/queue/approve', { keys: ['invoice:in-6'] })).body, { approved: 1 });
    const rows = await complete(['invoice:in-6']);
    assert.equal(sim.stats.dropped, dropped + 1, 'the answer was lost');
    const invoices = invoicesNumbered('BB-6');
    assert.equal(invoices.length, 1);
    assert.equal(rows.get('invoice:in-6')?.qbId, invoices[0].Id);
    assert.equal(invoices[0].TotalAmt, 150);
  });

  it('no node logged an error or a warning', () => {
    const log = helper.log();
    const problems = log.args.filter(([entry]) => entry.id && entry.level <= (log as unknown as { WARN: number }).WARN).map(([entry]) => `${entry.type}: ${String(entry.msg)}`);
    assert.deepEqual(problems, []);
  });
});
