import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OnlineRig } from './online-company-rig';

const DAY = 86_400_000;

describe('OnlineCompany mirror: first load, CDC, Re-sync, reload past 29 days', () => {
  let rig: OnlineRig;

  before(async () => {
    rig = await new OnlineRig().open();
    const terms = rig.sim.seed('Term', [{ Name: 'Net 30', Type: 'STANDARD', DueDays: 30 }])[0].Id as string;
    rig.sim.seed('Customer', Array.from({ length: 2500 }, (_, i) => ({
      DisplayName: `Customer ${i}`, PrimaryEmailAddr: { Address: `c${i}@example.com` }, ...(i === 0 ? { SalesTermRef: { value: terms } } : {}), ...(i === 1 ? { Active: false } : {}),
    })));
    rig.sim.seed('Item', [
      { Name: 'Kumamoto 60ct', Sku: 'KUM-60', Type: 'NonInventory' },
      { Name: 'Old Mussels', Sku: 'MUS-OLD', Active: false },
    ]);
    rig.clock.advance(1000); // the seeds are older than the first load's cursor
    await rig.started();
  });
  after(() => rig.close());

  it('shows Connecting with "customers n / total" progress from a COUNT, then Connected', () => {
    const states = rig.events.status.map((s) => s.state);
    assert.equal(states[0], 'connecting');
    assert.equal(states[states.length - 1], 'connected');
    const progress = rig.events.status.map((s) => s.progress).filter((p): p is string => !!p);
    assert.ok(progress.includes('customers 1,000 / 2,500'), progress.join(' | '));
    assert.ok(progress.includes('customers 2,500 / 2,500'));
    assert.equal(rig.company.status().state, 'connected');
  });

  it('resolves ready() and emits synced for the four lists', async () => {
    await rig.company.ready();
    assert.deepEqual(rig.events.synced[0], ['items', 'customers', 'terms', 'accounts']);
  });

  it('mirrors inactive records too, with the fields matching reads', async () => {
    const items = await rig.company.mirror.list('items');
    assert.equal(items.length, 2);
    const old = items.find((i) => i.name === 'Old Mussels');
    assert.equal(old?.active, false);
    const kum = items.find((i) => i.name === 'Kumamoto 60ct');
    assert.equal(kum?.data.Sku, 'KUM-60');
    assert.equal(kum?.data.Type, 'NonInventory');
    const customers = await rig.company.mirror.list('customers');
    assert.equal(customers.length, 2500);
    const c0 = customers.find((c) => c.name === 'Customer 0');
    assert.ok(c0?.termsId);
    assert.deepEqual(c0?.data.PrimaryEmailAddr, { Address: 'c0@example.com' });
    assert.equal(customers.find((c) => c.name === 'Customer 1')?.active, false);
    assert.equal((await rig.company.mirror.age('customers')).count, 2500);
  });

  it('syncs incrementally by CDC after a change in QuickBooks (no full load)', async () => {
    rig.clock.advance(60_000);
    rig.sim.seed('Item', [{ Name: 'Razor Clams', Sku: 'RAZ-1' }]);
    const kum = rig.sim.all('Item').find((i) => i.Name === 'Kumamoto 60ct') as Record<string, unknown>;
    rig.sim.company.update('Item', { Id: kum.Id, SyncToken: kum.SyncToken, sparse: true, Sku: 'KUM-60B' });
    rig.sim.resetStats();
    await rig.company.resync();
    assert.equal(rig.sim.stats.requests.cdc, 1);
    assert.equal(rig.sim.stats.requests.query, 0);
    const items = await rig.company.mirror.list('items');
    assert.ok(items.some((i) => i.name === 'Razor Clams'));
    assert.equal(items.find((i) => i.name === 'Kumamoto 60ct')?.data.Sku, 'KUM-60B');
  });

  it('Re-sync with {full: true} reloads every list', async () => {
    rig.sim.resetStats();
    await rig.company.resync({ full: true });
    assert.equal(rig.sim.stats.requests.cdc, 0);
    assert.ok(rig.sim.stats.requests.query >= 8);
    assert.equal((await rig.company.mirror.list('customers')).length, 2500);
  });

  it('reloads fully when the last sync is more than 29 days old', async () => {
    rig.clock.advance(30 * DAY);
    rig.sim.seed('Customer', [{ DisplayName: 'Late Co' }]);
    rig.sim.resetStats();
    await rig.company.resync();
    assert.equal(rig.sim.stats.requests.cdc, 0);
    assert.ok(rig.sim.stats.requests.query >= 8);
    assert.ok((await rig.company.mirror.list('customers')).some((c) => c.name === 'Late Co'));
    assert.equal(rig.company.status().state, 'connected');
  });

  it('after a restart is Connected at once and continues by CDC from the stored cursor', async () => {
    await rig.company.close();
    rig.clock.advance(60_000);
    rig.sim.seed('Item', [{ Name: 'Geoduck', Sku: 'GEO-1' }]);
    rig.sim.resetStats();
    const company = await rig.started();
    assert.equal(rig.events.status[0].state, 'connected');
    assert.equal(rig.sim.stats.requests.cdc, 1);
    assert.equal(rig.sim.stats.requests.query, 0);
    assert.ok((await company.mirror.list('items')).some((i) => i.name === 'Geoduck'));
  });
});

describe('OnlineCompany mirror: failures and saturated CDC', () => {
  let rig: OnlineRig;

  before(async () => {
    rig = await new OnlineRig({ sim: {}, company: {} }).open();
    rig.sim.seed('Item', [{ Name: 'Kumamoto 60ct', Sku: 'KUM-60' }]);
    rig.clock.advance(1000);
  });
  after(() => rig.close());

  it('shows the error of a failed first load and tries again soon until Connected', async () => {
    rig.sim.faults.serverError(8, { target: 'query' }); // more than the client's attempts for one request
    const company = rig.newCompany();
    await company.start();
    assert.equal(company.status().state, 'error');
    assert.match(company.status().message ?? '', /Syncing the QuickBooks lists failed/);
    await company.idle({ retries: true });
    assert.equal(company.status().state, 'connected');
    assert.equal((await company.mirror.list('items')).length, 1);
  });

  it('reloads fully when a CDC answer is saturated (1,000 objects)', async () => {
    rig.clock.advance(60_000);
    rig.sim.seed('Customer', Array.from({ length: 1000 }, (_, i) => ({ DisplayName: `Bulk ${i}` })));
    rig.clock.advance(1000);
    rig.sim.resetStats();
    await rig.company.resync();
    assert.equal(rig.sim.stats.requests.cdc, 1);
    assert.ok(rig.sim.stats.requests.query >= 8, 'a full load followed');
    assert.equal((await rig.company.mirror.list('customers')).length, 1000);
  });
});
