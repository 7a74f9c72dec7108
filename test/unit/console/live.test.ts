/**
 * The console's live updates (console-routes over Node-RED's comms) with Node-RED faked down to what
 * the routes use: on nedb a company's event is pushed once; on PostgreSQL, with two instances of one
 * company on one store (two Store objects on one schema, one fake runtime each), an event or a job
 * change raised on A reaches the consoles of B, once, and is never sent back; B's consoles refresh after
 * B missed messages; names B does not know are dropped.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Company } from '../../../nodes/lib/company/types';
import { registerConsoleRoutes } from '../../../nodes/lib/node-red/console-routes';
import { companyTopic, Store, type StoreMessage } from '../../../nodes/lib/store';
import { channelOf } from '../../../nodes/lib/store/events';
import { Instances } from '../../support/instances';
import { pgQuery, pgSkip } from '../../support/pg';
import { tempDir } from '../../support/tmp';
import { eventually, sleep } from '../../support/wait';
import { TestCompany } from '../handlers/support';

const LIVE = ['status', 'synced', 'job', 'matches', 'imported', 'linked', 'session', 'settings'];

interface Pushed {
  topic: string;
  data: { connection: string; events: string[] };
}

/** A Node-RED runtime as console-routes sees it, with one deployed connection whose company is `company`; comms captured. */
function fakeRuntime(company: Company): { comms: Pushed[]; start(): Promise<void>; post(route: string, params: Record<string, string>, body: unknown): Promise<{ status: number; body: unknown }> } {
  const comms: Pushed[] = [];
  const routes = new Map<string, (req: unknown, res: unknown) => void>();
  const listeners = new Map<string, (...args: unknown[]) => void>();
  const noop = () => undefined;
  const RED = {
    nodes: {
      createNode: noop,
      registerType: noop,
      getNode: (id: string) => (id === company.id ? { whenCompany: async () => company } : null),
      eachNode: (cb: (config: { id: string; type: string; name?: string }) => void) => cb({ id: company.id, type: 'qbo-connection', name: 'Live' }),
    },
    events: { on: (event: string, fn: (...args: unknown[]) => void) => listeners.set(event, fn), removeListener: (event: string) => listeners.delete(event) },
    httpAdmin: { get: noop, post: (route: string, ...handlers: Array<(req: unknown, res: unknown) => void>) => routes.set(route, handlers.at(-1)!) },
    httpNode: { get: noop, post: noop },
    auth: { needsPermission: () => noop },
    settings: {},
    log: { info: noop, warn: noop, error: noop },
    _: (key: string) => key,
    comms: { publish: (topic: string, data: unknown) => comms.push({ topic, data: data as Pushed['data'] }) },
  };
  registerConsoleRoutes(RED as never);
  return {
    comms,
    /** Calls a POST route's handler (the permission check left out) and resolves with its answer. */
    post: (route, params, body) => new Promise((resolve) => {
      let status = 200;
      const res = { status: (code: number) => ((status = code), res), json: (b: unknown) => resolve({ status, body: b }), send: noop };
      routes.get(route)!({ params, body, query: {} }, res);
    }),
    async start() {
      listeners.get('flows:started')?.();
      await sleep(50); // the connection's company resolves, the routes listen to it
    },
  };
}

/** The live messages of a company pushed to a runtime's consoles (the deploy notice left out). */
const of = (comms: Pushed[], company: Company) => comms.filter((c) => c.topic === `qbsync/console/${company.id}`);

describe('console live updates on nedb (one process)', () => {
  const tmp = tempDir('qbsync-live-');
  let store: Store;
  let company: TestCompany;
  before(async () => {
    store = await Store.open(path.join(tmp.dir, 'store'), { url: '' });
    company = new TestCompany('co-live-nedb', 'qbo', store, { invoiceCreation: true });
  });
  after(async () => {
    await company.close();
    await store.close();
    tmp.cleanup();
  });

  it('a burst of company events is one message to the consoles, and the store\'s own copy of it is not pushed again', async () => {
    const runtime = fakeRuntime(company);
    await runtime.start();
    company.emit('synced', { entities: ['items'] });
    company.emit('matches', { kind: 'item', appIds: ['a'] });
    await eventually('the push', () => of(runtime.comms, company).length === 1);
    assert.deepEqual(of(runtime.comms, company)[0]!.data.events, ['synced', 'matches']);
    await sleep(700);
    assert.equal(of(runtime.comms, company).length, 1, 'no second push');
  });
});

describe('console live updates across two instances on PostgreSQL', { skip: pgSkip() }, () => {
  const group = new Instances('live');
  let storeA: Store;
  let storeB: Store;
  let a: TestCompany;
  let b: TestCompany;
  let onA: ReturnType<typeof fakeRuntime>;
  let onB: ReturnType<typeof fakeRuntime>;
  /** Every console message on the store, as instance A hears them. */
  const relayed: StoreMessage[] = [];

  before(async () => {
    storeA = await group.add();
    storeB = await group.add();
    a = new TestCompany('co-live', 'qbo', storeA, { invoiceCreation: true });
    b = new TestCompany('co-live', 'qbo', storeB, { invoiceCreation: true });
    storeA.events.subscribe(companyTopic('console', a.id), (m) => relayed.push(m));
    // one console-routes per process: A's listeners to its company stay, B's runtime then takes over the rest
    onA = fakeRuntime(a);
    await onA.start();
    onB = fakeRuntime(b);
    await onB.start();
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await group.close();
  });

  it('an event raised on A reaches the consoles on B once, and A\'s once (never sent back)', async () => {
    a.emit('synced', { entities: ['items'] });
    await eventually('B\'s push', () => of(onB.comms, b).length === 1);
    assert.equal(of(onB.comms, b)[0]!.data.connection, 'co-live');
    assert.deepEqual(of(onB.comms, b)[0]!.data.events, ['synced']);
    await sleep(800);
    assert.equal(of(onA.comms, a).length, 1, 'A pushed its own event once');
    assert.equal(of(onB.comms, b).length, 1, 'B pushed it once');
    assert.deepEqual(relayed.map((m) => [m.own, m.payload]), [[true, { events: ['synced'] }]], 'A sent it, B did not send it on');
  });

  it('a job finished on A (queue view) reaches the consoles on B', async () => {
    const pushed = of(onB.comms, b).length;
    await a.outbox.enqueue({ key: 'item:live-1', kind: 'item.add', payload: {} });
    await a.outbox.approve(['item:live-1']);
    await a.completeJob('item:live-1', 'qb-1');
    await eventually('B\'s push', () => of(onB.comms, b).length === pushed + 1);
    assert.deepEqual(of(onB.comms, b).at(-1)!.data.events, ['job']);
  });

  it('an event raised on B is pushed on B once and sent to the other instances', async () => {
    const pushed = of(onB.comms, b).length;
    relayed.length = 0;
    b.emit('imported', { entity: 'items' });
    await eventually('B\'s push and its message', () => of(onB.comms, b).length === pushed + 1 && relayed.length === 1);
    assert.deepEqual(of(onB.comms, b).at(-1)!.data.events, ['imported']);
    assert.deepEqual(relayed.map((m) => [m.own, m.payload]), [[false, { events: ['imported'] }]]);
    await sleep(600);
    assert.equal(of(onB.comms, b).length, pushed + 1, 'B did not push its own message again');
  });

  it('General settings saved in the console on A apply on B (its invoice creation switch), and B\'s consoles refresh', async () => {
    const pushed = of(onB.comms, b).length;
    assert.equal(b.settings.invoiceCreation, true);
    const answer = await onA.post('/qbsync/console/api/connections/:id/general', { id: a.id }, { invoiceCreation: false });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(a.settings.invoiceCreation, false);
    await eventually('B\'s push', () => of(onB.comms, b).length === pushed + 1);
    assert.deepEqual(of(onB.comms, b).at(-1)!.data.events, ['settings']);
    assert.equal(b.settings.invoiceCreation, false, 'applied on B before its consoles were told');
  });

  it('event names B does not know are dropped (anyone may send on the channel)', async () => {
    const pushed = of(onB.comms, b).length;
    await pgQuery('SELECT pg_notify($1, $2)', [channelOf(group.schema), JSON.stringify({ o: 'elsewhere', t: companyTopic('console', b.id), p: { events: ['<script>', 'linked', 42] } })]);
    await pgQuery('SELECT pg_notify($1, $2)', [channelOf(group.schema), JSON.stringify({ o: 'elsewhere', t: companyTopic('console', b.id), p: { events: 'status' } })]);
    await eventually('B\'s push', () => of(onB.comms, b).length === pushed + 1);
    assert.deepEqual(of(onB.comms, b).at(-1)!.data.events, ['linked']);
  });

  it('after B missed messages (its listening connection lost) its consoles are told everything may have changed', async () => {
    const pushed = of(onB.comms, b).length;
    await pgQuery('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [`qbsync-events-${storeB.events.origin}`]);
    await eventually('B\'s push', () => of(onB.comms, b).length === pushed + 1);
    assert.deepEqual([...of(onB.comms, b).at(-1)!.data.events].sort(), [...LIVE].sort());
  });
});
