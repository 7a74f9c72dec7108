/**
 * The shipped flow flows/bluetrace-qbo.json, loaded into the test helper and driven end to end over
 * HTTP against the QuickBooks Online simulator, configured only through environment variables.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startQboSimulator, type QboSimulator } from '../sim/qbo';
import { nodeHelper as helper } from '../support/helper';
import { FlowServer, eventually } from '../support/flow-server';
import { qboSimEnv } from '../support/env';
import { useFlow } from '../support/lifecycle';

const root = path.resolve(__dirname, '..', '..', '..');
const flow = JSON.parse(fs.readFileSync(path.join(root, 'flows', 'bluetrace-qbo.json'), 'utf8'));
const modules = [
  require('../../nodes/qbo-connection/qbo-connection'),
  require('../../nodes/qb-item-matcher/qb-item-matcher'),
  require('../../nodes/qb-customer-matcher/qb-customer-matcher'),
  require('../../nodes/qb-invoice-creator/qb-invoice-creator'),
  require('@node-red/nodes/core/network/21-httpin.js'),
  require('@node-red/nodes/core/function/15-change.js'),
  require('@node-red/nodes/core/function/10-switch.js'),
  require('@node-red/nodes/core/common/21-debug.js'),
  require('@node-red/nodes/core/common/90-comment.js'),
];

const server = new FlowServer();
let sim: QboSimulator;

describe('flows/bluetrace-qbo.json against the QuickBooks Online simulator', () => {
  useFlow({
    async env(storeDir) {
      sim = await startQboSimulator({ latencyMs: 0 });
      sim.seed('Term', [{ Name: 'Net 30', DueDays: 30 }, { Name: 'Net 15', DueDays: 15 }]);
      const terms = sim.all('Term');
      sim.seed('Item', [
        { Name: 'Kumamoto 60ct', Sku: 'KUM-60', Type: 'NonInventory', UnitPrice: 42.5 },
        { Name: 'Mussels 10lb', Sku: 'MUS-10', Type: 'NonInventory', UnitPrice: 19.99 },
      ]);
      sim.seed('Customer', [
        { DisplayName: 'Oyster Bay Co', PrimaryEmailAddr: { Address: 'ap@oysterbay.example' }, SalesTermRef: { value: terms[1].Id } },
        { DisplayName: 'Harbor Fish', PrimaryEmailAddr: { Address: 'billing@harbor.example' } },
        { DisplayName: 'Harbor Fish Market', PrimaryEmailAddr: { Address: 'billing@harbor.example' } },
      ]);
      return { ...qboSimEnv(sim), QB_STORE_DIR: storeDir };
    },
    async start() {
      await server.load(modules, flow);
      const company = await (helper.getNode('bt-qbo') as any).whenCompany();
      await eventually('the first load', () => company.status().state === 'connected');
    },
    stop: () => sim.close(),
  }, server);

  it('POST /bluetrace/items matches by SKU and reports each issue with its resolution', async () => {
    const res = await server.request('POST', '/bluetrace/items', [
      { id: 'it-1', name: 'Kumamoto', sku: ' kum-60 ' },
      { id: 'it-2', name: 'Mussels', sku: 'MUS-10' },
      { id: 'it-3', name: 'Knife' },
      { id: 'it-4', name: 'Clams', sku: 'CLM-1' },
    ]);
    assert.equal(res.status, 200);
    assert.equal(res.body.matched, 2);
    const byId = Object.fromEntries(res.body.outcomes.map((o: any) => [o.appId, o]));
    assert.equal(byId['it-3'].issue, 'missing-sku');
    assert.equal(byId['it-4'].title, 'Item Not Found in QB');
    const issues = await server.request('GET', '/bluetrace/issues/items');
    assert.deepEqual(issues.body.map((i: any) => i.appId).sort(), ['it-3', 'it-4']);
  });

  it('a malformed body gets 400 naming each bad field, and nothing is stored', async () => {
    const res = await server.request('POST', '/bluetrace/items', [{ id: 'it-9', sku: 7 }]);
    assert.equal(res.status, 400);
    assert.match(res.body.error, /record 0: .*\/name is required/);
    const issues = await server.request('GET', '/bluetrace/issues/items');
    assert.ok(!issues.body.some((i: any) => i.appId === 'it-9'));
  });

  it('customers by billing email; a duplicate match is resolved by linking the pair', async () => {
    const res = await server.request('POST', '/bluetrace/customers', [
      { id: 'c-7', name: 'Oyster Bay Co', billingEmail: 'AP@oysterbay.example' },
      { id: 'c-8', name: 'Harbor Fish', billingEmail: 'billing@harbor.example' },
      { id: 'c-9', name: 'Dockside Grill' },
    ]);
    assert.equal(res.status, 200);
    const byId = Object.fromEntries(res.body.outcomes.map((o: any) => [o.appId, o]));
    assert.equal(byId['c-7'].qbId !== undefined, true);
    assert.equal(byId['c-8'].issue, 'duplicate-match');
    assert.equal(byId['c-9'].issue, 'missing-email');
    const harbor = sim.all('Customer').find((c: any) => c.DisplayName === 'Harbor Fish Market')!;
    const linked = await server.request('POST', '/bluetrace/customers/link', { appId: 'c-8', qbId: harbor.Id });
    assert.equal(linked.status, 200);
    assert.equal(linked.body.outcomes[0].qbId, harbor.Id);
    const unknown = await server.request('POST', '/bluetrace/customers/link', { appId: 'nobody', qbId: harbor.Id });
    assert.equal(unknown.status, 404);
  });

  it('a packed order becomes exactly one invoice, with the customer\'s terms and amounts to the cent', async () => {
    const order = { id: 'so-1001', orderNumber: 'SO-1001', customerId: 'c-7', packedDate: '2026-11-20', lines: [{ itemId: 'it-1', quantity: 3, unitPrice: 42.5 }, { itemId: 'it-2', quantity: 1.5, unitPrice: 19.99 }] };
    const res = await server.request('POST', '/bluetrace/orders/packed', order);
    assert.equal(res.status, 202);
    assert.equal(res.body.status, 'queued');
    const entry = await eventually('the invoice', async () => (await server.request('GET', '/bluetrace/invoices')).body.find((e: any) => e.sourceId === 'so-1001' && e.status === 'created'));
    const invoices = sim.all('Invoice');
    assert.equal(invoices.length, 1);
    const inv = invoices[0];
    assert.equal(entry.qbId, inv.Id);
    assert.equal(inv.DocNumber, 'SO-1001');
    assert.equal(inv.TxnDate, '2026-11-20');
    assert.equal(inv.SalesTermRef.value, sim.all('Term')[1].Id);
    assert.deepEqual(inv.Line.filter((l: any) => l.DetailType === 'SalesItemLineDetail').map((l: any) => l.Amount), [127.5, 29.99]);
    const again = await server.request('POST', '/bluetrace/orders/packed', order);
    assert.equal(again.body.unchanged, true);
    assert.equal(sim.all('Invoice').length, 1);
  });

  it('an order without matches needs action, one action per problem, and is retried by itself once fixed', async () => {
    const order = { id: 'so-1002', orderNumber: 'SO-1002', customerId: 'c-9', packedDate: '2026-11-21', lines: [{ itemId: 'it-1', quantity: 1, unitPrice: 42.5 }, { itemId: 'it-4', quantity: 2, unitPrice: 5 }] };
    const res = await server.request('POST', '/bluetrace/orders/packed', order);
    assert.deepEqual(res.body.actions, [
      "Customer 'Dockside Grill' has no QuickBooks match: missing billing email",
      "Item 'Clams' has no QuickBooks match: not found in QuickBooks",
    ]);
    sim.seed('Customer', [{ DisplayName: 'Dockside Grill', PrimaryEmailAddr: { Address: 'ap@dockside.example' } }]);
    sim.seed('Item', [{ Name: 'Littleneck Clams', Sku: 'CLM-1', Type: 'NonInventory', UnitPrice: 5 }]);
    const resync = await server.request('POST', '/bluetrace/resync', {});
    assert.equal(resync.status, 200);
    await server.request('POST', '/bluetrace/customers', [{ id: 'c-9', name: 'Dockside Grill', billingEmail: 'ap@dockside.example' }]);
    const entry = await eventually('the retried invoice', async () => (await server.request('GET', '/bluetrace/invoices')).body.find((e: any) => e.sourceId === 'so-1002' && e.status === 'created'));
    assert.ok(entry.qbId);
    assert.equal(sim.all('Invoice').filter((i: any) => i.DocNumber === 'SO-1002').length, 1);
  });

  it('an order changed before it is closed updates the same invoice', async () => {
    const order = { id: 'so-1001', orderNumber: 'SO-1001', customerId: 'c-7', packedDate: '2026-11-20', lines: [{ itemId: 'it-1', quantity: 4, unitPrice: 42.5 }] };
    const res = await server.request('POST', '/bluetrace/orders/packed', order);
    assert.equal(res.body.status, 'queued');
    await eventually('the update', async () => (await server.request('GET', '/bluetrace/invoices')).body.find((e: any) => e.sourceId === 'so-1001' && e.status === 'updated'));
    const invoices = sim.all('Invoice').filter((i: any) => i.DocNumber === 'SO-1001');
    assert.equal(invoices.length, 1);
    assert.equal(invoices[0].TotalAmt, 170);
  });

  it('once its order is closed an invoice is final: later changes are not applied', async () => {
    const order = { id: 'so-1003', orderNumber: 'SO-1003', customerId: 'c-7', packedDate: '2026-11-22', status: 'closed', lines: [{ itemId: 'it-1', quantity: 2, unitPrice: 42.5 }] };
    assert.equal((await server.request('POST', '/bluetrace/orders/packed', order)).body.closed, true);
    await eventually('the closed order\'s invoice', async () => (await server.request('GET', '/bluetrace/invoices')).body.find((e: any) => e.sourceId === 'so-1003' && e.status === 'created'));
    const later = await server.request('POST', '/bluetrace/orders/packed', { ...order, status: 'packed', lines: [{ itemId: 'it-1', quantity: 9, unitPrice: 42.5 }] });
    assert.deepEqual([later.body.unchanged, later.body.closed], [true, true]);
    const invoices = sim.all('Invoice').filter((i: any) => i.DocNumber === 'SO-1003');
    assert.equal(invoices.length, 1);
    assert.equal(invoices[0].TotalAmt, 85);
  });

  it('no token or secret appears in the invoice log or any reply', async () => {
    const log = JSON.stringify((await server.request('GET', '/bluetrace/invoices')).body);
    assert.doesNotMatch(log, new RegExp(process.env.QBO_CLIENT_SECRET as string));
    assert.doesNotMatch(log, /refresh_token|access_token|Bearer/i);
  });
});
