import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { COLLECTIONS, SecretBox, Store, StoreLockedError, TokenVault, acquireStore, releaseStore, storeDir } from '../../../nodes/lib/store';
import { tempDir } from '../../support/tmp';

const tmp = tempDir();
after(() => tmp.cleanup());
let n = 0;
const fresh = () => path.join(tmp.dir, `store-${++n}`);

describe('store', () => {
  it('creates one datafile per collection and keeps documents across reopen', async () => {
    const dir = fresh();
    const store = await Store.open(dir);
    await store.jobs.insert({ _id: 'c1|invoice:so-1', company: 'c1', state: 'queued', kind: 'invoice' });
    await store.close();
    for (const name of COLLECTIONS) assert.ok(fs.existsSync(path.join(dir, `${name}.db`)), `${name}.db`);
    const again = await Store.open(dir);
    assert.equal((await again.jobs.findOne({ _id: 'c1|invoice:so-1' }))?.state, 'queued');
    await again.close();
  });

  it('deterministic _id keys make a second insert of the same source record fail', async () => {
    const store = await Store.open(fresh());
    await store.jobs.insert({ _id: 'c1|invoice:so-1', company: 'c1', state: 'queued' });
    await assert.rejects(store.jobs.insert({ _id: 'c1|invoice:so-1', company: 'c1', state: 'queued' }), /unique constraint/);
    assert.equal(await store.jobs.count({}), 1);
    await store.close();
  });

  it('indexes _id everywhere and the log by source id, and no low-cardinality field', async () => {
    const store = await Store.open(fresh());
    assert.deepEqual(Object.keys((store.jobs as any).__original.indexes), ['_id']);
    assert.deepEqual(Object.keys((store.log as any).__original.indexes).sort(), ['_id', 'sourceId']);
    await store.close();
  });

  it('a second process opening the same store gets a clear error, and the store is untouched', async () => {
    const dir = fresh();
    const store = await Store.open(dir);
    await store.matches.insert({ _id: 'm1', company: 'c1', kind: 'item' });
    const modulePath = require.resolve('../../../nodes/lib/store');
    const script = `require(${JSON.stringify(modulePath)}).Store.open(${JSON.stringify(dir)}).then(()=>{console.log('OPENED');process.exit(0)},e=>{console.log(e.name+': '+e.message);process.exit(3)})`;
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    assert.equal(child.status, 3);
    assert.match(child.stdout, new RegExp(`StoreLockedError: The QuickBooks store .* is in use by another process \\(pid ${process.pid}\\)`));
    assert.equal(await store.matches.count({}), 1);
    await store.close();
  });

  it('a lock left by a dead process is taken over', async () => {
    const dir = fresh();
    fs.mkdirSync(dir, { recursive: true });
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    fs.writeFileSync(path.join(dir, 'LOCK'), JSON.stringify({ pid: Number(dead.stdout.trim()), host: require('node:os').hostname(), since: 'x' }));
    const store = await Store.open(dir);
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'LOCK'), 'utf8')).pid, process.pid);
    await store.close();
    assert.ok(!fs.existsSync(path.join(dir, 'LOCK')), 'lock released on close');
  });

  it('StoreLockedError is what a locked store throws in-process too', async () => {
    const dir = fresh();
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'LOCK'), JSON.stringify({ pid: process.ppid, host: require('node:os').hostname(), since: 'x' }));
    await assert.rejects(Store.open(dir), StoreLockedError);
  });

  it('acquireStore shares one Store per folder and closes it with the last release', async () => {
    const dir = fresh();
    const [a, b] = await Promise.all([acquireStore(dir), acquireStore(dir)]);
    assert.equal(a, b);
    await releaseStore(dir);
    await a.log.insert({ _id: 'still-open' });
    await releaseStore(dir);
    assert.throws(() => a.log, /is closed/);
  });

  it('storeDir is QB_STORE_DIR, else quickbooks/ under the user directory', () => {
    assert.equal(storeDir('/srv/nr', {}), path.join('/srv/nr', 'quickbooks'));
    assert.equal(storeDir('/srv/nr', { QB_STORE_DIR: '/data/qb' }), path.resolve('/data/qb'));
  });
});

describe('token vault', () => {
  it('keeps tokens sealed on disk and readable after reopen', async () => {
    const dir = fresh();
    const store = await Store.open(dir, { secret: 'test-secret' });
    const vault = new TokenVault<{ refresh_token: string }>(store);
    await vault.save('conn-1|9130', { refresh_token: 'RT-very-secret-123' });
    const onDisk = fs.readFileSync(path.join(dir, 'tokens.db'), 'utf8');
    assert.doesNotMatch(onDisk, /RT-very-secret-123/);
    assert.match(onDisk, /"sealed":"v1:/);
    await store.close();
    const again = await Store.open(dir, { secret: 'test-secret' });
    assert.deepEqual(await new TokenVault(again).load('conn-1|9130'), { refresh_token: 'RT-very-secret-123' });
    await again.close();
  });

  it('a changed key gives a clear error instead of garbage', async () => {
    const dir = fresh();
    const store = await Store.open(dir, { secret: 'one' });
    await new TokenVault(store).save('k', { refresh_token: 'x' });
    await store.close();
    const other = await Store.open(dir, { secret: 'two' });
    await assert.rejects(new TokenVault(other).load('k'), /cannot decrypt a stored secret: the store key .* has changed/);
    await other.close();
  });

  it('without a secret, a random key file is created with mode 0600 and reused', () => {
    const dir = fresh();
    fs.mkdirSync(dir, { recursive: true });
    const a = SecretBox.forStore(dir, '');
    const sealed = a.seal({ t: 1 });
    assert.equal(fs.statSync(path.join(dir, 'secret.key')).mode & 0o777, 0o600);
    assert.deepEqual(SecretBox.forStore(dir, '').open(sealed), { t: 1 });
  });
});

describe('token vault: bootstrap', () => {
  it('saveIfAbsent never overwrites a token that is already there, even when racing', async () => {
    const store = await Store.open(fresh(), { secret: 's' });
    const vault = new TokenVault<{ refresh_token: string }>(store);
    const results = await Promise.all([vault.saveIfAbsent('qbo:1', { refresh_token: 'boot' }), vault.saveIfAbsent('qbo:1', { refresh_token: 'boot' })]);
    assert.deepEqual(results.sort(), [false, true]);
    await vault.save('qbo:1', { refresh_token: 'rotated' });
    assert.equal(await vault.saveIfAbsent('qbo:1', { refresh_token: 'boot' }), false);
    assert.deepEqual(await vault.load('qbo:1'), { refresh_token: 'rotated' });
    await store.close();
  });
});
