import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { QboRecord } from '../../../nodes/lib/company/qbo/client';
import { changesSince, fullLoad } from '../../../nodes/lib/company/qbo/sync';
import { Harness, harness, incomeAccount } from './harness';

describe('mirror helpers', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
    const acct = incomeAccount(h.sim);
    h.sim.seed('Item', [...Array.from({ length: 1500 }, (_, i) => ({ Name: `Item ${i}`, IncomeAccountRef: { value: acct } })), { Name: 'Retired', Active: false }]);
    h.sim.seed('Customer', [{ DisplayName: 'One' }, { DisplayName: 'Two' }]);
  });
  after(() => h.close());

  it('loads every record page by page, inactive included, with progress and a cursor', async () => {
    const seen: Record<string, number> = {};
    const progress: string[] = [];
    const r = await fullLoad(
      h.client,
      ['Item', 'Customer'],
      (entity, rows: QboRecord[]) => {
        seen[entity] = (seen[entity] ?? 0) + rows.length;
      },
      (p) => progress.push(`${p.entity} ${p.loaded}/${p.total}`),
      () => h.clock.now(),
    );
    assert.deepEqual(seen, { Item: 1501, Customer: 2 });
    assert.deepEqual(progress, ['Item 0/1501', 'Item 1000/1501', 'Item 1501/1501', 'Customer 0/2', 'Customer 2/2']);
    assert.match(r.cursor, /Z$/);
  });

  it('returns the changes since a cursor, with deletions, and the next cursor', async () => {
    h.clock.advance(1000);
    const since = new Date(h.clock.now()).toISOString();
    h.clock.advance(1000);
    const cust = h.sim.seed('Customer', [{ DisplayName: 'Three' }])[0];
    const item = h.sim.all('Item')[0];
    const inv = h.sim.company.create('Invoice', { CustomerRef: { value: cust.Id }, Line: [{ DetailType: 'SalesItemLineDetail', Amount: 1, SalesItemLineDetail: { ItemRef: { value: item.Id } } }] });
    h.sim.company.delete('Invoice', { Id: inv.Id, SyncToken: inv.SyncToken });
    const r = await changesSince(h.client, ['Customer', 'Invoice'], since, () => h.clock.now());
    assert.equal(r.fullReloadNeeded, false);
    assert.deepEqual(r.changes.Customer?.upserts.map((c) => c.DisplayName), ['Three']);
    assert.deepEqual(r.changes.Invoice?.deleted, [inv.Id]);
    assert.ok(Date.parse(r.cursor) >= Date.parse(since));
  });

  it('asks for a full reload past 29 days, without calling CDC', async () => {
    h.sim.resetStats();
    const since = new Date(h.clock.now() - 29.5 * 24 * 3600_000);
    const r = await changesSince(h.client, ['Item'], since, () => h.clock.now());
    assert.deepEqual([r.fullReloadNeeded, r.reason], [true, 'gap']);
    assert.equal(h.sim.stats.requests.cdc, 0);
  });

  it('asks for a full reload when the answer holds 1000 objects', async () => {
    const since = new Date(h.clock.now()).toISOString();
    h.clock.advance(1000);
    h.sim.seed('Customer', Array.from({ length: 1000 }, (_, i) => ({ DisplayName: `Bulk ${i}` })));
    const r = await changesSince(h.client, ['Customer'], since, () => h.clock.now());
    assert.deepEqual([r.fullReloadNeeded, r.reason, r.total], [true, 'saturated', 1000]);
  });
});
