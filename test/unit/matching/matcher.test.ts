import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MatchBook, Matcher } from '../../../nodes/lib/matching';
import { Mirror } from '../../../nodes/lib/mirror';
import { compileRule, defaultRule } from '../../../nodes/lib/rules';
import { useStore } from '../../support/store';

const storeOf = useStore();
let n = 0;
const rule = (name: string) => compileRule(name, defaultRule(name).source);

async function setup(kind: 'item' | 'customer', qb: Array<{ id: string; name: string; active?: boolean; data: Record<string, unknown> }>) {
  const company = `co-${++n}`;
  const mirror = new Mirror(storeOf(), company);
  const entity = kind === 'item' ? 'items' : 'customers';
  await mirror.replace(entity, qb.map((r) => ({ active: true, ...r })));
  const [appRule, qbRule] = kind === 'item' ? [rule('item-key.app'), rule('item-key.qbo')] : [rule('customer-key.app'), rule('customer-key.qbo')];
  return { company, mirror, matcher: new Matcher(kind, mirror, entity, appRule, qbRule, new MatchBook(storeOf(), company, kind)) };
}

describe('Matcher with the default rules, the mirror and the store', () => {
  it('matches BlueTrace items to QuickBooks Online items by SKU and persists the matches', async () => {
    const { matcher, company } = await setup('item', [{ id: '19', name: 'Kumamoto 60ct', data: { Sku: 'KUM-60' } }]);
    const report = await matcher.ingest([{ id: 'it-1', name: 'Kumamoto', sku: ' kum-60 ' }, { id: 'it-2', name: 'Knife' }]);
    assert.deepEqual(report.outcomes.map((o) => [o.appId, o.status, o.qbId ?? o.issue]), [['it-1', 'matched', '19'], ['it-2', 'issue', 'missing-sku']]);
    assert.equal(report.outcomes[1].issueDetail?.resolution, 'Enter the SKU and the system will look for a match in QB.');
    const reread = new MatchBook(storeOf(), company, 'item');
    assert.equal((await reread.get('it-1'))?.qbId, '19');
  });

  it('a Re-sync after a fix in QuickBooks updates the persisted match', async () => {
    const { matcher, mirror } = await setup('item', [{ id: '19', name: 'Kumamoto 60ct', data: {} }]);
    assert.equal((await matcher.ingest([{ id: 'it-1', name: 'Kumamoto', sku: 'KUM-60' }])).outcomes[0].issue, 'item-not-found');
    await mirror.upsert('items', [{ id: '19', name: 'Kumamoto 60ct', active: true, data: { Sku: 'KUM-60' } }]);
    const report = await matcher.rematch();
    assert.deepEqual(report.changed, ['it-1']);
    assert.equal(report.outcomes[0].qbId, '19');
  });

  it('a duplicate customer match is settled by an admin link that survives Re-syncs', async () => {
    const { matcher } = await setup('customer', [
      { id: '58', name: 'Oyster Bay Co', data: { PrimaryEmailAddr: { Address: 'ap@oysterbay.example' } } },
      { id: '59', name: 'Oyster Bay Company', data: { PrimaryEmailAddr: { Address: 'AP@oysterbay.example' } } },
    ]);
    const first = await matcher.ingest([{ id: 'c-7', name: 'Oyster Bay Co', billingEmail: 'ap@oysterbay.example' }]);
    assert.equal(first.outcomes[0].issue, 'duplicate-match');
    assert.deepEqual(first.outcomes[0].candidates, ['58', '59']);
    await matcher.book.link('c-7', '59');
    assert.equal((await matcher.rematch()).outcomes[0].qbId, '59');
    await matcher.ingest([{ id: 'c-7', name: 'Oyster Bay Co', billingEmail: 'ap@oysterbay.example' }]);
    const again = await matcher.rematch();
    assert.deepEqual([again.outcomes[0].qbId, again.outcomes[0].linkedQbId], ['59', '59']);
  });

  it('linking an app record that was never received is a clear error', async () => {
    const { matcher } = await setup('customer', []);
    await assert.rejects(matcher.book.link('nope', '1'), /no customer with app id "nope" has been received yet/);
  });

  it('the issue list carries each issue with its resolution', async () => {
    const { matcher } = await setup('customer', []);
    await matcher.ingest([{ id: 'c-1', name: 'A' }, { id: 'c-2', name: 'B', billingEmail: 'b@x' }]);
    const issues = await matcher.book.issues();
    assert.deepEqual(issues.map((i) => [i.appId, i.title]), [['c-1', 'Customer is missing a billing email in BlueTrace'], ['c-2', 'Customer Not Found in QB']]);
  });
});
