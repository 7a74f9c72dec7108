/**
 * store.events: messages between the instances sharing a store. On nedb, delivered to the store's own
 * subscribers (one process). On PostgreSQL (two Store objects on one schema, as two Node-RED processes
 * would open it): across the stores, each telling its own messages apart, the NOTIFY size limit
 * guarded, hostile messages ignored, and the listening connection opened again after the server
 * ended it, with the gap told to subscribers.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Store } from '../../../nodes/lib/store';
import { channelOf, MAX_MESSAGE_BYTES, PgEvents, type StoreMessage } from '../../../nodes/lib/store/events';
import { createPool } from '../../../nodes/lib/store/postgres';
import { PG_URL, pgQuery, pgSkip, testSchema } from '../../support/pg';
import { tempDir } from '../../support/tmp';
import { eventually, sleep } from '../../support/wait';

/** Every message a subscription is given. */
function recorder(store: Store, topic: string): StoreMessage[] {
  const got: StoreMessage[] = [];
  store.events.subscribe(topic, (m) => got.push(m));
  return got;
}

/** A payload whose message is exactly `bytes` long on the wire. */
function payloadOf(store: Store, topic: string, bytes: number): Record<string, unknown> {
  const empty = Buffer.byteLength(JSON.stringify({ o: store.events.origin, t: topic, p: { x: '' } }));
  return { x: 'a'.repeat(bytes - empty) };
}

describe('store events on nedb (one process: its own subscribers)', () => {
  const tmp = tempDir('qbsync-events-');
  const warnings: string[] = [];
  let store: Store;
  before(async () => {
    store = await Store.open(path.join(tmp.dir, 'store'), { url: '', warn: (m) => warnings.push(m) });
  });
  after(async () => {
    await store.close();
    tmp.cleanup();
  });

  it('delivers a message to the subscribers of its topic, marked own, after the publisher\'s turn', async () => {
    const got = recorder(store, 'mirror/co-1');
    const other = recorder(store, 'mirror/co-2');
    const payload = { entity: 'items', ids: ['1', '2'] };
    await store.events.publish('mirror/co-1', payload);
    assert.equal(got.length, 0, 'not delivered inside publish');
    await eventually('the message', () => got.length === 1);
    assert.deepEqual(got[0], { topic: 'mirror/co-1', own: true, payload });
    assert.notEqual(got[0]!.payload, payload, 'a copy, not the publisher\'s object');
    assert.equal(other.length, 0);
  });

  it('unsubscribes, and a function subscribed twice is called twice until each is removed', async () => {
    let calls = 0;
    const fn = () => calls++;
    const stop1 = store.events.subscribe('t/unsub', fn);
    const stop2 = store.events.subscribe('t/unsub', fn);
    await store.events.publish('t/unsub', {});
    await eventually('two calls', () => calls === 2);
    stop1();
    await store.events.publish('t/unsub', {});
    await eventually('one more call', () => calls === 3);
    stop2();
    stop2();
    await store.events.publish('t/unsub', {});
    await sleep(30);
    assert.equal(calls, 3);
  });

  it('sends a message over the size limit without its payload (clipped), and warns', async () => {
    const got = recorder(store, 'big/nedb');
    await store.events.publish('big/nedb', payloadOf(store, 'big/nedb', MAX_MESSAGE_BYTES + 1));
    await eventually('the clipped message', () => got.length === 1);
    assert.deepEqual(got[0], { topic: 'big/nedb', own: true, clipped: true });
    assert.match(warnings.join('\n'), /was 8000 bytes, over the 7999 a notification may carry: sent without its payload/);
  });

  it('a subscriber that throws is warned about and the others still get the message; a bad topic is refused', async () => {
    store.events.subscribe('t/throws', () => {
      throw new Error('subscriber broke');
    });
    const got = recorder(store, 't/throws');
    await store.events.publish('t/throws', { a: 1 });
    await eventually('the message', () => got.length === 1);
    assert.match(warnings.join('\n'), /subscriber failed \(t\/throws\): subscriber broke/);
    await store.events.publish('x'.repeat(501), {});
    assert.match(warnings.at(-1)!, /topic must be text of 1 to 500 characters: not sent/);
  });

  it('after close, nothing is delivered and publish does nothing', async () => {
    const tmp2 = tempDir('qbsync-events-closed-');
    const s = await Store.open(path.join(tmp2.dir, 'store'), { url: '' });
    const got = recorder(s, 't/closed');
    await s.close();
    await s.events.publish('t/closed', {});
    await sleep(30);
    assert.equal(got.length, 0);
    tmp2.cleanup();
  });
});

describe('store events on PostgreSQL (two instances on one schema)', { skip: pgSkip() }, () => {
  const tmp = tempDir('qbsync-events-pg-');
  const schema = testSchema('events');
  const warnings: Record<'a' | 'b', string[]> = { a: [], b: [] };
  let a: Store;
  let b: Store;
  const open = (name: 'a' | 'b', retryMs = 250) =>
    Store.open(path.join(tmp.dir, name), { url: PG_URL, schema, warn: (m) => warnings[name].push(m), events: { retryMs } });
  /** The backend pid of a store's listening connection (its application_name names the instance). */
  const listenerPids = async (store: Store): Promise<number[]> =>
    (await pgQuery('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [`qbsync-events-${store.events.origin}`])).map((r) => Number(r.pid));

  before(async () => {
    a = await open('a');
    b = await open('b', 1_500); // B listens again only after 0.75–1.5 s: time to send while it is deaf
  });
  after(async () => {
    await a?.close();
    await b?.close();
    tmp.cleanup();
  });

  it('a message published on one instance reaches both, each telling whether it raised it', async () => {
    const onA = recorder(a, 'mirror/co-x');
    const onB = recorder(b, 'mirror/co-x');
    await a.events.publish('mirror/co-x', { entity: 'items', ids: ['7'] });
    await eventually('both deliveries', () => onA.length === 1 && onB.length === 1);
    assert.deepEqual(onA[0], { topic: 'mirror/co-x', own: true, payload: { entity: 'items', ids: ['7'] } });
    assert.deepEqual(onB[0], { topic: 'mirror/co-x', own: false, payload: { entity: 'items', ids: ['7'] } });
    assert.notEqual(a.events.origin, b.events.origin);
  });

  it('one listening connection per store, on the schema\'s channel', async () => {
    assert.equal((await listenerPids(a)).length, 1);
    assert.equal((await listenerPids(b)).length, 1);
    const rows = await pgQuery('SELECT query FROM pg_stat_activity WHERE pid = $1', [(await listenerPids(b))[0]]);
    assert.equal(rows[0].query, `LISTEN "${channelOf(schema)}"`);
  });

  it('the largest message NOTIFY accepts goes whole; one byte more goes without its payload', async () => {
    const onB = recorder(b, 'big/pg');
    const largest = payloadOf(a, 'big/pg', MAX_MESSAGE_BYTES);
    await a.events.publish('big/pg', largest);
    await a.events.publish('big/pg', payloadOf(a, 'big/pg', MAX_MESSAGE_BYTES + 1));
    await eventually('both messages', () => onB.length === 2);
    assert.deepEqual(onB[0]!.payload, largest, 'PostgreSQL took 7999 bytes');
    assert.deepEqual(onB[1], { topic: 'big/pg', own: false, clipped: true });
    assert.ok(!warnings.a.some((w) => /could not tell/.test(w)), warnings.a.join('\n'));
    assert.match(warnings.a.join('\n'), /was 8000 bytes, over the 7999/);
  });

  it('a message not from an instance (anyone may NOTIFY on the channel) is ignored with a warning', async () => {
    const onB = recorder(b, 'hostile');
    const notify = (text: string) => pgQuery('SELECT pg_notify($1, $2)', [channelOf(schema), text]);
    await notify('not json {');
    await notify(JSON.stringify({ o: 'x', t: 'hostile', p: 'a string' }));
    await notify(JSON.stringify({ o: 'x', t: 'hostile', p: [1] }));
    await notify(JSON.stringify(null));
    await notify(JSON.stringify({ o: 'x', t: 'hostile', p: { fine: true } }));
    await eventually('the well-formed message', () => onB.length === 1);
    assert.deepEqual(onB[0], { topic: 'hostile', own: false, payload: { fine: true } });
    assert.equal(warnings.b.filter((w) => /store event (that is not JSON|of an unknown form) was ignored/.test(w)).length, 4);
  });

  it('the listening connection ended by the server: listened again, the gap told, later messages delivered', async () => {
    const onB = recorder(b, 'mirror/co-gap');
    const [pid] = await listenerPids(b);
    assert.ok(pid);
    await pgQuery('SELECT pg_terminate_backend($1)', [pid]);
    await eventually('the connection gone', async () => (await listenerPids(b)).length === 0);
    await eventually('the loss warned', () => warnings.b.some((w) => /stopped hearing the other instances' changes/.test(w)));
    // sent while B listens to nothing: lost for B, which is why it is told of the gap
    await a.events.publish('mirror/co-gap', { entity: 'items', ids: ['missed'] });
    await eventually('the gap', () => onB.length >= 1, 15_000);
    assert.deepEqual(onB, [{ topic: 'mirror/co-gap', own: false, gap: true }]);
    const [again] = await listenerPids(b);
    assert.ok(again && again !== pid, 'a new connection');
    assert.match(warnings.b.at(-1)!, /hears the other instances' changes again \(after 1 attempt\)/);
    await a.events.publish('mirror/co-gap', { entity: 'items', ids: ['later'] });
    await eventually('the later message', () => onB.length === 2);
    assert.deepEqual(onB[1], { topic: 'mirror/co-gap', own: false, payload: { entity: 'items', ids: ['later'] } });
  });

  it('a listening connection gone silent (no answer to its heartbeat) counts as lost: listened again, the gap told', async () => {
    const tmp2 = tempDir('qbsync-events-silent-');
    const warned: string[] = [];
    const c = await Store.open(path.join(tmp2.dir, 'c'), { url: PG_URL, schema, warn: (m) => warned.push(m), events: { heartbeatMs: 100, timeoutMs: 300, retryMs: 50 } });
    try {
      const got = recorder(c, 'mirror/co-silent');
      const [pid] = await listenerPids(c);
      // its socket no longer read: what the server sends, answers and notifications alike, goes unheard
      (c.events as unknown as { client: { connection: { stream: { pause(): void } } } }).client.connection.stream.pause();
      await eventually('the loss', () => warned.some((w) => /stopped hearing the other instances' changes \(Query read timeout\)/.test(w)));
      await eventually('the gap', () => got.some((m) => m.gap));
      const [again] = await listenerPids(c);
      assert.ok(again && again !== pid, 'a new connection');
      await a.events.publish('mirror/co-silent', { entity: 'items' });
      await eventually('a later message', () => got.some((m) => m.payload?.entity === 'items'));
    } finally {
      await c.close();
      tmp2.cleanup();
    }
  });

  it('publishing never throws at the caller when the server refuses (warned instead); closing ends the listening connection', async () => {
    const tmp2 = tempDir('qbsync-events-refused-');
    const warned: string[] = [];
    const s = await Store.open(path.join(tmp2.dir, 'c'), { url: PG_URL, schema, warn: (m) => warned.push(m) });
    assert.equal((await listenerPids(s)).length, 1);
    await (s as unknown as { backend: { close(): Promise<void> } }).backend.close(); // its pool ended under it
    await s.events.publish('t/refused', {});
    assert.match(warned.join('\n'), /could not tell the other instances of a change \(t\/refused\)/);
    await s.events.close();
    assert.equal((await listenerPids(s)).length, 0);
    tmp2.cleanup();
  });

  it('a listening connection that cannot be opened: the store still works, one warning for many attempts, none after close', async () => {
    const warned: string[] = [];
    const pool = createPool(PG_URL);
    const unreachable = 'postgres://postgres@127.0.0.1:1/test'; // nothing listens on port 1
    const events = new PgEvents(pool, unreachable, schema, (m) => warned.push(m), { retryMs: 20, maxRetryMs: 40 });
    await events.start(); // resolves: hearing the others is not needed to work
    const got: StoreMessage[] = [];
    events.subscribe('t/deaf', (m) => got.push(m));
    await sleep(400);
    assert.equal(warned.length, 1, warned.join('\n'));
    assert.match(warned[0]!, /cannot hear the other instances' changes \(.+\): trying again/);
    await events.publish('t/deaf', { sent: true }); // NOTIFY goes through the pool
    assert.equal(warned.length, 1);
    await events.close();
    const attempts = (events as unknown as { failures: number }).failures;
    assert.ok(attempts >= 5, `it kept trying (${attempts})`);
    await sleep(150);
    assert.equal((events as unknown as { failures: number }).failures, attempts, 'no attempt after close');
    assert.deepEqual(got, []);
    await pool.end();
  });
});
