/**
 * The shipped flow flows/bluetrace-qbd.json, loaded into the test helper and driven end to end over real
 * HTTP and real Web Connector sessions (the Web Connector simulator against the flow's qbwc-server at
 * /bluetrace/qbwc) with a simulated QuickBooks Desktop company, configured only through environment
 * variables. The steps run in order, as a BlueTrace admin would: connect, match, pack orders.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { QbdCompany } from '../sim/qbd';
import { WebConnectorSimulator, type FaultOptions, type SessionResult } from '../sim/qbwc';
import { nodeHelper as helper } from '../support/helper';
import { FlowServer, eventually } from '../support/flow-server';
import { useFlow } from '../support/lifecycle';

type FlowNode = Record<string, any>;

const root = path.resolve(__dirname, '..', '..', '..');
const readFlow = (name: string): FlowNode[] => JSON.parse(fs.readFileSync(path.join(root, 'flows', name), 'utf8'));
const shipped = readFlow('bluetrace-qbd.json');
const modules = [
  require('../../nodes/qbwc-server/qbwc-server'),
  require('../../nodes/qb-item-matcher/qb-item-matcher'),
  require('../../nodes/qb-customer-matcher/qb-customer-matcher'),
  require('../../nodes/qb-invoice-creator/qb-invoice-creator'),
  require('@node-red/nodes/core/network/21-httpin.js'),
  require('@node-red/nodes/core/function/15-change.js'),
  require('@node-red/nodes/core/function/10-switch.js'),
  require('@node-red/nodes/core/common/21-debug.js'),
  require('@node-red/nodes/core/common/90-comment.js'),
];

const USER = 'bt-desktop';
const PASSWORD = 'Oy$ter&<Bay>9';
const COMPANY_FILE = 'C:\\QB\\Oyster Bay Seafood.QBW';
const server = new FlowServer();

/** QuickBooks Desktop as the Web Connector sees it: items (by part number or by name), customers, terms. */
const qb = new QbdCompany({
  companyFile: COMPANY_FILE,
  seed: {
    terms: [{ Name: 'Net 7', StdDueDays: 7 }],
    items: [
      { type: 'ItemNonInventory', Name: 'Kumamoto 60ct', ManufacturerPartNumber: 'KUM-60', Price: 42.5 },
      { type: 'ItemNonInventory', Name: 'MUS-10', Desc: 'Mussels 10lb', Price: 19.99 },
      { type: 'ItemService', Name: 'Delivery', Price: 15 },
    ],
    customers: [
      { Name: 'Oyster Bay Co', Email: 'ap@oysterbay.example', TermsName: 'Net 7' },
      { Name: 'Harbor Fish', Email: 'billing@harbor.example' },
      { Name: 'Harbor Fish Market', Email: 'billing@harbor.example' },
    ],
  },
});

/** One Web Connector run against the flow's service (the AppURL of its .qwc), with optional faults. */
function session(faults: FaultOptions = {}): Promise<SessionResult> {
  return new WebConnectorSimulator({ url: server.url('/bluetrace/qbwc'), username: USER, password: PASSWORD, processor: qb }).runSession(faults);
}

async function okSession(): Promise<SessionResult> {
  const result = await session();
  assert.equal(result.ok, true, JSON.stringify(result.errors));
  return result;
}

/** Deploys the flow as shipped (a fresh copy: Node-RED rewrites ${VAR} properties in place). */
async function start(): Promise<any> {
  await server.load(modules, JSON.parse(JSON.stringify(shipped)));
  return (helper.getNode('btd-qbwc') as any).whenCompany();
}

/** Node-RED stopping and starting again: a Web Connector session that died is forgotten at once. */
async function restart(): Promise<any> {
  await server.close();
  return start();
}

/** The statuses a node shows from now on. */
function watchStatus(id: string): Array<{ fill?: string; text?: string }> {
  const node = helper.getNode(id) as any;
  const seen: Array<{ fill?: string; text?: string }> = [];
  const original = node.status.bind(node);
  node.status = (s: { fill?: string; text?: string }) => {
    seen.push(s);
    return original(s);
  };
  return seen;
}

const invoicesNumbered = (ref: string): any[] => qb.all('Invoice').filter((i: any) => i.RefNumber === ref);
const logEntry = async (orderId: string) => (await server.request('GET', '/bluetrace-desktop/invoices')).body.find((e: any) => e.sourceId === orderId);
const logStatus = (orderId: string, status: string) => eventually(`${orderId} ${status}`, async () => {
  const entry = await logEntry(orderId);
  return entry?.status === status ? entry : undefined;
});
const listId = (kind: 'Customer' | 'Item' | 'Terms', name: string) => qb.get(kind, name)?.ListID as string;

describe('flows/bluetrace-qbd.json against the Web Connector and a QuickBooks Desktop company', () => {
  let company: any;

  useFlow({
    env: (storeDir) => ({
      QBWC_USERNAME: USER, QBWC_PASSWORD: PASSWORD, QB_STORE_DIR: storeDir,
      QBWC_COMPANY_FILE: COMPANY_FILE, QBWC_PUBLIC_URL: 'https://qb.oysterbay.example', QBWC_DEFAULT_TERMS_ID: listId('Terms', 'Net 30'),
    }),
    start: async () => {
      company = await start();
    },
  }, server);

  it('is its own tab, btd- ids and /bluetrace-desktop/ endpoints, so it deploys beside the other shipped flows', () => {
    assert.deepEqual(shipped.filter((n) => n.type === 'tab').map((n) => n.label), ['BlueTrace × QuickBooks Desktop']);
    assert.ok(shipped.every((n) => n.id.startsWith('btd-')));
    assert.ok(shipped.filter((n) => n.z !== undefined).every((n) => n.z === 'btd-tab'));
    const urls = shipped.filter((n) => n.type === 'http in').map((n) => `${n.method} ${n.url}`);
    assert.ok(urls.every((u) => / \/bluetrace-desktop\//.test(u)), urls.join());
    const wc = shipped.filter((n) => n.type === 'qbwc-server');
    assert.equal(wc.length, 1);
    assert.equal(wc[0].path, '/bluetrace/qbwc');
    assert.equal(wc[0].autoApprove, true);
    assert.equal(wc[0].companyFile, '${QBWC_COMPANY_FILE}');
    assert.equal(wc[0].publicUrl, '${QBWC_PUBLIC_URL}');
    assert.ok(!('credentials' in wc[0]) && !JSON.stringify(shipped).includes(PASSWORD), 'no credentials in the flow');
    for (const n of shipped.filter((x) => 'edition' in x)) assert.deepEqual([n.id, n.edition, n.qbwc], [n.id, 'qbd', 'btd-qbwc']);
    for (const other of ['bluetrace-qbo.json', 'blubilling-qbd.json']) {
      if (!fs.existsSync(path.join(root, 'flows', other))) continue;
      const them = readFlow(other);
      const ids = new Set(them.map((n) => n.id));
      assert.deepEqual(shipped.filter((n) => ids.has(n.id)).map((n) => n.id), [], `ids shared with ${other}`);
      const theirUrls = new Set(them.filter((n) => n.type === 'http in').map((n) => `${n.method} ${n.url}`));
      assert.deepEqual(urls.filter((u) => theirUrls.has(u)), [], `endpoints shared with ${other}`);
      const theirPaths = them.filter((n) => n.type === 'qbwc-server').map((n) => n.path);
      assert.ok(!theirPaths.includes('/bluetrace/qbwc'), `Web Connector path shared with ${other}`);
    }
  });

  it('the .qwc file of the qbwc-server node points the Web Connector at QBWC_PUBLIC_URL/bluetrace/qbwc, without the password', async () => {
    const res = await helper.request().get('/qbwc-server/btd-qbwc/qwc').expect(200);
    assert.match(res.text, /<AppURL>https:\/\/qb\.oysterbay\.example\/bluetrace\/qbwc<\/AppURL>/);
    assert.match(res.text, new RegExp(`<UserName>${USER}</UserName>`));
    assert.ok(!res.text.includes(PASSWORD) && !res.text.includes('Oy$ter'));
  });

  it('before the initial connection a Web Connector run finds nothing to do', async () => {
    assert.notEqual(company.status().state, 'connected');
    const idle = await session();
    assert.equal(idle.authStatus, 'none');
  });

  it('the initial connection: Re-sync queues the first import and the nodes show connecting; after a Web Connector run, connected with the lists mirrored', async () => {
    const items = watchStatus('btd-items');
    const invoices = watchStatus('btd-invoices');
    const res = await server.request('POST', '/bluetrace-desktop/resync', {});
    assert.equal(res.status, 200);
    assert.equal(company.status().state, 'connecting');
    assert.ok(items.some((s) => /^connecting/.test(s.text ?? '')), JSON.stringify(items));
    assert.match(invoices.at(-1)?.text ?? '', /^connecting/);
    assert.equal(qb.received.filter((r) => /ItemQueryRq/.test(r)).length, 0, 'nothing is sent before the Web Connector runs');

    const run = await okSession();
    assert.equal(run.authStatus, COMPANY_FILE, 'the company file from QBWC_COMPANY_FILE');
    assert.ok(run.requests.some((r) => /<ItemQueryRq/.test(r)) && run.requests.some((r) => /<CustomerQueryRq/.test(r)));
    await eventually('connected', () => company.status().state === 'connected');
    assert.equal((await company.mirror.list('items')).length, 3);
    assert.equal((await company.mirror.list('customers')).length, 3);
    assert.ok((await company.mirror.list('terms')).some((t: any) => t.name === 'Net 7'));
    assert.ok((await company.mirror.list('accounts')).length >= 9);
    await eventually('the item matcher leaves connecting', () => items.length > 0 && !/^connecting/.test(items.at(-1)?.text ?? ''));
  });

  it('POST /bluetrace-desktop/items matches the SKU to the Manufacturer Part Number, else to the item Name', async () => {
    const res = await server.request('POST', '/bluetrace-desktop/items', [
      { id: 'it-1', name: 'Kumamoto', sku: ' kum-60 ' },
      { id: 'it-2', name: 'Mussels', sku: 'mus-10' },
      { id: 'it-3', name: 'Knife' },
      { id: 'it-4', name: 'Clams', sku: 'CLM-1' },
      { id: 'it-5', name: 'Kumamoto by name', sku: 'Kumamoto 60ct' },
    ]);
    assert.equal(res.status, 200);
    assert.equal(res.body.matched, 2);
    const byId = Object.fromEntries(res.body.outcomes.map((o: any) => [o.appId, o]));
    assert.equal(byId['it-1'].qbId, listId('Item', 'Kumamoto 60ct'));
    assert.equal(byId['it-2'].qbId, listId('Item', 'MUS-10'));
    assert.equal(byId['it-3'].issue, 'missing-sku');
    assert.equal(byId['it-4'].title, 'Item Not Found in QB');
    assert.equal(byId['it-5'].issue, 'item-not-found', 'an item with a part number is not matched by its name');
    const issues = await server.request('GET', '/bluetrace-desktop/issues/items');
    assert.deepEqual(issues.body.map((i: any) => i.appId).sort(), ['it-3', 'it-4', 'it-5']);
    assert.ok(issues.body.every((i: any) => typeof i.resolution === 'string' && i.resolution.length > 0));
  });

  it('a malformed body gets 400 naming the bad field, and nothing is stored', async () => {
    const res = await server.request('POST', '/bluetrace-desktop/items', [{ id: 'it-9', sku: 7 }]);
    assert.equal(res.status, 400);
    assert.match(res.body.error, /record 0: .*\/name is required/);
    const issues = await server.request('GET', '/bluetrace-desktop/issues/items');
    assert.ok(!issues.body.some((i: any) => i.appId === 'it-9'));
    const order = await server.request('POST', '/bluetrace-desktop/orders/packed', { id: 'so-bad', customerId: 'c-7', packedDate: '2026-11-20', lines: [] });
    assert.equal(order.status, 400);
    assert.match(order.body.error, /\/orderNumber/);
    assert.equal(await logEntry('so-bad'), undefined);
  });

  it('customers by Email; a duplicate match is resolved by linking the pair', async () => {
    const res = await server.request('POST', '/bluetrace-desktop/customers', [
      { id: 'c-7', name: 'Oyster Bay Co', billingEmail: 'AP@oysterbay.example' },
      { id: 'c-8', name: 'Harbor Fish', billingEmail: 'billing@harbor.example' },
      { id: 'c-9', name: 'Dockside Grill' },
    ]);
    assert.equal(res.status, 200);
    const byId = Object.fromEntries(res.body.outcomes.map((o: any) => [o.appId, o]));
    assert.equal(byId['c-7'].qbId, listId('Customer', 'Oyster Bay Co'));
    assert.equal(byId['c-8'].issue, 'duplicate-match');
    assert.equal(byId['c-9'].issue, 'missing-email');
    const market = listId('Customer', 'Harbor Fish Market');
    const linked = await server.request('POST', '/bluetrace-desktop/customers/link', { appId: 'c-8', qbId: market });
    assert.equal(linked.status, 200);
    assert.equal(linked.body.outcomes[0].qbId, market);
    const issues = await server.request('GET', '/bluetrace-desktop/issues/customers');
    assert.deepEqual(issues.body.map((i: any) => i.appId), ['c-9']);
    const unknown = await server.request('POST', '/bluetrace-desktop/customers/link', { appId: 'nobody', qbId: market });
    assert.equal(unknown.status, 404);
  });

  const order1 = {
    id: 'so-1001', orderNumber: 'SO-2026-001001', customerId: 'c-7', packedDate: '2026-11-20',
    lines: [{ itemId: 'it-1', quantity: 3, unitPrice: 42.5, description: 'Kumamoto 60ct' }, { itemId: 'it-2', quantity: 2, unitPrice: 19.99 }],
  };

  it('a packed order is answered 202 queued; the next Web Connector run adds exactly one invoice', async () => {
    const res = await server.request('POST', '/bluetrace-desktop/orders/packed', order1);
    assert.equal(res.status, 202);
    assert.equal(res.body.status, 'queued');
    assert.equal(qb.count('Invoice'), 0, 'Desktop work waits for the Web Connector');

    const run = await okSession();
    assert.equal(run.requests.filter((r) => /<InvoiceAddRq/.test(r)).length, 1);
    const entry = await logStatus('so-1001', 'created');
    const invoices = qb.all('Invoice');
    assert.equal(invoices.length, 1);
    const inv: any = invoices[0];
    assert.equal(entry.qbId, inv.TxnID);
    assert.equal(inv.CustomerRef.ListID, listId('Customer', 'Oyster Bay Co'));
    assert.equal(inv.TxnDate, '2026-11-20');
    assert.equal(inv.RefNumber, '2026-001001');
    assert.ok(inv.RefNumber.length <= 11);
    assert.equal(inv.TermsRef?.ListID, listId('Terms', 'Net 7'), "the customer's own terms");
    assert.deepEqual(
      inv.InvoiceLineRet.map((l: any) => [l.ItemRef.ListID, l.Quantity, l.Rate, l.Amount]),
      [[listId('Item', 'Kumamoto 60ct'), 3, 42.5, 127.5], [listId('Item', 'MUS-10'), 2, 19.99, 39.98]],
    );
    assert.equal(inv.InvoiceLineRet[0].Desc, 'Kumamoto 60ct');
    assert.equal(inv.Subtotal, 167.48);
  });

  it('the same order posted again changes nothing, in the log or in QuickBooks', async () => {
    const again = await server.request('POST', '/bluetrace-desktop/orders/packed', order1);
    assert.equal(again.status, 202);
    assert.equal(again.body.unchanged, true);
    assert.equal(again.body.status, 'created');
    assert.equal((await session()).authStatus, 'none', 'nothing to send');
    assert.equal(qb.count('Invoice'), 1);
  });

  it('an order changed before it is closed updates the same invoice (InvoiceMod)', async () => {
    const before = qb.all('Invoice')[0] as any;
    const changed = { ...order1, lines: [{ itemId: 'it-1', quantity: 4, unitPrice: 42.5 }] };
    const res = await server.request('POST', '/bluetrace-desktop/orders/packed', changed);
    assert.equal(res.body.status, 'queued');
    const run = await okSession();
    assert.equal(run.requests.filter((r) => /<InvoiceModRq/.test(r)).length, 1);
    assert.equal(run.requests.filter((r) => /<InvoiceAddRq/.test(r)).length, 0);
    const entry = await logStatus('so-1001', 'updated');
    const invoices = qb.all('Invoice') as any[];
    assert.equal(invoices.length, 1);
    assert.equal(invoices[0].TxnID, before.TxnID);
    assert.equal(entry.qbId, before.TxnID);
    assert.deepEqual(invoices[0].InvoiceLineRet.map((l: any) => [l.Quantity, l.Amount]), [[4, 170]]);
    assert.equal(invoices[0].Subtotal, 170);
  });

  it('an order without matches needs action, one action per problem, and is invoiced by itself once both are fixed', async () => {
    const order = { id: 'so-1002', orderNumber: 'SO-1002', customerId: 'c-9', packedDate: '2026-11-21', lines: [{ itemId: 'it-1', quantity: 1, unitPrice: 42.5 }, { itemId: 'it-4', quantity: 2, unitPrice: 5 }] };
    const res = await server.request('POST', '/bluetrace-desktop/orders/packed', order);
    assert.equal(res.status, 202);
    assert.equal(res.body.status, 'needs-action');
    assert.deepEqual(res.body.actions, [
      "Customer 'Dockside Grill' has no QuickBooks match: missing billing email",
      "Item 'Clams' has no QuickBooks match: not found in QuickBooks",
    ]);
    const listed = (await server.request('GET', '/bluetrace-desktop/invoices?status=needs-action')).body;
    assert.deepEqual(listed.map((e: any) => e.sourceId), ['so-1002']);

    // Fix in QuickBooks (a new item with the SKU as part number, a customer with the email), Re-sync, run.
    qb.seed({ items: [{ type: 'ItemNonInventory', Name: 'Littleneck Clams', ManufacturerPartNumber: 'CLM-1', Price: 5 }], customers: [{ Name: 'Dockside Grill', Email: 'ap@dockside.example' }] });
    assert.equal((await server.request('POST', '/bluetrace-desktop/resync', {})).status, 200);
    await okSession();
    await eventually('the item re-matched', async () => {
      const e = await logEntry('so-1002');
      return e?.actions?.length === 1 && /Customer 'Dockside Grill'/.test(e.actions[0]);
    });
    assert.equal(qb.count('Invoice'), 1, 'still waiting for the customer');
    // Fix in BlueTrace: the billing email.
    const fixed = await server.request('POST', '/bluetrace-desktop/customers', [{ id: 'c-9', name: 'Dockside Grill', billingEmail: 'ap@dockside.example' }]);
    assert.equal(fixed.body.outcomes[0].qbId, listId('Customer', 'Dockside Grill'));
    await logStatus('so-1002', 'queued');
    await okSession();
    const entry = await logStatus('so-1002', 'created');
    const invoices = invoicesNumbered('SO-1002') as any[];
    assert.equal(invoices.length, 1);
    assert.equal(entry.qbId, invoices[0].TxnID);
    assert.equal(invoices[0].CustomerRef.ListID, listId('Customer', 'Dockside Grill'));
    assert.deepEqual(invoices[0].InvoiceLineRet.map((l: any) => l.ItemRef.ListID), [listId('Item', 'Kumamoto 60ct'), listId('Item', 'Littleneck Clams')]);
  });

  it('a Web Connector run killed after its first response, then a new run (after a restart): each order invoiced exactly once', async () => {
    for (const [id, customerId] of [['so-1003', 'c-7'], ['so-1004', 'c-8']]) {
      const res = await server.request('POST', '/bluetrace-desktop/orders/packed', { id, orderNumber: id.toUpperCase(), customerId, packedDate: '2026-11-22', lines: [{ itemId: 'it-2', quantity: 1, unitPrice: 19.99 }] });
      assert.equal(res.body.status, 'queued');
    }
    const killed = await session({ killAfterResponses: 1 });
    assert.equal(killed.killed, true);
    assert.equal(invoicesNumbered('SO-1003').length + invoicesNumbered('SO-1004').length, 1, 'one invoice added before the crash');
    assert.equal((await session()).authStatus, 'busy', 'the dead run holds the company until it expires');
    company = await restart();
    await okSession();
    assert.equal(invoicesNumbered('SO-1003').length, 1);
    assert.equal(invoicesNumbered('SO-1004').length, 1);
    assert.equal(invoicesNumbered('SO-1004')[0].CustomerRef.ListID, listId('Customer', 'Harbor Fish Market'), 'the linked customer');
    assert.equal(invoicesNumbered('SO-1004')[0].TermsRef?.ListID, listId('Terms', 'Net 30'), 'no terms of its own: the default terms (QBWC_DEFAULT_TERMS_ID)');
    await logStatus('so-1003', 'created');
    await logStatus('so-1004', 'created');
  });

  it('a run killed after QuickBooks added the invoice but before the answer: the next run looks it up by RefNumber, never adds it twice', async () => {
    const res = await server.request('POST', '/bluetrace-desktop/orders/packed', { id: 'so-1005', orderNumber: 'SO-1005', customerId: 'c-7', packedDate: '2026-11-22', lines: [{ itemId: 'it-1', quantity: 1, unitPrice: 42.5 }] });
    assert.equal(res.body.status, 'queued');
    const killed = await session({ killAfterRequests: 1 });
    assert.equal(killed.killed, true);
    assert.equal(invoicesNumbered('SO-1005').length, 1, 'QuickBooks ran the add before the crash');
    company = await restart();
    const run = await okSession();
    assert.ok(run.requests.some((r) => /<InvoiceQueryRq/.test(r) && /SO-1005/.test(r)), 'looked up first');
    assert.equal(run.requests.filter((r) => /<InvoiceAddRq/.test(r)).length, 0);
    const entry = await logStatus('so-1005', 'created');
    assert.equal(invoicesNumbered('SO-1005').length, 1);
    assert.equal(entry.qbId, invoicesNumbered('SO-1005')[0].TxnID);
    assert.equal(qb.count('Invoice'), 5);
  });

  it('no node logged an error or a warning (since the last start)', () => {
    const log = helper.log() as unknown as { args: Array<[{ id?: string; level: number; type: string; msg: unknown }]>; WARN: number };
    const problems = log.args.filter(([entry]) => entry.id && entry.level <= log.WARN).map(([entry]) => `${entry.type}: ${String(entry.msg)}`);
    assert.deepEqual(problems, []);
  });

  it('deploys together with flows/bluetrace-qbo.json in one Node-RED: each flow answers its own endpoints', async () => {
    await server.close();
    const both = [...JSON.parse(JSON.stringify(shipped)), ...readFlow('bluetrace-qbo.json')];
    await server.load([...modules, require('../../nodes/qbo-connection/qbo-connection')], both);
    company = await (helper.getNode('btd-qbwc') as any).whenCompany();
    const desktop = await server.request('GET', '/bluetrace-desktop/issues/items');
    assert.equal(desktop.status, 200);
    assert.deepEqual(desktop.body.map((i: any) => i.appId).sort(), ['it-3', 'it-5']);
    const online = await server.request('GET', '/bluetrace/issues/items');
    assert.equal(online.status, 503, 'answered by the Online flow itself (not configured here: 503), not by the Desktop one');
    assert.match(online.body.error, /QuickBooks Online is not connected/);
    assert.equal((await session()).authStatus, 'none', 'the Desktop service still answers at /bluetrace/qbwc');
  });

  it('no password appears in the invoice log or any reply', async () => {
    for (const url of ['/bluetrace-desktop/invoices', '/bluetrace-desktop/issues/items', '/bluetrace-desktop/issues/customers']) {
      const text = JSON.stringify((await server.request('GET', url)).body);
      assert.ok(!text.includes(PASSWORD), url);
    }
  });
});
