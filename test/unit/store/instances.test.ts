/**
 * Two instances of one company on one PostgreSQL store (two Store objects on one schema, as two
 * Node-RED processes would open it): what one writes to the mirror or the matches, the other's
 * in-memory copies show once the store's notification arrives, including after the other's listening
 * connection was lost and the change missed (the gap drops every copy).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Store } from '../../../nodes/lib/store';
import { Instances } from '../../support/instances';
import { pgQuery, pgSkip } from '../../support/pg';
import { eventually, sleep } from '../../support/wait';
import { TestCompany } from '../handlers/support';

const item = (id: string, name: string) => ({ id, name, active: true, data: { Name: name } });

describe('one company on two instances sharing a PostgreSQL store', { skip: pgSkip() }, () => {
  const group = new Instances('instances');
  let storeA: Store;
  let storeB: Store;
  let a: TestCompany;
  let b: TestCompany;
  let n = 0;
  const pair = () => {
    const id = `co-shared-${++n}`;
    a = new TestCompany(id, 'qbo', storeA, { invoiceCreation: true });
    b = new TestCompany(id, 'qbo', storeB, { invoiceCreation: true });
  };

  before(async () => {
    storeA = await group.add();
    // B listens again only after 1–2 s once its connection is lost: time for a change it misses
    storeB = await group.add({ events: { retryMs: 2_000 } });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await group.close();
  });

  it('a mirror upsert and delete on A show in B\'s copy (which B had loaded before)', async () => {
    pair();
    await a.mirror.upsert('items', [item('1', 'Oysters')]);
    assert.deepEqual((await b.mirror.list('items')).map((r) => r.id), ['1']); // B's copy, loaded now
    await a.mirror.upsert('items', [item('2', 'Clams'), item('1', 'Oysters 60ct')]);
    await eventually('B sees the upsert', async () => (await b.mirror.list('items')).length === 2);
    assert.equal((await b.mirror.get('items', '1'))?.name, 'Oysters 60ct');
    await a.mirror.delete('items', ['1']);
    await eventually('B sees the delete', async () => (await b.mirror.get('items', '1')) === undefined);
    await a.mirror.replace('items', [item('9', 'Mussels')]);
    await eventually('B sees the full load', async () => (await b.mirror.list('items')).map((r) => r.id).join() === '9');
  });

  it('B\'s own writes are not undone by its own notifications, and other companies are left alone', async () => {
    pair();
    const other = new TestCompany(`${a.id}-other`, 'qbo', storeB, { invoiceCreation: true });
    await other.mirror.upsert('items', [item('x', 'Other')]);
    await b.mirror.upsert('items', [item('b1', 'From B')]);
    await a.mirror.upsert('items', [item('a1', 'From A')]);
    await eventually('B sees A\'s record beside its own', async () => (await b.mirror.list('items')).length === 2);
    assert.deepEqual((await a.mirror.list('items')).map((r) => r.id).sort(), ['a1', 'b1']);
    assert.deepEqual((await other.mirror.list('items')).map((r) => r.id), ['x']);
    await other.close();
  });

  it('a match link on A shows in B\'s match book', async () => {
    pair();
    const bookA = a.matches('item');
    await bookA.upsertApp([{ appId: 'it-1', appName: 'Oysters', key: 'sku-1', record: { id: 'it-1' } }]);
    await bookA.save([{ appId: 'it-1', key: 'sku-1', status: 'issue', issue: 'item-not-found' }]);
    const bookB = b.matches('item');
    assert.equal((await bookB.get('it-1'))?.status, 'issue'); // B's copy, loaded now
    await bookA.link('it-1', 'qb-77');
    await eventually('B sees the link', async () => (await bookB.get('it-1'))?.linkedQbId === 'qb-77');
    await bookA.link('it-1', undefined);
    await eventually('B sees the unlink', async () => (await bookB.get('it-1'))?.linkedQbId === undefined);
  });

  it('records B received but has not written yet survive a change from A, and are written', async () => {
    pair();
    const bookA = a.matches('customer');
    const bookB = b.matches('customer');
    await bookA.upsertApp([{ appId: 'c-1', appName: 'Harbor', key: 'h@x', record: {} }]);
    await bookA.flush();
    await bookB.upsertApp([{ appId: 'c-2', appName: 'Bay', key: 'b@x', record: {} }]); // pending on B
    await bookA.link('c-1', 'qc-1');
    await sleep(300); // the notification has arrived: B's book is stale but holds c-2
    assert.equal((await bookB.get('c-2'))?.appName, 'Bay');
    await bookB.flush();
    assert.equal((await bookB.get('c-1'))?.linkedQbId, 'qc-1', 'read again after the flush');
    await eventually('A sees B\'s record', async () => (await bookA.list()).length === 2);
    const stored = await storeA.matches.find({ company: a.id, kind: 'customer' });
    assert.deepEqual(stored.map((d) => d.appId).sort(), ['c-1', 'c-2'], 'B wrote its record');
  });

  it('a change B missed while its listening connection was down: after it listens again the gap drops every copy', async () => {
    pair();
    await a.mirror.upsert('customers', [item('c1', 'Harbor')]);
    await a.matches('item').upsertApp([{ appId: 'i-1', appName: 'Oysters', key: 'k', record: {} }]);
    await a.matches('item').flush();
    assert.equal((await b.mirror.list('customers')).length, 1);
    assert.equal((await b.matches('item').list()).length, 1);
    // The mirror and matches are read from their tables on PostgreSQL (nothing to go stale but the
    // mirror's key scan), so what is checked is that B drops every copy once it hears again.
    const dropped: Array<string | undefined> = [];
    const invalidate = b.mirror.invalidate.bind(b.mirror);
    b.mirror.invalidate = (entity?: string) => {
      dropped.push(entity);
      invalidate(entity);
    };
    const pid = async () => (await pgQuery('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [`qbsync-events-${storeB.events.origin}`]))[0]?.pid;
    const before = await pid();
    await pgQuery('SELECT pg_terminate_backend($1)', [before]);
    await eventually('B\'s listener gone', async () => (await pid()) === undefined);
    await a.mirror.upsert('customers', [item('c2', 'Bay')]);
    await a.matches('item').upsertApp([{ appId: 'i-2', appName: 'Clams', key: 'k2', record: {} }]);
    await a.matches('item').flush();
    await eventually('B listens again and drops every copy', async () => dropped.includes(undefined), 15_000);
    assert.equal((await b.mirror.list('customers')).length, 2);
    assert.equal((await b.matches('item').list()).length, 2);
    assert.notEqual(await pid(), before);
  });
});
