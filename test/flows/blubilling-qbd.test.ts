/**
 * The shipped flow flows/blubilling-qbd.json end to end: loaded as shipped in the test helper with the
 * core nodes it uses, served on 127.0.0.1 and driven over real HTTP, with the Web Connector simulator
 * and a simulated QuickBooks Desktop company. The steps run in order, as an admin would: import, map
 * charges, receive BluBilling records, export, review, approve, send.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { nodeHelper as helper } from '../support/helper';
import { FlowServer } from '../support/flow-server';
import { useFlow } from '../support/lifecycle';
import { WebConnectorSimulator, type FaultOptions } from '../sim/qbwc';
import { QbdCompany } from '../sim/qbd';

const root = path.resolve(__dirname, '..', '..', '..');
const shipped = JSON.parse(fs.readFileSync(path.join(root, 'flows', 'blubilling-qbd.json'), 'utf8')) as Array<Record<string, any>>;

const NODES = [
  require('@node-red/nodes/core/network/21-httpin.js'),
  require('@node-red/nodes/core/function/15-change.js'),
  require('@node-red/nodes/core/function/10-switch.js'),
  require('@node-red/nodes/core/common/21-debug.js'),
  require('@node-red/nodes/core/common/90-comment.js'),
  require('../../nodes/qbwc-server/qbwc-server'),
  require('../../nodes/qb-validate/qb-validate'),
  require('../../nodes/qb-charge-mapper/qb-charge-mapper'),
  require('../../nodes/qb-importer/qb-importer'),
  require('../../nodes/qb-date-range-exporter/qb-date-range-exporter'),
];

const USER = 'bb-sync';
const PASSWORD = 'Tr1cky&<pass>';

/** The flow with its httpNode app served (node-red-node-test-helper#53). */
const server = new FlowServer();

async function start(): Promise<void> {
  await server.load(NODES, shipped, {});
  await (helper.getNode('bb-qbwc') as any).whenCompany();
}

const stop = () => server.close();
const post = (url: string, body: unknown) => server.request('POST', url, body);
const get = (url: string) => server.request('GET', url);

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
/** Around today, so records created now fall inside whatever this host's time zone is. */
const RANGE = { from: day(-2), to: day(2) };
const now = () => new Date().toISOString();

/** QuickBooks Desktop, as the Web Connector sees it: two items and two customers already there. */
const qb = new QbdCompany({ companyFile: 'C:\\QB\\BluBilling Demo.QBW' });
qb.seed({
  items: [{ type: 'ItemService', Name: 'Hosting - Monthly', Price: 50 }, { type: 'ItemService', Name: 'Setup Fee', Price: 100 }],
  customers: [{ Name: 'Baker & Sons', Email: 'ap@baker.example' }, { Name: 'Harbor Fish', Email: 'ap@harbor.example' }],
});

function session(faults: FaultOptions = {}) {
  return new WebConnectorSimulator({ url: server.url('/blubilling/qbwc'), username: USER, password: PASSWORD, processor: qb }).runSession(faults);
}

const named = (kind: 'Customer' | 'Invoice' | 'ReceivePayment', field: string, value: string) => qb.all(kind).filter((r) => r[field] === value);

/** A customer, an invoice for it on the Hosting charge, and a payment of that invoice, all created now. */
async function postSale(n: number): Promise<void> {
  assert.equal((await post('/blubilling/customers', { id: `cu-${n}`, name: `Oyster Bay ${n}`, email: `ap${n}@oyster.example`, createdAt: now() })).status, 200);
  const invoice = { id: `in-${n}`, invoiceNumber: `BB-${n}`, customerId: `cu-${n}`, invoiceDate: day(0), createdAt: now(), lines: [{ chargeId: 'ch-1', description: 'Hosting', quantity: 2, unitPrice: 50 }] };
  assert.equal((await post('/blubilling/invoices', invoice)).status, 200);
  assert.equal((await post('/blubilling/payments', { id: `pa-${n}`, customerId: `cu-${n}`, invoiceId: `in-${n}`, paymentDate: day(0), createdAt: now(), amount: 100, reference: `CHK ${n}` })).status, 200);
}

/** The invoice of sale n in QuickBooks is there once, and paid by its one payment. */
function assertPaidOnce(n: number): void {
  assert.equal(named('Customer', 'Name', `Oyster Bay ${n}`).length, 1, 'one customer');
  const invoices = named('Invoice', 'RefNumber', `BB-${n}`);
  assert.equal(invoices.length, 1, 'one invoice');
  const payments = named('ReceivePayment', 'RefNumber', `CHK ${n}`);
  assert.equal(payments.length, 1, 'one payment');
  assert.deepEqual((payments[0].AppliedToTxnRet as Array<{ TxnID: string }>).map((a) => a.TxnID), [invoices[0].TxnID]);
  assert.equal(qb.get('Invoice', invoices[0].TxnID as string)?.IsPaid, true);
}

describe('flows/blubilling-qbd.json end to end', () => {
  useFlow({ env: (storeDir) => ({ QBWC_USERNAME: USER, QBWC_PASSWORD: PASSWORD, QB_STORE_DIR: storeDir }), start }, server);

  it('is one tab whose qbwc-server is configured from the environment only', () => {
    assert.deepEqual(shipped.filter((n) => n.type === 'tab').map((n) => n.label), ['BluBilling × QuickBooks Desktop']);
    const wc = shipped.find((n) => n.type === 'qbwc-server');
    assert.equal(wc?.path, '/blubilling/qbwc');
    assert.equal(wc?.companyFile, '${QBWC_COMPANY_FILE}');
    assert.equal(wc?.publicUrl, '${QBWC_PUBLIC_URL}');
    assert.ok(!('credentials' in (wc ?? {})) && !JSON.stringify(shipped).includes(PASSWORD));
  });

  it('POST /blubilling/imports queues the item and customer imports of a date range', async () => {
    const res = await post('/blubilling/imports', { from: '2000-01-01', to: day(1), entities: ['items', 'customers'] });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.queued.map((q: { entity: string }) => q.entity), ['items', 'customers']);
  });

  it('a Web Connector session imports them; GET /blubilling/imports shows them complete with their counts', async () => {
    const result = await session();
    assert.equal(result.ok, true, JSON.stringify(result.errors));
    const res = await get('/blubilling/imports');
    assert.deepEqual(res.body.imports.map((r: { entity: string; status: string; count: number }) => [r.entity, r.status, r.count]).sort(), [['customers', 'Complete', 2], ['items', 'Complete', 2]]);
  });

  it('POST /blubilling/charges maps charges to the items named as their Price Codes', async () => {
    const res = await post('/blubilling/charges', [{ id: 'ch-1', name: 'Monthly Hosting', priceCode: 'Hosting - Monthly' }, { id: 'ch-2', name: 'Setup', priceCode: 'Setup Fee' }]);
    assert.equal(res.status, 200);
    assert.equal(res.body.mapped, 2);
    assert.deepEqual(res.body.charges.map((c: { qbId: string }) => c.qbId), [qb.get('Item', 'Hosting - Monthly')?.ListID, qb.get('Item', 'Setup Fee')?.ListID]);
  });

  it('a charge whose Price Code is not an item name exactly comes back with the issue and BluBilling\'s instruction', async () => {
    const res = await post('/blubilling/charges', { id: 'ch-3', name: 'Setup (old)', priceCode: 'setup fee' });
    assert.equal(res.body.unmapped, 1);
    assert.equal(res.body.issues[0].issue, 'unmapped-charge');
    assert.match(res.body.issues[0].resolution, /entered Exactly as it appears under the Name column in the Item List/);
  });

  it('GET /blubilling/charges/issues lists the unmapped charges', async () => {
    const res = await get('/blubilling/charges/issues');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.map((i: { appId: string }) => i.appId), ['ch-3']);
  });

  it('a bad body is refused with 400 naming each bad field, and changes nothing', async () => {
    const res = await post('/blubilling/invoices', { id: 'in-x', customerId: 'cu-1', createdAt: 'yesterday', lines: [] });
    assert.equal(res.status, 400);
    for (const field of ['/invoiceNumber', '/invoiceDate', '/createdAt', '/lines']) assert.match(res.body.error, new RegExp(field), field);
    assert.ok(res.body.problems.some((p: { path: string }) => p.path === '/invoiceNumber'));
    const exp = await post('/blubilling/exports', { from: '2026-01-01', entities: ['vendors'] });
    assert.equal(exp.status, 400);
    assert.match(exp.body.error, /\/to is required/);
  });

  it('a bad record in an array is refused with 400 naming the record and field', async () => {
    const res = await post('/blubilling/customers', [{ id: 'cu-z', name: 'Z', createdAt: now() }, { id: 'cu-y', createdAt: now() }]);
    assert.equal(res.status, 400);
    assert.match(res.body.error, /record 1: .*\/name is required/);
  });

  it('POST /blubilling/customers, /invoices and /payments keep the BluBilling records', async () => {
    await postSale(1);
  });

  it('POST /blubilling/exports queues the customer, invoice and payment of the range for review', async () => {
    const res = await post('/blubilling/exports', RANGE);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.queued.map((o: { key: string }) => o.key), ['customer:cu-1', 'invoice:in-1', 'payment:pa-1']);
  });

  it('GET /blubilling/queue lists them waiting for approval', async () => {
    const res = await get('/blubilling/queue');
    assert.deepEqual(res.body.queue.map((r: { key: string; state: string; status: string }) => [r.key, r.state, r.status]), [
      ['customer:cu-1', 'queued', 'In Queue'], ['invoice:in-1', 'queued', 'In Queue'], ['payment:pa-1', 'queued', 'In Queue'],
    ]);
  });

  it('nothing is sent before approval', async () => {
    const result = await session();
    assert.equal(result.authStatus, 'none');
    assert.equal(named('Customer', 'Name', 'Oyster Bay 1').length, 0);
  });

  it('POST /blubilling/queue/approve approves them', async () => {
    const res = await post('/blubilling/queue/approve', {});
    assert.deepEqual(res.body, { approved: 3 });
  });

  it('the next Web Connector session sends them; GET /blubilling/history shows Complete with the QuickBooks ids', async () => {
    const result = await session();
    assert.equal(result.ok, true, JSON.stringify(result.errors));
    const res = await get('/blubilling/history');
    const rows = new Map(res.body.history.map((r: { key: string }) => [r.key, r]));
    const row = (key: string) => rows.get(key) as { status: string; qbId?: string; count?: number };
    assert.deepEqual([row('customer:cu-1').status, row('invoice:in-1').status, row('payment:pa-1').status], ['Complete', 'Complete', 'Complete']);
    assert.equal(row('customer:cu-1').qbId, named('Customer', 'Name', 'Oyster Bay 1')[0].ListID);
    assert.equal(row('invoice:in-1').qbId, named('Invoice', 'RefNumber', 'BB-1')[0].TxnID);
    assert.equal(row('payment:pa-1').qbId, named('ReceivePayment', 'RefNumber', 'CHK 1')[0].TxnID);
    assert.equal(res.body.history.find((r: { kind: string }) => r.kind === 'import.items')?.count, 2);
  });

  it('QuickBooks holds exactly one customer, invoice and payment, the payment applied to the invoice', () => {
    assertPaidOnce(1);
    assert.equal(qb.count('Invoice'), 1);
    assert.equal(qb.count('ReceivePayment'), 1);
  });

  it('a second export of the same range queues nothing', async () => {
    const res = await post('/blubilling/exports', RANGE);
    assert.deepEqual(res.body.queued, []);
    assert.deepEqual((await get('/blubilling/queue')).body.queue, []);
  });

  it('POST /blubilling/queue/skip skips a job, which is never sent', async () => {
    assert.equal((await post('/blubilling/customers', { id: 'cu-skip', name: 'Never Sent', createdAt: now() })).status, 200);
    await post('/blubilling/exports', RANGE);
    const res = await post('/blubilling/queue/skip', { keys: ['customer:cu-skip'] });
    assert.deepEqual(res.body, { skipped: 1 });
    const bad = await post('/blubilling/queue/skip', {});
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /skip needs payload/);
  });

  it('a session killed after QuickBooks ran a request, then Node-RED restarting and a new session: nothing twice, nothing lost', async () => {
    await postSale(2);
    await post('/blubilling/exports', RANGE);
    assert.deepEqual((await post('/blubilling/queue/approve', {})).body, { approved: 3 });
    const killed = await session({ killAfterRequests: 2 });
    assert.equal(killed.killed, true);
    assert.equal(named('Invoice', 'RefNumber', 'BB-2').length, 1, 'QuickBooks ran the invoice add before the crash');
    await stop(); // the dead session holds the company until it expires; a restart ends it at once
    await start();
    const result = await session();
    assert.equal(result.ok, true, JSON.stringify(result.errors));
    assertPaidOnce(2);
  });

  it('a session killed after the Nth response, then a new one (after a restart): nothing twice, nothing lost', async () => {
    await postSale(3);
    await post('/blubilling/exports', RANGE);
    await post('/blubilling/queue/approve', {});
    const killed = await session({ killAfterResponses: 2 });
    assert.equal(killed.killed, true);
    assert.equal((await session()).authStatus, 'busy', 'the dead session holds the company until it expires');
    await stop();
    await start();
    const result = await session();
    assert.equal(result.ok, true, JSON.stringify(result.errors));
    assertPaidOnce(3);
    const history = (await get('/blubilling/history')).body.history as Array<{ key: string; status: string }>;
    assert.ok(['customer:cu-3', 'invoice:in-3', 'payment:pa-3'].every((k) => history.find((r) => r.key === k)?.status === 'Complete'));
  });

  it('no node logged an error or a warning (since the last start)', () => {
    const log = helper.log();
    const problems = log.args.filter(([entry]) => entry.id && entry.level <= (log as unknown as { WARN: number }).WARN).map(([entry]) => `${entry.type}: ${String(entry.msg)}`);
    assert.deepEqual(problems, []);
  });
});
