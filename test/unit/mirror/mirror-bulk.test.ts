/**
 * Mirror storage: each write is one appended segment (its records serialised once), later copies win,
 * deletes are tombstones, snapshots void what came before them; the in-memory copy and what a reopened
 * store reads always agree. This is the nedb store's layout; on PostgreSQL the mirror is a table (mirror-table.test.ts).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Mirror, type MirrorRecord } from '../../../nodes/lib/mirror';
import type { Store } from '../../../nodes/lib/store';
import { openTestStore, rawSegments, segmentNames } from '../../support/store';
import { tempDir } from '../../support/tmp';

const tmp = tempDir('qbsync-mirror-');
after(() => tmp.cleanup());
let n = 0;
const fresh = () => openTestStore(path.join(tmp.dir, `store-${++n}`));

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

/** The text of a segment document's payload (its file on nedb, its row on PostgreSQL). */
const fileOf = async (store: Store, doc: { [field: string]: unknown }): Promise<string> => {
  const text = await rawSegments(store).read(String(doc.file));
  assert.ok(text !== undefined, `the payload of ${String(doc._id)} is stored`);
  return text;
};

/** Every segment payload of the store. */
const segmentFiles = (store: Store): Promise<string[]> => segmentNames(store);

const byId = (records: MirrorRecord[]): Map<string, MirrorRecord> => new Map(records.map((r) => [r.id, r]));

/** What a new process would read: the store closed, opened again, and read by a new Mirror. */
async function reopened(store: Store, company: string, entity: string): Promise<{ store: Store; records: Map<string, MirrorRecord> }> {
  await store.close();
  const again = await openTestStore(store.dir);
  return { store: again, records: byId(await new Mirror(again, company).list(entity)) };
}

describe('Mirror storage (segments)', () => {
  it('writes a page of records as one file holding them serialised once and one small document', async () => {
    const store = await fresh();
    const mirror = new Mirror(store, 'c1');
    const calls = spy(store);
    const page = Array.from({ length: 500 }, (_, i) => rec(i));
    await mirror.upsert('customers', page, '2024-06-01T00:00:00');
    assert.deepEqual(calls, { insert: 1, update: 0, remove: 0 });
    assert.equal((await mirror.list('customers')).length, 500);
    const docs = await store.mirror.find({ company: 'c1', entity: 'customers' });
    assert.equal(docs.length, 1, 'one document for the page');
    assert.equal(docs[0]!.records, undefined, 'the records are not in the document');
    assert.deepEqual(JSON.parse(await fileOf(store, docs[0]!)), page);
    assert.equal((await segmentFiles(store)).length, 1);
    assert.deepEqual(await mirror.age('customers').then((a) => [a.count, a.cursor]), [500, '2024-06-01T00:00:00']);
    const { store: again, records } = await reopened(store, 'c1', 'customers');
    assert.deepEqual(records, byId(page));
    await again.close();
  });

  it('a record written again is replaced by its later copy, in memory and after a reopen', async () => {
    const store = await fresh();
    const mirror = new Mirror(store, 'c1');
    await mirror.upsert('customers', [rec(1), rec(2), rec(3)]);
    const calls = spy(store);
    await mirror.upsert('customers', [rec(2, { name: 'Renamed', active: false, termsId: 'T1' }), rec(4)]);
    assert.deepEqual(calls, { insert: 1, update: 0, remove: 0 });
    const cache = byId(await mirror.list('customers'));
    assert.deepEqual([...cache.keys()].sort(), ['L1', 'L2', 'L3', 'L4']);
    assert.deepEqual(cache.get('L2'), rec(2, { name: 'Renamed', active: false, termsId: 'T1' }));
    const { store: again, records } = await reopened(store, 'c1', 'customers');
    assert.deepEqual(records, cache);
    await again.close();
  });

  it('a record given twice in one page counts once, with its last version', async () => {
    const store = await fresh();
    const mirror = new Mirror(store, 'c1');
    await mirror.upsert('customers', [rec(1, { name: 'first' }), rec(2), rec(1, { name: 'last' })]);
    const docs = await store.mirror.find({});
    assert.equal((JSON.parse(await fileOf(store, docs[0]!)) as unknown[]).length, 2);
    assert.equal((await mirror.get('customers', 'L1'))?.name, 'last');
    const { store: again, records } = await reopened(store, 'c1', 'customers');
    assert.equal(records.get('L1')?.name, 'last');
    assert.equal(records.size, 2);
    await again.close();
  });

  it('the later of two writers of one record wins (a Mirror that had not seen the other write)', async () => {
    const store = await fresh();
    const a = new Mirror(store, 'c1');
    const b = new Mirror(store, 'c1');
    await a.load('customers');
    await b.upsert('customers', [rec(7, { name: 'from b' })]);
    await a.upsert('customers', [rec(7, { name: 'from a' }), rec(8)]);
    assert.equal((await a.get('customers', 'L7'))?.name, 'from a');
    const { store: again, records } = await reopened(store, 'c1', 'customers');
    assert.equal(records.get('L7')?.name, 'from a');
    assert.equal(records.size, 2);
    await again.close();
  });

  it('keeps companies and lists apart, and an empty page changes nothing but the cursor', async () => {
    const store = await fresh();
    const c1 = new Mirror(store, 'c1');
    const c2 = new Mirror(store, 'c2');
    await c1.upsert('customers', [rec(1)]);
    await c1.upsert('items', [rec(1, { name: 'an item' })]);
    await c2.upsert('customers', [rec(1, { name: 'other company' })]);
    assert.equal((await c1.get('customers', 'L1'))?.name, 'Customer 1');
    assert.equal((await c1.get('items', 'L1'))?.name, 'an item');
    assert.equal((await c2.get('customers', 'L1'))?.name, 'other company');
    const calls = spy(store);
    await c1.upsert('customers', [], 'cursor-2');
    assert.deepEqual(calls, { insert: 0, update: 0, remove: 0 });
    assert.equal((await c1.age('customers')).cursor, 'cursor-2');
    const { store: again, records } = await reopened(store, 'c2', 'customers');
    assert.deepEqual([...records.values()].map((r) => r.name), ['other company']);
    await again.close();
  });

  it('delete is one tombstone: the records stay deleted after a reopen although older segments hold them', async () => {
    const store = await fresh();
    const mirror = new Mirror(store, 'c1');
    await mirror.upsert('customers', [rec(1), rec(2), rec(3)]);
    await mirror.upsert('customers', [rec(1, { name: 'newer' })]);
    const calls = spy(store);
    await mirror.delete('customers', ['L1', 'L3', 'L9']);
    assert.deepEqual(calls, { insert: 1, update: 0, remove: 0 });
    assert.deepEqual((await mirror.list('customers')).map((r) => r.id), ['L2']);
    const { store: again, records } = await reopened(store, 'c1', 'customers');
    assert.deepEqual([...records.keys()], ['L2']);
    await again.close();
  });

  it('rewrites a list as a snapshot once superseded copies outgrow it, so storage stays bounded', async () => {
    const store = await fresh();
    const mirror = new Mirror(store, 'c1');
    const calls = spy(store);
    for (let round = 0; round < 150; round++) {
      await mirror.upsert('items', Array.from({ length: 10 }, (_, i) => rec(i, { name: `Item ${i} v${round}` })));
    }
    assert.equal(calls.remove, 1, 'compacted once (1,500 copies of 10 records > 2 × 10 + 1,000)');
    const docs = await store.mirror.find({ company: 'c1', entity: 'items' });
    assert.ok(docs.length < 60, `${docs.length} documents after compaction`);
    assert.equal((await segmentFiles(store)).length, docs.length, 'the files of the removed segments are gone');
    const { store: again, records } = await reopened(store, 'c1', 'items');
    assert.equal(records.size, 10);
    assert.equal(records.get('L3')?.name, 'Item 3 v149');
    await again.close();
  });

  it('replace writes a snapshot that voids everything before it', async () => {
    const store = await fresh();
    const mirror = new Mirror(store, 'c1');
    await mirror.upsert('customers', [rec(1), rec(2)]);
    await mirror.delete('customers', ['L2']);
    await mirror.replace('customers', [rec(3), rec(4)], 'cursor-9');
    assert.deepEqual((await mirror.list('customers')).map((r) => r.id), ['L3', 'L4']);
    const docs = await store.mirror.find({ company: 'c1', entity: 'customers' });
    assert.equal(docs.length, 1, 'the older segments are removed');
    assert.equal((await segmentFiles(store)).length, 1, 'and their files');
    assert.equal((await mirror.age('customers')).count, 2);
    const { store: again, records } = await reopened(store, 'c1', 'customers');
    assert.deepEqual([...records.keys()], ['L3', 'L4']);
    await again.close();
  });

  it('a snapshot cut short by a crash (a part missing) is ignored, and the list is rewritten on load', async () => {
    const store = await fresh();
    const mirror = new Mirror(store, 'c1');
    await mirror.upsert('customers', [rec(1), rec(2)]);
    const seq = Date.now() * 1000 + 10_000_000;
    // The first part of a two-part snapshot that would have replaced the list with L5 alone.
    await store.mirror.insert({ _id: `c1|customers|${seq}`, company: 'c1', entity: 'customers', seq, snapshot: seq, parts: 2, records: JSON.stringify([rec(5)]) });
    const { store: again, records } = await reopened(store, 'c1', 'customers');
    assert.deepEqual([...records.keys()].sort(), ['L1', 'L2']);
    const docs = await again.mirror.find({ company: 'c1', entity: 'customers' });
    assert.ok(docs.every((d) => d._id !== `c1|customers|${seq}`), 'the incomplete part is removed');
    const { store: third, records: still } = await reopened(again, 'c1', 'customers');
    assert.deepEqual([...still.keys()].sort(), ['L1', 'L2']);
    await third.close();
  });

  it('reads documents of the first layout (one per record) and rewrites them as segments', async () => {
    const store = await fresh();
    await store.mirror.insert([
      { _id: 'c1|customers|L1', company: 'c1', entity: 'customers', ...rec(1, { termsId: 'T1' }) },
      { _id: 'c1|customers|L2', company: 'c1', entity: 'customers', ...rec(2) },
    ]);
    const mirror = new Mirror(store, 'c1');
    assert.deepEqual(byId(await mirror.list('customers')), byId([rec(1, { termsId: 'T1' }), rec(2)]));
    const docs = await store.mirror.find({ company: 'c1', entity: 'customers' });
    assert.equal(docs.length, 1);
    assert.equal(typeof docs[0]!.seq, 'number');
    const { store: again, records } = await reopened(store, 'c1', 'customers');
    assert.deepEqual(records, byId([rec(1, { termsId: 'T1' }), rec(2)]));
    await again.close();
  });
  it('stores a page as the text QuickBooks sent when a codec reads it back, and reads it with that codec', async () => {
    const codecs = { lines: (text: string) => text.split('\n').map((line) => rec(Number(line), { name: `from text ${line}` })) };
    const store = await fresh();
    const mirror = new Mirror(store, 'c1', codecs);
    const page = [rec(1, { name: 'from text 1' }), rec(2, { name: 'from text 2' })];
    await mirror.upsert('customers', page, undefined, { format: 'lines', text: '1\n2' });
    const docs = await store.mirror.find({ company: 'c1', entity: 'customers' });
    assert.equal(docs[0]!.format, 'lines');
    assert.equal(await fileOf(store, docs[0]!), '1\n2', 'the text as it came, not serialised again');
    // Without a codec for the format, the records are serialised as JSON.
    await mirror.upsert('customers', [rec(3)], undefined, { format: 'unknown', text: 'x' });
    const { store: again, records } = await reopened(store, 'c1', 'items');
    assert.equal(records.size, 0);
    await assert.rejects(new Mirror(again, 'c1').list('customers'), /has a "lines" segment and no decoder for it/);
    assert.deepEqual(byId(await new Mirror(again, 'c1', codecs).list('customers')), byId([...page, rec(3)]));
    await again.close();
  });

  it('a segment whose file is gone is dropped (its records with it) and the list rewritten without it', async () => {
    const store = await fresh();
    const mirror = new Mirror(store, 'c1');
    await mirror.upsert('customers', [rec(1), rec(2)]);
    await mirror.upsert('customers', [rec(3)]);
    const docs = (await store.mirror.find({ company: 'c1', entity: 'customers' })).sort((a, b) => a.seq - b.seq);
    await rawSegments(store).remove(String(docs[0]!.file));
    const { store: again, records } = await reopened(store, 'c1', 'customers');
    assert.deepEqual([...records.keys()], ['L3']);
    assert.equal((await again.mirror.find({ company: 'c1', entity: 'customers' })).length, 1, 'rewritten as one snapshot');
    await again.close();
  });

  it('removes files no document names (a crash between the file and its document) once a newer segment exists', async () => {
    const store = await fresh();
    const mirror = new Mirror(store, 'c1');
    await mirror.upsert('customers', [rec(1)]);
    const [doc] = await store.mirror.find({});
    const orphan = path.join(path.dirname(String(doc!.file)), `${doc!.seq - 5}.json`);
    await rawSegments(store).write(orphan, JSON.stringify([rec(9)]));
    const { store: again, records } = await reopened(store, 'c1', 'customers');
    assert.deepEqual([...records.keys()], ['L1'], 'an orphan file is not read');
    assert.equal(await rawSegments(again).read(orphan), undefined, 'and it is removed');
    await again.close();
  });
});
