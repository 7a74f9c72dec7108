/**
 * The matcher nodes on a QuickBooks Online connection (the simulator): creating missing items with the
 * General accounts, a name collision becoming the duplicate-name issue (never a second item), and the
 * admin route that links a duplicate customer match.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startQboSimulator, type QboSimulator } from '../sim/qbo';
import { eventually } from '../support/flow-server';
import { nextMessage, nodeHelper as helper } from '../support/helper';
import { qboSimEnv } from '../support/env';
import { useFlow } from '../support/lifecycle';

const modules = [
  require('../../nodes/qbo-connection/qbo-connection'),
  require('../../nodes/qb-item-matcher/qb-item-matcher'),
  require('../../nodes/qb-customer-matcher/qb-customer-matcher'),
];
let sim: QboSimulator;

describe('matcher nodes on QuickBooks Online', () => {
  let company: any;
  useFlow({
    async env(storeDir) {
      sim = await startQboSimulator({ latencyMs: 0 });
      sim.seed('Account', [{ Name: 'Sales of Product Income', AccountType: 'Income' }]);
      sim.seed('Item', [{ Name: 'Kumamoto 60ct', Sku: 'KUM-60', Type: 'NonInventory' }]);
      sim.seed('Customer', [
        { DisplayName: 'Harbor Fish', PrimaryEmailAddr: { Address: 'billing@harbor.example' } },
        { DisplayName: 'Harbor Fish Market', PrimaryEmailAddr: { Address: 'billing@harbor.example' } },
      ]);
      return { ...qboSimEnv(sim), QB_STORE_DIR: storeDir };
    },
    async start() {
      const income = sim.all('Account').find((a: any) => a.Name === 'Sales of Product Income')!;
      await helper.load(modules, [
        { id: 'tab', type: 'tab' },
        { id: 'conn', type: 'qbo-connection', environment: '${QBO_ENVIRONMENT}', baseUrl: '${QBO_BASE_URL}', tokenUrl: '${QBO_TOKEN_URL}', authUrl: '${QBO_AUTH_URL}', realmId: '${QBO_REALM_ID}', syncEveryMinutes: 0, incomeAccountId: income.Id, invoiceCreation: true },
        { id: 'items', z: 'tab', type: 'qb-item-matcher', edition: 'qbo', qbo: 'conn', createMissing: true, wires: [['matched'], ['issues'], ['summary']] },
        { id: 'customers', z: 'tab', type: 'qb-customer-matcher', edition: 'qbo', qbo: 'conn', wires: [[], [], ['csummary']] },
        { id: 'matched', z: 'tab', type: 'helper' },
        { id: 'issues', z: 'tab', type: 'helper' },
        { id: 'summary', z: 'tab', type: 'helper' },
        { id: 'csummary', z: 'tab', type: 'helper' },
      ]);
      company = await (helper.getNode('conn') as any).whenCompany();
      await eventually('the first load', () => company.status().state === 'connected');
    },
    stop: () => sim.close(),
  });

  it('creates a missing item in QuickBooks with the General income account, then matches it', async () => {
    const summary = nextMessage(helper.getNode('summary'));
    helper.getNode('items').receive({ payload: [{ id: 'it-5', name: 'Littleneck Clams', sku: 'CLM-1', price: 5 }] });
    assert.equal((await summary).payload.outcomes[0].issue, 'item-not-found');
    await eventually('the created item', () => sim.all('Item').find((i: any) => i.Sku === 'CLM-1'));
    const doc = await eventually('the match', async () => {
      const d = await company.matches('item').get('it-5');
      return d?.status === 'matched' ? d : undefined;
    });
    const created = sim.all('Item').find((i: any) => i.Sku === 'CLM-1')!;
    assert.equal(doc.qbId, created.Id);
    assert.equal(created.IncomeAccountRef.value, sim.all('Account').find((a: any) => a.Name === 'Sales of Product Income')!.Id);
  });

  it('a name QuickBooks already has becomes the duplicate-name issue, never a second item', async () => {
    helper.getNode('items').receive({ payload: [{ id: 'it-6', name: 'Kumamoto 60ct', sku: 'KUM-60-NEW' }] });
    const doc = await eventually('the duplicate-name issue', async () => {
      const d = await company.matches('item').get('it-6');
      return d?.issue === 'duplicate-item-name' ? d : undefined;
    });
    assert.equal(doc.status, 'issue');
    assert.equal(sim.all('Item').filter((i: any) => i.Name.toLowerCase() === 'kumamoto 60ct').length, 1);
    const issues = await company.matches('item').issues();
    assert.match(issues.find((i: any) => i.appId === 'it-6').resolution, /doesn't allow you to create 2 products\/services\/items with the same name/);
  });

  it('after a rename in BlueTrace, the refused create goes again under the new name and the item is matched', async () => {
    helper.getNode('items').receive({ payload: [{ id: 'it-6', name: 'Kumamoto 60ct Select', sku: 'KUM-60-NEW' }] });
    const created = await eventually('the renamed item', () => sim.all('Item').find((i: any) => i.Name === 'Kumamoto 60ct Select'));
    const doc = await eventually('the match', async () => {
      const d = await company.matches('item').get('it-6');
      return d?.status === 'matched' ? d : undefined;
    });
    assert.equal(doc.qbId, created.Id);
    const job = await company.outbox.get('item:it-6');
    assert.equal(job.state, 'complete');
    assert.equal(job.version, 2, 'the refused job re-opened with the new name, not a second job');
  });

  it('the link admin route resolves a duplicate customer match, and the link survives a Re-sync', async () => {
    const summary = nextMessage(helper.getNode('csummary'));
    helper.getNode('customers').receive({ payload: { id: 'c-8', name: 'Harbor Fish', billingEmail: 'billing@harbor.example' } });
    assert.equal((await summary).payload.outcomes[0].issue, 'duplicate-match');
    const market = sim.all('Customer').find((c: any) => c.DisplayName === 'Harbor Fish Market')!;
    const res = await helper.request().post('/qbsync/connections/conn/link').send({ kind: 'customer', appId: 'c-8', qbId: market.Id }).expect(200);
    assert.equal(res.body.linkedQbId, market.Id);
    await eventually('the linked match', async () => (await company.matches('customer').get('c-8'))?.qbId === market.Id);
    await helper.request().post('/qbsync/connections/conn/resync').expect(200);
    const after = nextMessage(helper.getNode('csummary'));
    helper.getNode('customers').receive({ topic: 'resync' });
    assert.equal((await after).payload.outcomes.find((o: any) => o.appId === 'c-8').qbId, market.Id);
  });

  it('the link route refuses bad input and unknown records clearly', async () => {
    await helper.request().post('/qbsync/connections/conn/link').send({ kind: 'vendor', appId: 'x' }).expect(400);
    const res = await helper.request().post('/qbsync/connections/conn/link').send({ kind: 'customer', appId: 'nobody', qbId: '1' }).expect(404);
    assert.match(res.body.error, /no customer with app id "nobody"/);
  });

  it('the status route shows the connection state and the mirror\'s age', async () => {
    const res = await helper.request().get('/qbsync/connections/conn/status').expect(200);
    assert.equal(res.body.state, 'connected');
    assert.ok(res.body.mirror.items.count >= 2);
    assert.equal(typeof res.body.mirror.items.ageSeconds, 'number');
  });
});
