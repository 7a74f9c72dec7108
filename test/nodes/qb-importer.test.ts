import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextMessage, nodeHelper as helper } from '../support/helper';
import { useNodeRed } from '../support/lifecycle';
import { QbwcNodeTest, loadExample, statusTexts } from '../support/qbwc-node';
import { QbdCompany } from '../sim/qbd';

const t = new QbwcNodeTest('importer');
const { qbwcServer, wcId, wcPath, creds } = t;
const importer = require('../../nodes/qb-importer/qb-importer');

function flow(props: Record<string, unknown> = {}, pageSize = 50) {
  t.nextConnection();
  return [
    { id: 'tab', type: 'tab' },
    { id: wcId(), type: 'qbwc-server', path: wcPath(), pageSize },
    { id: 'im', z: 'tab', type: 'qb-importer', edition: 'qbd', qbwc: wcId(), ...props, wires: [['pages'], ['progress'], ['reply']] },
    { id: 'pages', z: 'tab', type: 'helper' },
    { id: 'progress', z: 'tab', type: 'helper' },
    { id: 'reply', z: 'tab', type: 'helper' },
    { id: 'c1', z: 'tab', type: 'catch', scope: ['im'], uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'tab', type: 'helper' },
  ];
}

async function load(props: Record<string, unknown> = {}, pageSize = 50) {
  await helper.load([qbwcServer, importer], flow(props, pageSize), creds());
  await t.whenCompany();
  await t.serve();
}

async function send(msg: Record<string, unknown>, output: string): Promise<Record<string, any>> {
  const waiting = nextMessage(helper.getNode(output));
  helper.getNode('im').receive(msg);
  return waiting;
}

/** Collects every message a helper node receives from now on. */
function collect(id: string): Record<string, any>[] {
  const got: Record<string, any>[] = [];
  helper.getNode(id).on('input', (msg: Record<string, any>) => got.push(msg));
  return got;
}

/** Tomorrow's date: records QuickBooks modified today fall inside a range that ends there. */
const tomorrow = () => new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);

/** Resolves with the next output-2 message that reports a finished job. */
function completion(): Promise<Record<string, any>> {
  return new Promise((resolve) => {
    helper.getNode('progress').on('input', (msg: Record<string, any>) => {
      if (msg.payload.done || msg.payload.status === 'Error') resolve(msg);
    });
  });
}

describe('qb-importer node', () => {
  useNodeRed(t.tmp, t.httpNode);

  it('queues one import job per entity and replies on output 3', async () => {
    await load();
    const reply = await send({ payload: { from: '2020-01-01', to: '2026-12-31', entities: ['items', 'customers'] } }, 'reply');
    assert.deepEqual(reply.payload.queued.map((q: { key: string }) => q.key), ['import:items:2020-01-01:2026-12-31', 'import:customers:2020-01-01:2026-12-31']);
    assert.ok(reply.payload.queued.every((q: { state: string; created: boolean }) => q.state === 'approved' && q.created));
  });

  it('the same request while its job waits queues nothing new', async () => {
    await load();
    await send({ payload: { from: '2020-01-01', to: '2026-12-31', entities: ['items'] } }, 'reply');
    const again = await send({ payload: { from: '2020-01-01', to: '2026-12-31', entities: ['items'] } }, 'reply');
    assert.equal(again.payload.queued[0].created, false);
  });

  it('with review on, import jobs wait in the queue', async () => {
    await load({ autoApprove: false });
    const reply = await send({ payload: { from: '2020-01-01', to: '2026-12-31', entities: ['items'] } }, 'reply');
    assert.equal(reply.payload.queued[0].state, 'queued');
  });

  it('warns before invoices are imported without customers or mapped charges (BluBilling\'s words)', async () => {
    await load();
    const reply = await send({ payload: { from: '2020-01-01', to: '2026-12-31', entities: ['invoices'] } }, 'reply');
    assert.match(reply.payload.warnings[0], /Before importing invoices, ensure that \(a\) all customers have been imported correctly/);
  });

  it('refuses a bad request with a real Error naming each bad field, to a Catch node', async () => {
    await load();
    const caught = await send({ payload: { from: '2026-02-30', entities: ['vendors'] } }, 'caught');
    assert.match(caught.error.message, /\/from/);
    assert.match(caught.error.message, /\/to is required/);
    assert.match(caught.error.message, /\/entities\/0/);
    assert.equal(caught.error.source.id, 'im');
  });

  it('sends each imported page on output 1 in the documented shape', async () => {
    await load();
    const qb = new QbdCompany({});
    qb.seedItems(3, { prefix: 'Plan' });
    await send({ payload: { from: '2000-01-01', to: tomorrow(), entities: ['items'] } }, 'reply');
    const page = nextMessage(helper.getNode('pages'), 10_000);
    const session = await t.webConnector(qb).runSession();
    assert.equal(session.ok, true, JSON.stringify(session.errors));
    const msg = await page;
    assert.equal(msg.topic, 'imported/items');
    assert.equal(msg.payload.entity, 'items');
    assert.equal(msg.payload.job, `import:items:2000-01-01:${tomorrow()}`);
    assert.equal(msg.payload.count, 3);
    assert.equal(msg.payload.done, true);
    assert.equal(msg.payload.records.length, 3);
    const first = msg.payload.records[0];
    assert.deepEqual(Object.keys(first).sort(), ['active', 'fields', 'id', 'name']);
    assert.equal(first.id, qb.all('Item').find((i) => i.Name === first.name)?.ListID);
  });

  it('a large import comes in bounded pages with a running count and progress on output 2', async () => {
    await load({}, 2);
    const qb = new QbdCompany({});
    qb.seedItems(5, { prefix: 'Plan' });
    await send({ payload: { from: '2000-01-01', to: tomorrow(), entities: ['items'] } }, 'reply');
    const pages = collect('pages');
    const progress = collect('progress');
    const done = completion();
    const session = await t.webConnector(qb).runSession();
    assert.equal(session.ok, true, JSON.stringify(session.errors));
    await done;
    assert.deepEqual(pages.map((m) => [m.payload.records.length, m.payload.count, m.payload.done]), [[2, 2, false], [2, 4, false], [1, 5, true]]);
    assert.deepEqual(progress.filter((m) => !m.payload.done).map((m) => m.payload.count), [2, 4]);
  });

  it('reports the completion on output 2 with the count, and the progress in its status', async () => {
    await load();
    const qb = new QbdCompany({});
    qb.seed({ customers: [{ Name: 'Baker & Sons' }, { Name: 'Harbor Fish' }] });
    await send({ payload: { from: '2000-01-01', to: tomorrow(), entities: ['customers'] } }, 'reply');
    const texts = statusTexts(helper.getNode('im'));
    const done = completion();
    await t.webConnector(qb).runSession();
    const msg = await done;
    assert.equal(msg.topic, 'complete/customers');
    assert.equal(msg.payload.status, 'Complete');
    assert.equal(msg.payload.count, 2);
    await new Promise((r) => setImmediate(r));
    assert.ok(texts.includes('customers: 2 imported'), JSON.stringify(texts));
  });

  it('topic "status" replies with every import and a status text', async () => {
    await load();
    await send({ payload: { from: '2020-01-01', to: '2026-12-31', entities: ['items'] } }, 'reply');
    const reply = await send({ topic: 'status', payload: {} }, 'reply');
    assert.equal(reply.payload.imports.length, 1);
    assert.equal(reply.payload.imports[0].status, 'In Queue');
    assert.equal(reply.payload.text, 'items: queued');
  });

  it('its example flow deploys', async () => {
    await loadExample('qb-importer/01-import-by-date-range.json', [qbwcServer, importer], { 'exm-wc': { username: 'u', password: 'p' } });
    assert.equal(helper.getNode('exm-m1').type, 'qb-importer');
    await (helper.getNode('exm-wc') as any).whenCompany();
  });
});
