import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChargeHandler, chargeItems, parseChargeMessage } from '../../../nodes/lib/handlers/charges';
import { ISSUES } from '../../../nodes/lib/matching';
import { EDITIONS, mirrorOf, newCompany, useStore } from './support';

const store = useStore();

async function setup(edition: 'qbd' | 'qbo' = 'qbd', items = [{ id: 'IT-1', name: 'Hosting - Monthly' }]) {
  const company = newCompany(store(), edition);
  await mirrorOf(company, 'items', items);
  return { company, charges: new ChargeHandler(company) };
}

describe('ChargeHandler: BluBilling charges mapped to QuickBooks items by Price Code', () => {
  for (const edition of EDITIONS) {
    it(`maps a charge to the item whose Name equals its Price Code exactly (${edition})`, async () => {
      const { charges } = await setup(edition);
      const report = await charges.ingest([{ id: 'ch-1', name: 'Monthly Hosting', priceCode: 'Hosting - Monthly' }]);
      assert.deepEqual(report.outcomes.map((o) => [o.appId, o.status, o.qbId]), [['ch-1', 'matched', 'IT-1']]);
    });
  }

  it('a Price Code differing from the item Name only in case is not a match', async () => {
    const { charges } = await setup();
    const report = await charges.ingest([{ id: 'ch-1', name: 'Monthly Hosting', priceCode: 'hosting - monthly' }]);
    assert.equal(report.outcomes[0].issue, 'unmapped-charge');
  });

  it('a Price Code differing from the item Name only in spaces is not a match', async () => {
    const { charges } = await setup();
    const report = await charges.ingest([{ id: 'ch-1', name: 'Monthly Hosting', priceCode: 'Hosting - Monthly ' }]);
    assert.equal(report.outcomes[0].issue, 'unmapped-charge');
  });

  it('an unmapped charge gets an issue with BluBilling\'s instruction', async () => {
    const { charges } = await setup();
    const report = await charges.ingest([{ id: 'ch-1', name: 'Setup', priceCode: 'Setup Fee' }]);
    const detail = report.outcomes[0].issueDetail;
    assert.equal(detail?.resolution, ISSUES['unmapped-charge'].resolution);
    assert.match(detail?.resolution ?? '', /entered Exactly as it appears under the Name column in the Item List/);
  });

  it('never creates an item for an unmapped charge', async () => {
    const { company, charges } = await setup();
    await charges.ingest([{ id: 'ch-1', name: 'Setup', priceCode: 'Setup Fee' }]);
    assert.deepEqual(await company.outbox.list(), []);
    assert.equal(company.kicks, 0);
  });

  it('a charge without a Price Code gets the missing-price-code issue', async () => {
    const { charges } = await setup();
    const report = await charges.ingest([{ id: 'ch-1', name: 'Setup', priceCode: null }]);
    assert.equal(report.outcomes[0].issue, 'missing-price-code');
  });

  it('an inactive item with the name does not map the charge', async () => {
    const { charges } = await setup('qbd', [{ id: 'IT-1', name: 'Old Plan', active: false } as never]);
    const report = await charges.ingest([{ id: 'ch-1', name: 'Old', priceCode: 'Old Plan' }]);
    assert.equal(report.outcomes[0].issue, 'unmapped-charge');
    assert.equal(report.outcomes[0].inactiveOnly, true);
  });

  it('re-maps when the item mirror changes (items synced)', async () => {
    const { company, charges } = await setup();
    await charges.ingest([{ id: 'ch-1', name: 'Setup', priceCode: 'Setup Fee' }]);
    await mirrorOf(company, 'items', [{ id: 'IT-9', name: 'Setup Fee' }]);
    const report = await charges.onSynced({ entities: ['items'] });
    assert.deepEqual(report?.changed, ['ch-1']);
    assert.equal((await charges.book.get('ch-1'))?.qbId, 'IT-9');
  });

  it('ignores syncs of other lists', async () => {
    const { charges } = await setup();
    assert.equal(await charges.onSynced({ entities: ['customers'] }), undefined);
  });

  it('re-maps after an item import job completes', async () => {
    const { company, charges } = await setup();
    await charges.ingest([{ id: 'ch-1', name: 'Setup', priceCode: 'Setup Fee' }]);
    await mirrorOf(company, 'items', [{ id: 'IT-9', name: 'Setup Fee' }]);
    const report = await charges.onJob({ kind: 'import.items', company: company.id, state: 'complete' });
    assert.equal(report?.outcomes.find((o) => o.appId === 'ch-1')?.status, 'matched');
  });

  it('tells the company which charges changed, so held exports can go', async () => {
    const { company, charges } = await setup();
    const events: unknown[] = [];
    company.on('matches', (e) => events.push(e));
    await charges.ingest([{ id: 'ch-1', name: 'Monthly Hosting', priceCode: 'Hosting - Monthly' }]);
    assert.deepEqual(events, [{ kind: 'charge', appIds: ['ch-1'] }]);
  });

  it('a Re-sync refreshes the company and maps again', async () => {
    const { company, charges } = await setup();
    await charges.run({ command: 'resync' });
    assert.equal(company.resyncs, 1);
  });

  it('lists the charges with issues', async () => {
    const { charges } = await setup();
    await charges.ingest([{ id: 'ch-1', name: 'Monthly Hosting', priceCode: 'Hosting - Monthly' }, { id: 'ch-2', name: 'Setup', priceCode: 'Setup Fee' }]);
    const out = (await charges.run({ command: 'issues' })) as { issues: Array<{ appId: string; issue: string }> };
    assert.deepEqual(out.issues.map((i) => [i.appId, i.issue]), [['ch-2', 'unmapped-charge']]);
  });

  it('uses an admin\'s edited rule', async () => {
    const company = newCompany(store());
    await mirrorOf(company, 'items', [{ id: 'IT-1', name: 'Gold:Hosting' }]);
    const charges = new ChargeHandler(company, { rule: 'plan & ":" & priceCode' });
    const report = await charges.ingest([{ id: 'ch-1', name: 'Hosting', plan: 'Gold', priceCode: 'Hosting' }]);
    assert.equal(report.outcomes[0].qbId, 'IT-1');
  });

  it('persists mappings for other handlers of the same company', async () => {
    const { company, charges } = await setup();
    await charges.ingest([{ id: 'ch-1', name: 'Monthly Hosting', priceCode: 'Hosting - Monthly' }]);
    const items = await chargeItems(company, ['ch-1']);
    assert.deepEqual(items.get('ch-1'), { mapped: true, qbId: 'IT-1', name: 'Hosting - Monthly' });
  });

  it('explains an unmapped charge to the exporter with the seed\'s instruction', async () => {
    const { company, charges } = await setup();
    await charges.ingest([{ id: 'ch-2', name: 'Setup', priceCode: 'Setup Fee' }]);
    const item = (await chargeItems(company, ['ch-2'])).get('ch-2');
    assert.equal(item?.mapped, false);
    assert.match(item && !item.mapped ? item.action : '', /Price Code "Setup Fee".*Exactly as it appears/);
  });

  it('rejects an invalid charge message naming the field, changing nothing', () => {
    assert.throws(() => parseChargeMessage({ payload: [{ id: 'ch-1', name: 'A' }, { id: 'ch-2' }] }), /record 1: .*\/name is required/);
  });

  it('reads the resync and issues topics', () => {
    assert.deepEqual(parseChargeMessage({ topic: 'Re-sync' }), { command: 'resync' });
    assert.deepEqual(parseChargeMessage({ topic: 'issues' }), { command: 'issues' });
  });
});
