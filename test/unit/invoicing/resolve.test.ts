import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveOrder, type PackedOrder } from '../../../nodes/lib/invoicing/resolve';
import { MatchBook } from '../../../nodes/lib/matching';
import { Mirror } from '../../../nodes/lib/mirror';
import { useStore } from '../../support/store';

const storeOf = useStore();

const order: PackedOrder = {
  id: 'so-1', orderNumber: 'SO-1', customerId: 'c-7', customerName: 'Oyster Bay Co', packedDate: '2026-11-20',
  lines: [{ itemId: 'it-1', quantity: 2, unitPrice: 10 }, { itemId: 'it-2', quantity: 1, unitPrice: 5 }, { itemId: 'it-2', quantity: 1, unitPrice: 5 }],
};

async function books(company: string) {
  const customers = new MatchBook(storeOf(), company, 'customer');
  const items = new MatchBook(storeOf(), company, 'item');
  const mirror = new Mirror(storeOf(), company);
  return { customers, items, mirror };
}

describe('resolveOrder', () => {
  it('gives one action per problem, naming the record and the reason, and no rule input', async () => {
    const deps = await books('r1');
    await deps.customers.upsertApp([{ appId: 'c-7', appName: 'Oyster Bay Co', key: '', record: {} }]);
    await deps.customers.save([{ appId: 'c-7', key: '', status: 'issue', issue: 'missing-email' }]);
    await deps.items.upsertApp([{ appId: 'it-1', appName: 'Kumamoto', key: 'kum', record: {} }]);
    await deps.items.save([{ appId: 'it-1', key: 'kum', status: 'issue', issue: 'item-not-found' }]);
    const r = await resolveOrder(order, { ...deps, settings: { invoiceCreation: true } });
    assert.equal(r.input, undefined);
    assert.deepEqual(r.actions.map((a) => a.message), [
      "Customer 'Oyster Bay Co' has no QuickBooks match: missing billing email",
      "Item 'Kumamoto' has no QuickBooks match: not found in QuickBooks",
      "Item 'it-2' has no QuickBooks match: not received from BlueTrace yet",
    ]);
  });

  it('resolves customer terms from the mirror, else the default, and each line\'s item', async () => {
    const deps = await books('r2');
    await deps.mirror.replace('customers', [{ id: '58', name: 'Oyster Bay Co', active: true, termsId: '3', data: {} }]);
    await deps.mirror.replace('items', [{ id: '19', name: 'Kumamoto 60ct', active: true, data: {} }, { id: '23', name: 'Mussels', active: true, data: {} }]);
    await deps.customers.upsertApp([{ appId: 'c-7', appName: 'Oyster Bay Co', key: 'k', record: {} }]);
    await deps.customers.save([{ appId: 'c-7', key: 'k', status: 'matched', qbId: '58' }]);
    await deps.items.upsertApp([{ appId: 'it-1', appName: 'K', key: 'a', record: {} }, { appId: 'it-2', appName: 'M', key: 'b', record: {} }]);
    await deps.items.save([{ appId: 'it-1', key: 'a', status: 'matched', qbId: '19' }, { appId: 'it-2', key: 'b', status: 'matched', qbId: '23' }]);
    const r = await resolveOrder(order, { ...deps, settings: { invoiceCreation: true, defaultTermsId: '1' } });
    assert.deepEqual(r.actions, []);
    assert.deepEqual(r.input?.customer, { id: '58', name: 'Oyster Bay Co', termsId: '3' });
    assert.deepEqual(r.input?.defaults, { termsId: '1' });
    assert.deepEqual(r.input?.lines.map((l) => l.item.id), ['19', '23', '23']);
  });
});
