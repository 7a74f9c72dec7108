/**
 * TopRows (console/validate.ts): the page of a list that streams by, as a stable sort of the whole list
 * would give it, while it holds at most twice `offset + limit` of the items (a list of 1,000,000 read a
 * page at a time on PostgreSQL never sits in memory for one console page).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TopRows } from '../../../nodes/lib/console/validate';

describe('TopRows', () => {
  it('gives the page a stable sort of everything gives, equal keys in the order they came, for near and far pages', () => {
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const items = Array.from({ length: 5_000 }, (_, i) => ({ i, key: `k${Math.floor(random() * 300)}` }));
    const sorted = [...items].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const [offset, limit] of [[0, 50], [40, 10], [950, 200], [4_990, 50], [6_000, 10]] as const) {
      const top = new TopRows<(typeof items)[number]>({ offset, limit }, (x) => x.key);
      for (const item of items) top.add(item);
      const page = top.page();
      assert.equal(page.total, items.length);
      assert.deepEqual(page.rows.map((r) => r.i), sorted.slice(offset, offset + limit).map((r) => r.i), `offset ${offset}, limit ${limit}`);
    }
  });

  it('holds at most twice the rows it must keep', () => {
    const top = new TopRows<number>({ offset: 0, limit: 10 }, (x) => String(x).padStart(8, '0'));
    let most = 0;
    for (let i = 100_000; i > 0; i--) {
      top.add(i);
      most = Math.max(most, (top as unknown as { best: unknown[] }).best.length);
    }
    assert.ok(most <= 2 * 512, `held ${most}`);
    assert.deepEqual(top.page().rows, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});
