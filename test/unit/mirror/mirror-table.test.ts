/**
 * The Mirror's behaviour, the same on each backend (nedb's in-memory lists, PostgreSQL's table; the
 * sibling mirror-table.postgres.test.ts runs this file there): later copies win and keep their place,
 * pages read in the order records were first written, deletes, replaces, companies and lists apart,
 * and what a reopened store reads. On PostgreSQL also the match keys kept beside the records.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Mirror, keyId, type MirrorKey, type MirrorRecord } from '../../../nodes/lib/mirror';
import { keyHash } from '../../../nodes/lib/store/postgres';
import { pgQuery, testSchema } from '../../support/pg';
import { openTestStore, testBackend } from '../../support/store';
import { tempDir } from '../../support/tmp';

const tmp = tempDir('qbsync-mirror-table-');
after(() => tmp.cleanup());
let n = 0;
const fresh = () => openTestStore(path.join(tmp.dir, `store_${++n}`));

const rec = (i: number, extra: Partial<MirrorRecord> = {}): MirrorRecord => ({
  id: `L${i}`, name: `Customer ${i}`, active: true, data: { ListID: `L${i}`, Email: `c${i}@example.com` }, ...extra,
});

async function all(mirror: Mirror, entity: string, size = 2): Promise<MirrorRecord[]> {
  const out: MirrorRecord[] = [];
  for await (const page of mirror.pages(entity, size)) {
    assert.ok(page.length <= size, 'a page holds at most its size');
    out.push(...page);
  }
  return out;
}

describe(`Mirror (${testBackend()})`, () => {
  it('reads pages in the order records were first written; a later copy wins and keeps its place', async () => {
    const store = await fresh();
    const mirror = new Mirror(store, 'c1');
    await mirror.upsert('items', [rec(3), rec(1), rec(2)]);
    await mirror.upsert('items', [rec(1, { name: 'renamed', active: false }), rec(5), rec(4), rec(5, { name: 'five, last' })]);
    const read = await all(mirror, 'items');
    assert.deepEqual(read.map((r) => r.id), ['L3', 'L1', 'L2', 'L5', 'L4']);
    assert.deepEqual(read[1], rec(1, { name: 'renamed', active: false }));
    assert.equal(read[3]!.name, 'five, last', 'a record given twice in one page counts once, with its last version');
    assert.deepEqual((await mirror.list('items')).map((r) => r.id), read.map((r) => r.id), 'list is the pages together');
    assert.equal(await mirror.count('items'), 5);
    const some = await mirror.getMany('items', ['L4', 'nope', 'L1']);
    assert.deepEqual([...some.keys()].sort(), ['L1', 'L4']);
    assert.equal((await mirror.get('items', 'L2'))?.name, 'Customer 2');
    assert.equal(await mirror.get('items', 'nope'), undefined);
    await store.close();
    const again = await openTestStore(store.dir);
    assert.deepEqual(await all(new Mirror(again, 'c1'), 'items'), read, 'a reopened store reads the same, in the same order');
    await again.close();
  });

  it('deletes, replaces, keeps companies and lists apart; an empty page changes only the cursor', async () => {
    const store = await fresh();
    const c1 = new Mirror(store, 'c1');
    const c2 = new Mirror(store, 'c2');
    await c1.upsert('customers', [rec(1), rec(2), rec(3)], 'cur-1');
    await c1.upsert('items', [rec(1, { name: 'an item' })]);
    await c2.upsert('customers', [rec(1, { name: 'other company' })]);
    await c1.delete('customers', ['L2', 'L9', 'L2']);
    assert.deepEqual((await c1.list('customers')).map((r) => r.id), ['L1', 'L3']);
    assert.equal((await c1.get('items', 'L1'))?.name, 'an item');
    assert.equal((await c2.get('customers', 'L1'))?.name, 'other company');
    await c1.upsert('customers', [], 'cur-2');
    assert.deepEqual(await c1.age('customers').then((a) => [a.cursor, a.count]), ['cur-2', 2]);
    await c1.replace('customers', [rec(7), rec(6)], 'cur-3');
    assert.deepEqual((await c1.list('customers')).map((r) => r.id), ['L7', 'L6']);
    assert.deepEqual(await c1.age('customers').then((a) => [a.cursor, a.count]), ['cur-3', 2]);
    assert.equal(await c2.count('customers'), 1, 'the other company is untouched');
    c1.invalidate('customers');
    c1.invalidate();
    assert.equal(await c1.count('customers'), 2, 'invalidate forgets a cache, never the store');
    await store.close();
  });

  it('a replace a page at a time: the old list until commit, the new one after; abort keeps the old', async () => {
    const store = await fresh();
    const mirror = new Mirror(store, 'c1');
    await mirror.upsert('items', [rec(1), rec(2)], 'cur-1');
    const writer = await mirror.replacing('items');
    await writer.add([rec(5), rec(3)]);
    await writer.add([rec(4), rec(3, { name: 'three, again' })]);
    assert.deepEqual((await mirror.list('items')).map((r) => r.id), ['L1', 'L2'], 'readers see the old list meanwhile');
    await writer.commit();
    const read = await mirror.list('items');
    assert.deepEqual(read.map((r) => r.id), ['L5', 'L3', 'L4'], 'in the order first received');
    assert.equal(read[1]!.name, 'three, again', 'a record on two pages counts once, with its last version');
    await mirror.upsert('items', [], 'cur-2');
    assert.deepEqual(await mirror.age('items').then((a) => [a.cursor, a.count]), ['cur-2', 3]);
    const aborted = await mirror.replacing('items');
    await aborted.add([rec(9)]);
    await aborted.abort();
    assert.deepEqual((await mirror.list('items')).map((r) => r.id), ['L5', 'L3', 'L4'], 'an aborted replace changes nothing');
    await store.close();
  });

  if (testBackend() === 'postgres') {
    const keyRows = async (store: { dir: string }, rule: string) =>
      (await pgQuery(`SELECT id, key_hash FROM "${testSchema(path.basename(store.dir))}".qb_mirror_keys WHERE rule = $1 ORDER BY id`, [rule])).map((r) => [r.id, r.key_hash]);
    const byEmail: MirrorKey = { id: 'by-email', keyOf: (r) => String(r.data.Email ?? '') };

    it('keys the records of a registered rule as they are written, and again when they change', async () => {
      const store = await fresh();
      const mirror = new Mirror(store, 'c1');
      mirror.keyBy('customers', byEmail);
      await mirror.upsert('customers', [rec(1), rec(2)]);
      assert.deepEqual(await keyRows(store, 'by-email'), [['L1', keyHash('c1@example.com')], ['L2', keyHash('c2@example.com')]]);
      await mirror.upsert('customers', [rec(2, { data: { Email: 'new@example.com' } })]);
      assert.deepEqual(await keyRows(store, 'by-email'), [['L1', keyHash('c1@example.com')], ['L2', keyHash('new@example.com')]]);
      await mirror.delete('customers', ['L1']);
      assert.deepEqual(await keyRows(store, 'by-email'), [['L2', keyHash('new@example.com')]]);
      assert.equal(await mirror.ensureKeys('customers', byEmail), 0, 'nothing is missing');
      await store.close();
    });

    it('a replace larger than one statement writes every record with its own key', async () => {
      const store = await fresh();
      const mirror = new Mirror(store, 'c1');
      mirror.keyBy('customers', byEmail);
      await mirror.replace('customers', Array.from({ length: 12_345 }, (_, i) => rec(i)));
      const keys = await keyRows(store, 'by-email');
      assert.equal(keys.length, 12_345);
      assert.deepEqual(keys.find(([id]) => id === 'L12000'), ['L12000', keyHash('c12000@example.com')]);
      assert.equal(await mirror.ensureKeys('customers', byEmail, true), 0);
      await store.close();
    });

    it('computes the keys missing for a rule (records written before it, or by a process without it), a page at a time', async () => {
      const store = await fresh();
      const writer = new Mirror(store, 'c1'); // knows no rule
      await writer.upsert('customers', Array.from({ length: 2_500 }, (_, i) => rec(i)));
      const reader = new Mirror(store, 'c1');
      assert.equal(await reader.ensureKeys('customers', byEmail), 2_500);
      assert.equal((await keyRows(store, 'by-email')).length, 2_500);
      await writer.upsert('customers', [rec(7, { data: { Email: 'changed@example.com' } })]);
      assert.equal(await reader.ensureKeys('customers', byEmail), 0, 'a list found complete is not scanned again');
      assert.equal(await reader.ensureKeys('customers', byEmail, true), 1, 'unless asked to (a full re-match): only the record written again');
      await writer.upsert('customers', [rec(8, { data: { Email: 'eight@example.com' } })]);
      reader.invalidate('customers'); // the list changed elsewhere
      assert.equal(await reader.ensureKeys('customers', byEmail), 1, 'or after invalidate');
      assert.deepEqual((await keyRows(store, 'by-email')).find(([id]) => id === 'L7'), ['L7', keyHash('changed@example.com')]);
      // An edited rule is another rule: its keys are computed afresh, the old rule's stay its own.
      const edited: MirrorKey = { id: keyId({ source: 'Email & "x"' }), keyOf: (r) => `${String(r.data.Email)}x` };
      assert.equal(await reader.ensureKeys('customers', edited), 2_500);
      assert.notEqual(keyId({ source: 'a' }), keyId({ source: 'b' }));
      await store.close();
    });
  }
});
