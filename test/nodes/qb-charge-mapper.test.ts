import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextMessage, nodeHelper as helper } from '../support/helper';
import { useNodeRed } from '../support/lifecycle';
import { QbwcNodeTest, loadExample, statusTexts } from '../support/qbwc-node';
import { QbdCompany } from '../sim/qbd';

const t = new QbwcNodeTest('charges');
const { qbwcServer, wcId, wcPath, creds } = t;
const chargeMapper = require('../../nodes/qb-charge-mapper/qb-charge-mapper');

/** A flow with one charge mapper on a Desktop connection, its three outputs and a Catch on helper nodes. */
function flow(props: Record<string, unknown> = {}) {
  t.nextConnection();
  return [
    { id: 'tab', type: 'tab' },
    { id: wcId(), type: 'qbwc-server', path: wcPath(), pageSize: 50 },
    { id: 'cm', z: 'tab', type: 'qb-charge-mapper', edition: 'qbd', qbwc: wcId(), ...props, wires: [['mapped'], ['unmapped'], ['summary']] },
    { id: 'mapped', z: 'tab', type: 'helper' },
    { id: 'unmapped', z: 'tab', type: 'helper' },
    { id: 'summary', z: 'tab', type: 'helper' },
    { id: 'c1', z: 'tab', type: 'catch', scope: ['cm'], uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'tab', type: 'helper' },
  ];
}

async function load(props: Record<string, unknown> = {}, items: string[] = ['Hosting - Monthly', 'Setup Fee']) {
  await helper.load([qbwcServer, chargeMapper], flow(props), creds());
  const company = await t.whenCompany();
  await company.mirror.upsert('items', items.map((name, i) => ({ id: `8000000${i}-1`, name, active: true, data: {} })));
  return company;
}

/** Sends a message to the mapper and collects what reaches `outputs` (each helper's next message). */
async function send(msg: Record<string, unknown>, ...outputs: string[]): Promise<Record<string, any>[]> {
  const waiting = outputs.map((id) => nextMessage(helper.getNode(id)));
  helper.getNode('cm').receive(msg);
  return Promise.all(waiting);
}

/**
 * With no items known and the Web Connector path served: charge ch-9 (Price Code "Support Plan") waits
 * unmapped, and the next session's full item import brings the item. Returns the QuickBooks company.
 */
async function chargeWaitingForItem(): Promise<QbdCompany> {
  const company = await load({}, []);
  await t.serve();
  await send({ payload: { id: 'ch-9', name: 'Support', priceCode: 'Support Plan' } }, 'unmapped');
  const qb = new QbdCompany({});
  qb.seed({ items: [{ type: 'ItemService', Name: 'Support Plan', Price: 10 }] });
  await company.resync({ full: true });
  return qb;
}

describe('qb-charge-mapper node', () => {
  useNodeRed(t.tmp, t.httpNode);

  it('maps a charge to the QuickBooks item named exactly as its Price Code (output 1)', async () => {
    await load();
    const [mapped] = await send({ payload: { id: 'ch-1', name: 'Monthly Hosting', priceCode: 'Hosting - Monthly' } }, 'mapped');
    assert.deepEqual(mapped.payload, [{ chargeId: 'ch-1', name: 'Monthly Hosting', priceCode: 'Hosting - Monthly', qbId: '80000000-1', manual: false }]);
  });

  it('sends a charge without a matching item to output 2 with BluBilling\'s instruction', async () => {
    await load();
    const [unmapped] = await send({ payload: { id: 'ch-2', name: 'Setup', priceCode: 'Setup fee' } }, 'unmapped');
    assert.equal(unmapped.payload.length, 1);
    assert.equal(unmapped.payload[0].appId, 'ch-2');
    assert.equal(unmapped.payload[0].issue, 'unmapped-charge');
    assert.match(unmapped.payload[0].resolution, /entered Exactly as it appears under the Name column in the Item List/);
  });

  it('tells a charge without a Price Code to enter one', async () => {
    await load();
    const [unmapped] = await send({ payload: { id: 'ch-3', name: 'Discount' } }, 'unmapped');
    assert.equal(unmapped.payload[0].issue, 'missing-price-code');
    assert.match(unmapped.payload[0].resolution, /Price Code/);
  });

  it('answers one summary per input on output 3, with the counts', async () => {
    await load();
    const [summary] = await send({ payload: [{ id: 'a', name: 'A', priceCode: 'Setup Fee' }, { id: 'b', name: 'B', priceCode: 'Nope' }] }, 'summary');
    assert.equal(summary.payload.mapped, 1);
    assert.equal(summary.payload.unmapped, 1);
    assert.deepEqual(summary.payload.byIssue, { 'unmapped-charge': 1 });
    assert.deepEqual(summary.payload.charges.map((c: { chargeId: string }) => c.chargeId), ['a']);
    assert.deepEqual(summary.payload.issues.map((c: { appId: string }) => c.appId), ['b']);
  });

  it('shows the counts in its status', async () => {
    await load();
    const texts = statusTexts(helper.getNode('cm'));
    await send({ payload: [{ id: 'a', name: 'A', priceCode: 'Setup Fee' }, { id: 'b', name: 'B', priceCode: 'Nope' }] }, 'summary');
    await new Promise((r) => setImmediate(r));
    assert.ok(texts.includes('1 mapped, 1 unmapped'), JSON.stringify(texts));
  });

  it('topic "issues" lists every unmapped charge on output 3', async () => {
    await load();
    await send({ payload: [{ id: 'a', name: 'A', priceCode: 'Setup Fee' }, { id: 'b', name: 'B', priceCode: 'Nope' }] }, 'summary');
    const [issues] = await send({ topic: 'issues', payload: {} }, 'summary');
    assert.deepEqual(issues.payload.map((i: { appId: string }) => i.appId), ['b']);
  });

  it('an edited rule decides the key (here: the Price Code trimmed)', async () => {
    await load({ rule: '$trim(priceCode)' });
    const [mapped] = await send({ payload: { id: 'ch-1', name: 'Setup', priceCode: '  Setup Fee ' } }, 'mapped');
    assert.equal(mapped.payload[0].qbId, '80000001-1');
  });

  it('refuses an invalid charge with a real Error naming the field, to a Catch node', async () => {
    await load();
    const [caught] = await send({ payload: { id: 'ch-1', priceCode: 'Setup Fee' } }, 'caught');
    assert.match(caught.error.message, /\/name is required/);
    assert.doesNotMatch(caught.error.message, /\[object Object\]/);
    assert.equal(caught.error.source.id, 'cm');
  });

  it('an invalid rule fails each input with an error naming the rule', async () => {
    await helper.load([qbwcServer, chargeMapper], flow({ rule: 'priceCode +' }), creds());
    const [caught] = await send({ payload: { id: 'ch-1', name: 'Setup', priceCode: 'Setup Fee' } }, 'caught');
    assert.match(caught.error.message, /charge-item-name/);
  });

  it('without a connection each input fails with a clear error', async () => {
    await helper.load([qbwcServer, chargeMapper], flow({ qbwc: '' }), creds());
    const [caught] = await send({ payload: { id: 'ch-1', name: 'Setup', priceCode: 'Setup Fee' } }, 'caught');
    assert.match(caught.error.message, /no QuickBooks Desktop \(qbwc-server\) connection is chosen/);
    // Let the (unused) connection finish opening: qbwc-server closed while still opening keeps its store open.
    await t.whenCompany();
  });

  it('maps waiting charges again when an item import finishes, and sends them with topic "remap"', async () => {
    const qb = await chargeWaitingForItem();
    const remapped = nextMessage(helper.getNode('mapped'), 10_000);
    const session = await t.webConnector(qb).runSession();
    assert.equal(session.ok, true, JSON.stringify(session.errors));
    const msg = await remapped;
    assert.equal(msg.topic, 'remap');
    assert.equal(msg.payload[0].chargeId, 'ch-9');
    assert.equal(msg.payload[0].qbId, qb.get('Item', 'Support Plan')?.ListID);
  });

  it('an item import re-maps once per change, though it fires both "synced" and "job"', async () => {
    const qb = await chargeWaitingForItem();
    const remaps: Record<string, any>[] = [];
    helper.getNode('mapped').on('input', (msg: Record<string, any>) => remaps.push(msg));
    const bothDone = new Promise<void>((resolve) => {
      let n = 0;
      helper.getNode('cm').on('call:status', (call: { args: Array<{ text?: string }> }) => {
        if (call.args[0]?.text === '1 mapped, 0 unmapped' && ++n === 2) resolve();
      });
    });
    await t.webConnector(qb).runSession();
    await bothDone;
    assert.equal(remaps.length, 1);
  });

  it('its example flow deploys', async () => {
    await loadExample('qb-charge-mapper/01-map-charges-by-price-code.json', [qbwcServer, chargeMapper], { 'exc-wc': { username: 'u', password: 'p' } });
    assert.equal(helper.getNode('exc-m1').type, 'qb-charge-mapper');
    await (helper.getNode('exc-wc') as any).whenCompany();
  });
});
