/**
 * The store contract, run on both backends (nedb files, PostgreSQL tables): every query operator,
 * update form, cursor option and error the package relies on answers the same way on each, documents
 * survive a reopen, tokens are sealed at rest and the mirror's segments round-trip. On PostgreSQL also:
 * the schema migrations, run by two processes at once.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Mirror, type MirrorRecord } from '../../../nodes/lib/mirror';
import { COLLECTIONS, Store, TokenVault, storeUrl } from '../../../nodes/lib/store';
import { MatchBook } from '../../../nodes/lib/matching';
import { createPool, keyHash, migrate, migrations } from '../../../nodes/lib/store/postgres';
import { PG_URL, pgQuery, pgSkip, testSchema } from '../../support/pg';
import { segmentNames } from '../../support/store';
import { tempDir } from '../../support/tmp';

const tmp = tempDir('qbsync-contract-');
after(() => tmp.cleanup());
let n = 0;

for (const backend of ['nedb', 'postgres'] as const) {
  const skip = backend === 'postgres' ? pgSkip() : false;
  /** A store of a folder; the same folder opens the same data again (on PostgreSQL: the same schema). */
  const open = (dir: string): Promise<Store> => (backend === 'nedb' ? Store.open(dir) : Store.open(dir, { url: PG_URL, schema: testSchema(path.basename(dir)) }));
  const fresh = () => open(path.join(tmp.dir, `${backend}_${++n}`));
  /** The raw text the backend keeps for a collection (the datafile, or the table's rows). */
  const rawText = async (store: Store, name: string): Promise<string> =>
    backend === 'nedb'
      ? fs.readFileSync(path.join(store.dir, `${name}.db`), 'utf8')
      : (await pgQuery(`SELECT doc::text AS d FROM "${testSchema(path.basename(store.dir))}".qb_${name}`)).map((r) => r.d).join('\n');

  describe(`store contract (${backend})`, { skip }, () => {
    it(`opens on ${backend}`, async () => {
      const store = await fresh();
      assert.equal(store.backendKind, backend);
      await store.close();
    });

    it('insert, find, findOne and count; unsorted answers come in _id order; answers are copies', async () => {
      const store = await fresh();
      const inserted = await store.jobs.insert([
        { _id: 'c1|b', company: 'c1', state: 'queued', n: 2 },
        { _id: 'c1|a', company: 'c1', state: 'sent', n: 1 },
        { _id: 'c2|a', company: 'c2', state: 'queued', n: 3 },
      ]);
      assert.equal(inserted.length, 3);
      assert.deepEqual((await store.jobs.find({ company: 'c1' })).map((d) => d._id), ['c1|a', 'c1|b']);
      assert.deepEqual((await store.jobs.find({})).map((d) => d._id), ['c1|a', 'c1|b', 'c2|a']);
      assert.equal((await store.jobs.findOne({ _id: 'c2|a' }))?.n, 3);
      assert.equal(await store.jobs.findOne({ _id: 'nope' }), null);
      assert.equal(await store.jobs.count({ state: 'queued' }), 2);
      assert.equal(await store.jobs.count({}), 3);
      const got = await store.jobs.findOne({ _id: 'c1|a' });
      got!.n = 99;
      assert.equal((await store.jobs.findOne({ _id: 'c1|a' }))?.n, 1, 'changing an answer changes nothing stored');
      const single = (await store.log.insert({ company: 'c1', note: 'no id' })) as { _id?: string };
      assert.match(String(single._id), /^[A-Za-z0-9]{16}$/, 'an _id is given');
      assert.equal((await store.log.findOne({ _id: single._id }))?.note, 'no id');
      await store.close();
    });

    it('a second document with the same _id fails with nedb\'s unique-constraint error; a failing batch inserts nothing', async () => {
      const store = await fresh();
      await store.jobs.insert({ _id: 'c1|k', company: 'c1' });
      const err = await store.jobs.insert({ _id: 'c1|k', company: 'c1' }).then(() => null, (e: unknown) => e as Error & { errorType?: string; key?: unknown });
      assert.ok(err instanceof Error);
      assert.match(err.message, /unique constraint/);
      assert.equal(err.errorType, 'uniqueViolated');
      assert.equal(err.key, 'c1|k');
      await assert.rejects(store.jobs.insert([{ _id: 'c1|new' }, { _id: 'c1|k' }]), /unique constraint/);
      await assert.rejects(store.jobs.insert([{ _id: 'c1|x' }, { _id: 'c1|x' }]), /unique constraint/);
      assert.deepEqual((await store.jobs.find({})).map((d) => d._id), ['c1|k'], 'neither batch left a document');
      await store.close();
    });

    it('update: whole-document replacement, modifiers, multi, upsert (plain and with modifiers), counts', async () => {
      const store = await fresh();
      await store.state.insert([{ _id: 's1', company: 'c1', v: 1 }, { _id: 's2', company: 'c1', v: 2 }, { _id: 's3', company: 'c2', v: 3 }]);
      assert.equal(await store.state.update({ _id: 's1' }, { _id: 's1', company: 'c1', w: 'replaced' }), 1);
      assert.deepEqual(await store.state.findOne({ _id: 's1' }), { _id: 's1', company: 'c1', w: 'replaced' });
      assert.equal(await store.state.update({ company: 'c1' }, { $set: { seen: true } }), 1, 'one document without multi');
      assert.equal(await store.state.count({ seen: true }), 1);
      assert.equal(await store.state.update({ company: 'c1' }, { $set: { seen: true }, $inc: { v: 10 } }, { multi: true }), 2);
      assert.deepEqual((await store.state.find({ company: 'c1' })).map((d) => [d._id, d.seen, d.v]), [['s1', true, 10], ['s2', true, 12]]);
      assert.equal(await store.state.update({ _id: 'none' }, { _id: 'none', x: 1 }), 0, 'no match, no upsert: nothing');
      assert.equal(await store.state.findOne({ _id: 'none' }), null);
      assert.equal(await store.state.update({ _id: 'up' }, { _id: 'up', company: 'c3', x: 1 }, { upsert: true }), 1);
      assert.deepEqual(await store.state.findOne({ _id: 'up' }), { _id: 'up', company: 'c3', x: 1 });
      await store.state.update({ _id: 'up' }, { _id: 'up', company: 'c3', x: 2 }, { upsert: true });
      assert.deepEqual((await store.state.find({ _id: 'up' })).map((d) => d.x), [2], 'an upsert of an existing document replaces it');
      await store.state.update({ _id: 'mod', company: 'c4' }, { $set: { y: 5 } }, { upsert: true });
      assert.deepEqual(await store.state.findOne({ _id: 'mod' }), { _id: 'mod', company: 'c4', y: 5 }, 'built from the query and the modifiers');
      const docs = await store.state.update({ _id: 's3' }, { $set: { z: 1 } }, { returnUpdatedDocs: true });
      assert.deepEqual(docs, { _id: 's3', company: 'c2', v: 3, z: 1 });
      await assert.rejects(store.state.update({ _id: 's3' }, { _id: 'other' }), /_id/);
      assert.ok(await store.state.findOne({ _id: 's3' }), 'a refused update changes nothing');
      await store.close();
    });

    it('remove: one, or every match with multi; the count removed', async () => {
      const store = await fresh();
      await store.mirror.insert([1, 2, 3, 4].map((i) => ({ _id: `m${i}`, company: i < 4 ? 'c1' : 'c2', seq: i })));
      assert.equal(await store.mirror.remove({ company: 'c1' }, {}), 1);
      assert.equal(await store.mirror.count({ company: 'c1' }), 2);
      assert.equal(await store.mirror.remove({ company: 'c1' }, { multi: true }), 2);
      assert.equal(await store.mirror.remove({ company: 'c9' }, { multi: true }), 0);
      assert.deepEqual((await store.mirror.find({})).map((d) => d._id), ['m4']);
      await store.close();
    });

    it('query operators the package uses: $in, $ne, $exists, $lt, $or, dotted fields, array elements', async () => {
      const store = await fresh();
      await store.jobs.insert([
        { _id: 'j1', company: 'c', kind: 'invoice', state: 'queued', key: 'k1', dependsOn: ['k0'], heldBy: { key: 'h1' }, result: { qbId: '7' }, seq: 1 },
        { _id: 'j2', company: 'c', kind: 'invoice', state: 'approved', key: 'k2', dependsOn: ['k0', 'k1'], seq: 2, retryAt: '2024-01-01' },
        { _id: 'j3', company: 'c', kind: 'customer', state: 'error', key: 'k3', heldBy: { key: 'h1' }, result: { qbId: '7' } },
        { _id: 'j4', company: 'other', kind: 'invoice', state: 'queued', key: 'k4', seq: 0 },
      ]);
      const ids = async (q: Record<string, unknown>) => (await store.jobs.find(q)).map((d) => d._id);
      assert.deepEqual(await ids({ company: 'c', state: { $in: ['queued', 'approved'] } }), ['j1', 'j2']);
      assert.deepEqual(await ids({ _id: { $in: ['j4', 'j2', 'none'] } }), ['j4', 'j2'], 'in the order of the list');
      assert.deepEqual(await ids({ company: 'c', 'result.qbId': '7', key: { $ne: 'k1' } }), ['j3']);
      assert.deepEqual(await ids({ company: 'c', retryAt: { $exists: true } }), ['j2']);
      assert.deepEqual(await ids({ company: 'c', dependsOn: 'k1' }), ['j2'], 'an array field matches one of its elements');
      assert.deepEqual(await ids({ 'heldBy.key': 'h1' }), ['j1', 'j3']);
      assert.deepEqual(await ids({ company: 'c', $or: [{ seq: { $lt: 2 } }, { seq: { $exists: false } }] }), ['j1', 'j3']);
      assert.deepEqual(await ids({ company: 'c', kind: 'invoice' }), ['j1', 'j2']);
      await assert.rejects(Promise.resolve(store.jobs.find({ seq: { $nosuch: 1 } })), /Unknown comparison function/);
      await store.close();
    });

    it('cursors: sort on several keys both ways, skip, limit, projections', async () => {
      const store = await fresh();
      await store.log.insert([
        { _id: 'l1', company: 'c', kind: 'k', rank: 2, seq: 1, updatedAt: '2024-01-03', source: { big: true } },
        { _id: 'l2', company: 'c', kind: 'k', rank: 1, seq: 2, updatedAt: '2024-01-01', source: { big: true } },
        { _id: 'l3', company: 'c', kind: 'k', rank: 1, seq: 1, updatedAt: '2024-01-02', source: { big: true } },
      ]);
      assert.deepEqual((await store.log.find({ company: 'c' }).sort({ rank: 1, seq: 1 })).map((d) => d._id), ['l3', 'l2', 'l1']);
      assert.deepEqual((await store.log.find({ company: 'c' }).sort({ updatedAt: -1 }).limit(2)).map((d) => d._id), ['l1', 'l3']);
      assert.deepEqual((await store.log.find({}).sort({ updatedAt: 1 }).skip(1).limit(1)).map((d) => d._id), ['l3']);
      const slim = await store.log.find({ company: 'c' }, { source: 0 }).sort({ updatedAt: -1 });
      assert.deepEqual(slim[0], { _id: 'l1', company: 'c', kind: 'k', rank: 2, seq: 1, updatedAt: '2024-01-03' });
      assert.deepEqual(await store.log.findOne({ _id: 'l2' }, { rank: 1 }), { _id: 'l2', rank: 1 });
      await store.close();
    });

    it('keeps values as nedb does: dates come back as Dates, undefined fields stay undefined, unicode and NUL survive', async () => {
      const store = await fresh();
      const at = new Date('2024-05-06T07:08:09.010Z');
      await store.log.insert({ _id: 'd', at, gone: undefined, text: 'caf\u00e9 \u{1F600} a\u0000b', nested: { list: [1, 'x', null] } });
      const doc = await store.log.findOne({ _id: 'd' });
      assert.ok(doc!.at instanceof Date);
      assert.equal(doc!.at.getTime(), at.getTime());
      assert.equal(doc!.gone, undefined);
      assert.equal(doc!.text, 'caf\u00e9 \u{1F600} a\u0000b');
      assert.deepEqual(doc!.nested, { list: [1, 'x', null] });
      await assert.rejects(store.log.insert({ _id: 'bad', 'a.b': 1 }), /cannot contain a \./, 'field names nedb refuses are refused');
      await store.close();
    });

    it('every collection keeps its documents across close and reopen', async () => {
      const dir = path.join(tmp.dir, `${backend}_${++n}`);
      const store = await open(dir);
      for (const name of COLLECTIONS) await store[name].insert({ _id: `${name}-1`, company: 'c1', name });
      await store.close();
      await assert.rejects(async () => store.jobs.find({}), /closed/);
      const again = await open(dir);
      for (const name of COLLECTIONS) assert.equal((await again[name].findOne({ _id: `${name}-1` }))?.name, name, name);
      await again.close();
    });

    it('tokens are sealed at rest; a rotated token is kept; a bootstrap token never overwrites one', async () => {
      const store = await fresh();
      const vault = new TokenVault<{ refresh: string }>(store);
      await vault.save('conn|realm', { refresh: 'RT-secret-1' });
      assert.equal(await vault.saveIfAbsent('conn|realm', { refresh: 'RT-bootstrap' }), false);
      assert.deepEqual(await vault.load('conn|realm'), { refresh: 'RT-secret-1' });
      const text = await rawText(store, 'tokens');
      assert.ok(text.includes('conn|realm') && text.includes('sealed'), 'the document is there');
      assert.equal(text.includes('RT-secret'), false, 'no token in clear');
      await store.close();
      const again = await open(store.dir);
      assert.deepEqual(await new TokenVault(again).load('conn|realm'), { refresh: 'RT-secret-1' });
      await new TokenVault(again).remove('conn|realm');
      assert.equal(await new TokenVault(again).load('conn|realm'), null);
      await again.close();
    });

    it('mirror segments: written, read back after a reopen, superseded by a snapshot and removed', { skip: backend === 'postgres' ? 'PostgreSQL keeps the mirror in a table (next test)' : false }, async () => {
      const store = await fresh();
      const rec = (i: number, name = `Customer ${i}`): MirrorRecord => ({ id: `L${i}`, name, active: true, data: { ListID: `L${i}` } });
      const mirror = new Mirror(store, 'c1');
      await mirror.upsert('customers', Array.from({ length: 50 }, (_, i) => rec(i)), 'cur-1');
      await mirror.upsert('customers', [rec(3, 'Renamed')]);
      await mirror.delete('customers', ['L4']);
      const names = await segmentNames(store);
      assert.equal(names.length, 2, 'two pages of records, the tombstone has none');
      const docs = await store.mirror.find({ company: 'c1', entity: 'customers' });
      const first = docs.find((d) => d.file)!;
      assert.equal(JSON.parse((await store.segments.read(first.file))!).length > 0, true);
      if (backend === 'postgres') assert.equal(fs.existsSync(path.join(store.dir, 'mirror-segments')), false, 'no segment file on disk');
      await store.close();
      const again = await open(store.dir);
      const records = new Map((await new Mirror(again, 'c1').list('customers')).map((r) => [r.id, r]));
      assert.equal(records.size, 49);
      assert.equal(records.get('L3')?.name, 'Renamed');
      assert.equal(records.has('L4'), false);
      assert.equal((await new Mirror(again, 'c1').age('customers')).cursor, 'cur-1');
      // a replace writes a snapshot and removes every earlier segment, payloads included
      await new Mirror(again, 'c1').replace('customers', [rec(1)]);
      const after = await segmentNames(again);
      assert.equal(after.length, 1);
      assert.equal(await again.segments.read(first.file), undefined, 'the superseded payload is gone');
      await again.close();
    });

    if (backend === 'postgres') {
      it('mirror records: one row each in qb_mirror_records, read back after a reopen; a replace leaves only its records; no segment', async () => {
        const store = await fresh();
        const schema = testSchema(path.basename(store.dir));
        const rec = (i: number, name = `Customer ${i}`): MirrorRecord => ({ id: `L${i}`, name, active: true, data: { ListID: `L${i}` } });
        const mirror = new Mirror(store, 'c1');
        await mirror.upsert('customers', Array.from({ length: 50 }, (_, i) => rec(i)), 'cur-1');
        await mirror.upsert('customers', [rec(3, 'Renamed')]);
        await mirror.delete('customers', ['L4']);
        assert.deepEqual(await segmentNames(store), [], 'no segment payload');
        assert.equal((await store.mirror.find({})).length, 0, 'no segment document');
        const rows = await pgQuery(`SELECT id, rec FROM "${schema}".qb_mirror_records WHERE company = 'c1' AND entity = 'customers' ORDER BY seq`);
        assert.equal(rows.length, 49);
        assert.equal(JSON.parse(rows.find((r) => r.id === 'L3').rec).name, 'Renamed');
        await store.close();
        const again = await open(store.dir);
        const records = new Map((await new Mirror(again, 'c1').list('customers')).map((r) => [r.id, r]));
        assert.equal(records.size, 49);
        assert.equal(records.get('L3')?.name, 'Renamed');
        assert.equal(records.has('L4'), false);
        assert.equal((await new Mirror(again, 'c1').age('customers')).cursor, 'cur-1');
        await new Mirror(again, 'c1').replace('customers', [rec(1)]);
        assert.deepEqual((await pgQuery(`SELECT id FROM "${schema}".qb_mirror_records`)).map((r) => r.id), ['L1']);
        await again.close();
      });

      it('mirror segments a store wrote before migration 3 are moved into the table when their list is first used', async () => {
        const store = await fresh();
        const rec = (i: number): MirrorRecord => ({ id: `L${i}`, name: `Customer ${i}`, active: true, data: { ListID: `L${i}` } });
        // migration 1's layout: a segment document naming its payload
        await store.segments.write('mirror-segments/c1/customers/1.json', JSON.stringify([rec(1), rec(2)]));
        await store.mirror.insert({ _id: 'c1|customers|1', company: 'c1', entity: 'customers', seq: 1, file: 'mirror-segments/c1/customers/1.json', format: 'json' });
        await store.mirror.insert({ _id: 'c1|customers|2', company: 'c1', entity: 'customers', seq: 2, deleted: ['L2'] });
        const mirror = new Mirror(store, 'c1');
        assert.deepEqual((await mirror.list('customers')).map((r) => r.id), ['L1']);
        assert.equal((await store.mirror.find({})).length, 0, 'the segment documents are gone');
        assert.equal(await store.segments.read('mirror-segments/c1/customers/1.json'), undefined, 'and their payloads');
        assert.deepEqual((await new Mirror(store, 'c1').list('customers')).map((r) => r.id), ['L1']);
        await store.close();
      });

      it('matches written before migration 3 get their key, link and outcome columns on first use; the documents stay as they were', async () => {
        const store = await fresh();
        const schema = testSchema(path.basename(store.dir));
        const doc = { _id: 'c1|item|a1', company: 'c1', kind: 'item', appId: 'a1', appName: 'A', key: 'k1', record: {}, status: 'issue', issue: 'item-not-found', linkedQbId: '7', updatedAt: 'x' };
        await store.matches.insert([doc, { _id: 'c1|item|odd', company: 'c1', kind: 'item' }]);
        await pgQuery(`UPDATE "${schema}".qb_matches SET key_hash = NULL, linked_qb_id = NULL, status = NULL, issue = NULL`); // as migration 3 leaves them
        const lines = async () => (await rawText(store, 'matches')).split('\n').sort();
        const before = await lines();
        const book = new MatchBook(store, 'c1', 'item');
        assert.equal((await book.get('a1'))?.key, 'k1');
        const rows = await pgQuery(`SELECT _id, key_hash, linked_qb_id, status, issue FROM "${schema}".qb_matches ORDER BY _id`);
        assert.deepEqual(rows.map((r) => [r._id, r.key_hash, r.linked_qb_id, r.status, r.issue]), [
          ['c1|item|a1', keyHash('k1'), '7', 'issue', 'item-not-found'],
          ['c1|item|odd', keyHash(''), null, null, null],
        ]);
        assert.deepEqual(await lines(), before, 'the documents are not rewritten');
        await store.close();
      });

      it('migrations: run by two processes at once, each version is applied once; running again applies nothing', async () => {
        const schema = testSchema(`mig_${++n}`);
        const a = createPool(PG_URL);
        const b = createPool(PG_URL);
        try {
          const [ra, rb] = await Promise.all([migrate(a, schema, COLLECTIONS), migrate(b, schema, COLLECTIONS)]);
          const versions = migrations(COLLECTIONS).map((m) => m.version);
          assert.deepEqual([...ra, ...rb].sort(), versions, 'one of them applied every version, the other none');
          assert.ok(ra.length === 0 || rb.length === 0);
          assert.deepEqual(await migrate(a, schema, COLLECTIONS), []);
          const rows = await pgQuery(`SELECT version FROM "${schema}".qb_migrations ORDER BY version`);
          assert.deepEqual(rows.map((r) => r.version), versions);
          const tables = await pgQuery(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, [schema]);
          assert.deepEqual(tables.map((r) => r.table_name), [...COLLECTIONS.map((c) => `qb_${c}`), 'qb_instances', 'qb_migrations', 'qb_mirror_keys', 'qb_mirror_records', 'qb_segments'].sort());
        } finally {
          await a.end();
          await b.end();
        }
      });

      it('two stores opening one new schema at once both work on the same data', async () => {
        const dir = path.join(tmp.dir, `${backend}_${++n}`);
        const [s1, s2] = await Promise.all([open(dir), open(dir)]);
        await s1.state.insert({ _id: 'shared', v: 1 });
        assert.equal((await s2.state.findOne({ _id: 'shared' }))?.v, 1);
        await s1.close();
        await s2.close();
      });

      it('an unreachable server is a clear error naming no password', async () => {
        const err = await Store.open(path.join(tmp.dir, `${backend}_${++n}`), { url: 'postgres://qb:hunter2@127.0.0.1:1/none', schema: 'x' }).then(() => null, (e: Error) => e);
        assert.ok(err instanceof Error);
        assert.match(err.message, /^the PostgreSQL store could not be opened: /);
        assert.equal(err.message.includes('hunter2'), false);
      });
    }
  });
}

describe('QB_STORE_URL', () => {
  it('without the optional package pg, opening a PostgreSQL store says to install it (no password shown)', () => {
    // a process where require('pg') fails as it does when npm left optional dependencies out
    const script = `
      const Module = require('node:module');
      const resolve = Module._resolveFilename;
      Module._resolveFilename = function (request, ...rest) {
        if (request === 'pg') { const e = new Error("Cannot find module 'pg'"); e.code = 'MODULE_NOT_FOUND'; throw e; }
        return resolve.call(this, request, ...rest);
      };
      const { Store } = require(${JSON.stringify(path.resolve(__dirname, '../../../nodes/lib/store'))});
      Store.open(${JSON.stringify(path.join(tmp.dir, 'no-pg'))}, { url: 'postgres://qb:hunter2@127.0.0.1:5432/x' })
        .then(() => console.log('opened'), (e) => console.log(e.message));`;
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim();
    assert.match(out, /the optional package "pg" is not installed: run "npm install pg"/);
    assert.equal(out.includes('hunter2'), false);
  });

  it('a schema name that is not a plain identifier is refused before any SQL', async () => {
    await assert.rejects(Store.open(path.join(tmp.dir, 'bad-schema'), { url: PG_URL, schema: 'x"; drop table y; --' }), /not a usable PostgreSQL schema name/);
  });

  it('absent or empty: the nedb store; a postgres URL: PostgreSQL; anything else is refused', () => {
    assert.equal(storeUrl({}), undefined);
    assert.equal(storeUrl({ QB_STORE_URL: '  ' }), undefined);
    assert.equal(storeUrl({ QB_STORE_URL: 'postgres://u@h/db' }), 'postgres://u@h/db');
    assert.equal(storeUrl({ QB_STORE_URL: 'postgresql://u@h/db' }), 'postgresql://u@h/db');
    assert.throws(() => storeUrl({ QB_STORE_URL: 'mysql://u@h/db' }), /postgres:\/\//);
  });
});
