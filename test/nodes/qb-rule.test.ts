import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { nextMessage, nodeHelper as helper } from '../support/helper';

const ruleNode = require('../../nodes/qb-rule/qb-rule');
const catchNode = require('@node-red/nodes/core/common/25-catch');

function flow(props: Record<string, unknown>) {
  return [
    { id: 'tab', type: 'tab' },
    { id: 'r1', z: 'tab', type: 'qb-rule', name: '', rule: 'item-key.app', expression: '', property: 'payload', output: 'payload', wires: [['out']], ...props },
    { id: 'out', z: 'tab', type: 'helper' },
    { id: 'c1', z: 'tab', type: 'catch', scope: ['r1'], uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'tab', type: 'helper' },
  ];
}

describe('qb-rule node', () => {
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(() => helper.unload());

  it('evaluates the default rule from rules/ when the expression is empty', async () => {
    await helper.load([ruleNode, catchNode], flow({}));
    const got = nextMessage(helper.getNode('out'));
    helper.getNode('r1').receive({ payload: { id: 'it-1', sku: '  KUM-60 ' } });
    assert.equal((await got).payload, 'kum-60');
  });

  it('evaluates an admin-edited expression, reading and writing configured properties', async () => {
    await helper.load([ruleNode, catchNode], flow({ expression: '$normEmail(billingEmail)', property: 'payload.customer', output: 'key' }));
    const got = nextMessage(helper.getNode('out'));
    helper.getNode('r1').receive({ payload: { customer: { billingEmail: ' AP@X.example ' } } });
    const msg = await got;
    assert.equal(msg.key, 'ap@x.example');
    assert.deepEqual(msg.payload, { customer: { billingEmail: ' AP@X.example ' } });
  });

  it('a runtime error reaches a Catch node as a real Error naming the rule', async () => {
    await helper.load([ruleNode, catchNode], flow({ name: 'price check', expression: 'quantity * "x"' }));
    const caught = nextMessage(helper.getNode('caught'));
    helper.getNode('r1').receive({ payload: { quantity: 2 } });
    const msg = await caught;
    assert.match(msg.error.message, /^RuleError: Rule "price check" failed at position \d+: .*\[T2002\]/);
    assert.equal(msg.error.source.id, 'r1');
  });

  it('a syntax error is logged at deploy with the rule and position, and every message fails with it', async () => {
    await helper.load([ruleNode, catchNode], flow({ name: 'broken', expression: '$normKey(sku' }));
    const logged = helper.log().args.filter((a) => a[0]?.type === 'qb-rule' && a[0]?.level === 20);
    assert.ok(logged.some((a) => /Rule "broken" has a syntax error at position 12/.test(a[0].msg)), 'logged at deploy');
    const caught = nextMessage(helper.getNode('caught'));
    helper.getNode('r1').receive({ payload: {} });
    assert.match((await caught).error.message, /Rule "broken" has a syntax error at position 12/);
  });

  it('GET /qbsync/rules/:name returns a default rule with its samples for the editor', async () => {
    await helper.load([ruleNode, catchNode], flow({}));
    const res = await helper.request().get('/qbsync/rules/invoice.qbo').expect(200);
    assert.equal(res.body.name, 'invoice.qbo');
    assert.match(res.body.source, /SalesItemLineDetail/);
    assert.ok(res.body.samples[0].input.order);
    await helper.request().get('/qbsync/rules/nope').expect(404);
  });

  it('POST /qbsync/rules/test runs a rule server-side with the helper functions', async () => {
    await helper.load([ruleNode, catchNode], flow({}));
    const ok = await helper.request().post('/qbsync/rules/test').send({ expression: '$qbText(name, 4)', sample: '{"name":"Šuma Bay"}' }).expect(200);
    assert.deepEqual(ok.body, { ok: true, result: 'Suma' });
  });

  it('POST /qbsync/rules/test reports a syntax error with its position', async () => {
    await helper.load([ruleNode, catchNode], flow({}));
    const res = await helper.request().post('/qbsync/rules/test').send({ name: 'item-key.app', expression: '$normKey(sku', sample: {} }).expect(200);
    assert.equal(res.body.ok, false);
    assert.equal(res.body.error.position, 12);
    assert.match(res.body.error.message, /Rule "item-key.app" has a syntax error at position 12/);
  });

  it('POST /qbsync/rules/test refuses a sample that is not JSON', async () => {
    await helper.load([ruleNode, catchNode], flow({}));
    const res = await helper.request().post('/qbsync/rules/test').send({ expression: 'a', sample: '{not json' }).expect(400);
    assert.match(res.body.error.message, /sample is not valid JSON/);
  });
});
