/**
 * Issue 10, item 6: the store never loses a line silently. A corrupt line in any collection file is
 * moved to a quarantine file beside it (file, line number, raw text) before nedb loads the file, the
 * start-up says once what it found, `store.quarantined()` shows it, and the rest of the data loads.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { redactPaths, publicMessage, registerPrivateDir } from '../../../nodes/lib/errors';
import { COLLECTIONS, Store } from '../../../nodes/lib/store';
import { quarantineCorruptLines } from '../../../nodes/lib/store/quarantine';
import { tempDir } from '../../support/tmp';
import { QbwcOperations } from '../../../nodes/lib/company/qbwc/operations';
import { FakeWorkSource, PASSWORD, USER } from '../qbwc/service-helpers';

const tmp = tempDir();
after(() => tmp.cleanup());
let n = 0;
const fresh = () => path.join(tmp.dir, `store-${++n}`);

/** Three documents in every collection, written to disk. */
async function seeded(dir: string): Promise<void> {
  const store = await Store.open(dir);
  for (const name of COLLECTIONS) {
    for (let i = 1; i <= 3; i++) await (store as any)[name].insert({ _id: `${name}-${i}`, company: 'c1', n: i });
  }
  await store.close();
}

/** Replaces line `line` (1-based) of a datafile with `text`; returns the line it replaced. */
function corrupt(dir: string, name: string, line: number, text: string): string {
  const file = path.join(dir, `${name}.db`);
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const was = lines[line - 1];
  lines[line - 1] = text;
  fs.writeFileSync(file, lines.join('\n'));
  return was;
}

function lineOf(dir: string, name: string, id: string): number {
  return fs.readFileSync(path.join(dir, `${name}.db`), 'utf8').split('\n').findIndex((l) => l.includes(`"_id":"${id}"`)) + 1;
}

describe('store: corrupt lines are kept aside, never dropped silently', () => {
  it('a corrupt line in each collection file goes to its quarantine file; the rest loads; the start-up says so once', async () => {
    const dir = fresh();
    await seeded(dir);
    const broken: Record<string, { line: number; raw: string }> = {};
    for (const name of COLLECTIONS) {
      const line = lineOf(dir, name, `${name}-2`);
      const raw = `{"_id":"${name}-2","company":"c1","n":2,"tru`; // a write cut short
      corrupt(dir, name, line, raw);
      broken[name] = { line, raw };
    }
    const warnings: string[] = [];
    const store = await Store.open(dir, { warn: (m) => warnings.push(m) });
    try {
      for (const name of COLLECTIONS) {
        const docs = await (store as any)[name].find({});
        assert.deepEqual(docs.map((d: { _id: string }) => d._id).sort(), [`${name}-1`, `${name}-3`], `${name}: the rest intact`);
        const kept = fs.readFileSync(path.join(dir, `${name}.db.quarantine`), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
        assert.equal(kept.length, 1);
        assert.equal(kept[0].file, `${name}.db`);
        assert.equal(kept[0].line, broken[name].line);
        assert.equal(kept[0].raw, broken[name].raw);
        assert.ok(!Number.isNaN(Date.parse(kept[0].foundAt)));
        assert.ok(!fs.readFileSync(path.join(dir, `${name}.db`), 'utf8').includes('"tru'), `${name}.db no longer holds the line`);
      }
      assert.equal(warnings.length, 1, 'one start-up message');
      assert.match(warnings[0], /^QuickBooks store: 6 corrupt lines kept aside: /);
      for (const name of COLLECTIONS) assert.ok(warnings[0].includes(`${name}.db line ${broken[name].line} (moved to ${name}.db.quarantine)`), warnings[0]);
      assert.ok(!warnings[0].includes(dir), 'file names relative to the store');
      const report = store.quarantined();
      assert.deepEqual(
        report.map((q) => [q.collection, q.file, q.quarantineFile, q.count, q.foundNow, q.lines]),
        COLLECTIONS.map((name) => [name, `${name}.db`, `${name}.db.quarantine`, 1, 1, [broken[name].line]]),
      );
      assert.ok(!JSON.stringify(report).includes(dir));
    } finally {
      await store.close();
    }
    // the next start finds nothing new, says nothing, and still shows what is kept aside
    const quiet: string[] = [];
    const again = await Store.open(dir, { warn: (m) => quiet.push(m) });
    assert.deepEqual(quiet, []);
    assert.deepEqual(again.quarantined().map((q) => [q.collection, q.count, q.foundNow]), COLLECTIONS.map((c) => [c, 1, 0]));
    await again.close();
    fs.rmSync(path.join(dir, 'jobs.db.quarantine'));
    const cleared = await Store.open(dir);
    assert.ok(!cleared.quarantined().some((q) => q.collection === 'jobs'), 'deleting the quarantine file clears the report');
    await cleared.close();
  });

  it('over nedb\'s corrupt threshold the store still opens with every good line, the bad ones kept aside', async () => {
    const dir = fresh();
    const store = await Store.open(dir);
    for (let i = 0; i < 10; i++) await store.jobs.insert({ _id: `j${i}`, state: 'queued' });
    await store.close();
    const file = path.join(dir, 'jobs.db');
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    for (let i = 0; i < 5; i++) lines[i * 2] = `garbage ${i} \u0000`;
    fs.writeFileSync(file, lines.join('\n'));
    const again = await Store.open(dir);
    assert.equal(await again.jobs.count({}), 5);
    assert.equal(again.quarantined().find((q) => q.collection === 'jobs')?.count, 5);
    await again.close();
  });

  it('lines nedb would drop without counting them (no _id, not an object) are kept aside too', () => {
    const dir = fresh();
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'x.db'), '{"_id":"a"}\n42\n{"name":"no id"}\nnull\n{"$$indexCreated":{"fieldName":"sourceId"}}\n{"_id":"b"}\n');
    const found = quarantineCorruptLines(dir, 'x.db');
    assert.deepEqual(found, { file: 'x.db', quarantineFile: 'x.db.quarantine', lines: [2, 3, 4], count: 3 });
    assert.equal(fs.readFileSync(path.join(dir, 'x.db'), 'utf8'), '{"_id":"a"}\n{"$$indexCreated":{"fieldName":"sourceId"}}\n{"_id":"b"}\n');
  });

  it('a document holding U+2028, U+2029 or U+0085 (which nedb\'s line reader splits at) survives a restart', async () => {
    const dir = fresh();
    const name = 'Oyster\u2028Bay\u2029Co\u0085Ltd';
    const store = await Store.open(dir);
    await store.log.insert({ _id: 'cu-1', sourceId: 'cu-1', name });
    await store.close();
    const warnings: string[] = [];
    const again = await Store.open(dir, { warn: (m) => warnings.push(m) });
    assert.equal((await again.log.findOne({ _id: 'cu-1' }))?.name, name);
    assert.deepEqual(warnings, []);
    assert.deepEqual(again.quarantined(), []);
    await again.close();
  });
});

describe('errors shown to callers carry no file-system paths', () => {
  it('redacts paths under the store folder, home, temp, working directory, usual roots and drives to their last segment', () => {
    const store = path.join(tmp.dir, 'some', 'store');
    registerPrivateDir(store);
    assert.equal(redactPaths(`EACCES: permission denied, open '${store}/jobs.db'`), "EACCES: permission denied, open 'jobs.db'");
    assert.equal(redactPaths(`the QuickBooks store ${store} is in use`), 'the QuickBooks store … is in use');
    assert.equal(redactPaths(`ENOENT: no such file or directory, open '/home/me/.node-red/quickbooks/log.db'`), "ENOENT: no such file or directory, open 'log.db'");
    assert.equal(redactPaths(`no rule in ${process.cwd()}/rules`), 'no rule in rules');
    assert.equal(redactPaths('C:\\Users\\me\\qb\\jobs.db is locked'), 'jobs.db is locked');
    assert.equal(redactPaths('see https://example.com/home/help and POST /bluetrace/items'), 'see https://example.com/home/help and POST /bluetrace/items');
    assert.equal(publicMessage(new Error(`EISDIR: illegal operation on a directory, read '${tmp.dir}/x'`)), "EISDIR: illegal operation on a directory, read 'x'");
  });

  it('the Web Connector\'s getLastError and closeConnection answers carry no path from a failing store', async () => {
    const work = new FakeWorkSource(1);
    const storePath = path.join(tmp.dir, 'wc-store');
    work.handleResponse = async () => {
      throw new Error(`EACCES: permission denied, open '${storePath}/jobs.db'`);
    };
    work.endSession = async () => {
      throw new Error(`ENOSPC: no space left on device, write '${storePath}/log.db'`);
    };
    const ops = new QbwcOperations({ workSource: work, username: USER, password: PASSWORD });
    const [ticket, status] = await ops.authenticate(USER, PASSWORD, '127.0.0.1');
    assert.notEqual(status, 'nvu');
    assert.ok(await ops.sendRequestXML(ticket, '', '', 'US', 13, 0));
    assert.equal(await ops.receiveResponseXML(ticket, '<QBXML/>', '', ''), -1);
    const lastError = await ops.getLastError(ticket);
    assert.match(lastError, /Could not process the response: EACCES: permission denied, open 'jobs\.db'/);
    const closed = await ops.closeConnection(ticket);
    assert.match(closed, /the work source reported: ENOSPC: no space left on device, write 'log\.db'/);
    for (const answer of [lastError, closed]) assert.ok(!answer.includes(tmp.dir), answer);
    await ops.close();
  });
});
