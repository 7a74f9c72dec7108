/** Mirror.upsert writes a page as one bulk operation and keeps the in-memory copy and the store in step. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Mirror, type MirrorRecord } from '../../../nodes/lib/mirror';
import { Store } from '../../../nodes/lib/store';
import { tempDir } from '../../support/tmp';

const tmp = tempDir('qbsync-mirror-');
after(() => tmp.cleanup());
let n = 0;
const fresh = () => Store.open(path.join(tmp.dir, `store-${++n}`));

const rec = (i: number, extra: Partial<MirrorRecord> = {}): MirrorRecord => ({
  id: `L${i}`, name: `Customer ${i}`, active: true, data: { ListID: `L${i}`, Email: `c${i}@example.com` }, ...extra,
});

/** Counts the store calls Mirror makes on the mirror collection. */
function spy(store: Store): Record<string, number> {
  const calls: Record<string, number> = { insert: 0, update: 0, remove: 0 };
  const col = store.mirror as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const m of Object.keys(calls)) {
    const original = col[m]!.bind(col);
    col[m] = (...a: unknown[]) => {
      calls[m]!++;
      return original(...a);
    };
  }
  return calls;
}

async function stored(store: Store, company: string, entity: string): Promise<Map<string, MirrorRecord>> {
  const docs = (await store.mirror.find({ company, entity })) as Array<MirrorRecord & { _id: string }>;
  return new Map(docs.map((d) => [d.id, { id: d.id, name: d.name, active: d.active, ...(d.termsId ? { termsId: d.termsId } : {}), data: d.data }]));
}

describe('Mirror.upsert (bulk)', () => {
  it('writes a page of new records with one insert, no per-record update', async () => {
    const store = await fresh();
    const mirror = new Mirror(store, 'c1');
    const calls = spy(store);
    await mirror.upsert('customers', Array.from({ length: 500 }, (_, i) => rec(i)), '2024-06-01T00:00:00');
    assert.deepEqual(calls, { insert: 1, update: 0, remove: 0 });
    assert.equal((await mirror.list('customers')).length, 500);
    assert.equal(await store.mirror.count({ company: 'c1', entity: 'customers' }), 500);
    assert.deepEqual(await mirror.age('customers').then((a) => [a.count, a.cursor]), [500, '2024-06-01T00:00:00']);
    await store.close();
  });

  it('replaces records it already holds (one remove + one insert) and adds the new ones; cache and store agree, also after a reopen', async () => {
    const store = await fresh();
    const mirror = new Mirror(store, 'c1');
    await mirror.upsert('customers', [rec(1), rec(2), rec(3)]);
    const calls = spy(store);
    await mirror.upsert('customers', [rec(2, { name: 'Renamed', active: false, termsId: 'T1' }), rec(4)]);
    assert.deepEqual(calls, { insert: 1, update: 0, remove: 1 });
    const cache = new Map((await mirror.list('customers')).map((r) => [r.id, r]));
    assert.deepEqual([...cache.keys()].sort(), ['L1', 'L2', 'L3', 'L4']);
    assert.deepEqual(cache.get('L2'), rec(2, { name: 'Renamed', active: false, termsId: 'T1' }));
    const inStore = await stored(store, 'c1', 'customers');
    assert.equal(await store.mirror.count({}), 4, 'one document per record, no duplicate');
    assert.deepEqual(inStore, cache);
    await store.close();

    const again = await Store.open(store.dir);
    assert.deepEqual(new Map((await new Mirror(again, 'c1').list('customers')).map((r) => [r.id, r])), cache);
    await again.close();
  });

  it('a record given twice in one page counts once, with its last version', async () => {
    const store = await fresh();
    const mirror = new Mirror(store, 'c1');
    await mirror.upsert('customers', [rec(1, { name: 'first' }), rec(2), rec(1, { name: 'last' })]);
    assert.equal(await store.mirror.count({}), 2);
    assert.equal((await mirror.get('customers', 'L1'))?.name, 'last');
    assert.equal((await stored(store, 'c1', 'customers')).get('L1')?.name, 'last');
    await store.close();
  });

  it('replaces a stored record its cache did not know (written by another Mirror) instead of failing', async () => {
    const store = await fresh();
    const a = new Mirror(store, 'c1');
    const b = new Mirror(store, 'c1');
    await a.load('customers');
    await b.upsert('customers', [rec(7, { name: 'from b' })]);
    await a.upsert('customers', [rec(7, { name: 'from a' }), rec(8)]);
    assert.equal(await store.mirror.count({}), 2);
    assert.equal((await stored(store, 'c1', 'customers')).get('L7')?.name, 'from a');
    assert.equal((await a.get('customers', 'L7'))?.name, 'from a');
    await store.close();
  });

  it('keeps companies and lists apart, and an empty page changes nothing but the cursor', async () => {
    const store = await fresh();
    const c1 = new Mirror(store, 'c1');
    const c2 = new Mirror(store, 'c2');
    await c1.upsert('customers', [rec(1)]);
    await c1.upsert('items', [rec(1, { name: 'an item' })]);
    await c2.upsert('customers', [rec(1, { name: 'other company' })]);
    assert.equal(await store.mirror.count({}), 3);
    assert.equal((await c1.get('customers', 'L1'))?.name, 'Customer 1');
    assert.equal((await c1.get('items', 'L1'))?.name, 'an item');
    const calls = spy(store);
    await c1.upsert('customers', [], 'cursor-2');
    assert.deepEqual(calls, { insert: 0, update: 0, remove: 0 });
    assert.equal((await c1.age('customers')).cursor, 'cursor-2');
    await store.close();
  });

  it('delete removes the records from the cache and the store in one operation', async () => {
    const store = await fresh();
    const mirror = new Mirror(store, 'c1');
    await mirror.upsert('customers', [rec(1), rec(2), rec(3)]);
    const calls = spy(store);
    await mirror.delete('customers', ['L1', 'L3', 'L9']);
    assert.equal(calls.remove, 1);
    assert.deepEqual((await mirror.list('customers')).map((r) => r.id), ['L2']);
    assert.deepEqual([...(await stored(store, 'c1', 'customers')).keys()], ['L2']);
    await store.close();
  });
});
