import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { nextMessage, nodeHelper as helper } from '../support/helper';
import { withLoopWatch } from '../support/loop-watch';

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

  // Issue 10, item 4: hostile rules on the Test route and on records, in a running Node-RED.
  const hostile: Array<[string, RegExp]> = [
    ['$contains("aaaaaaaaaaaaaaaaaaaaaaaaaaaa!", /^(a+)+$/)', /^QB_UNSAFE_REGEX$/],
    ['$pad("", 5e7, "x")', /^QB_TEXT_LIMIT$/],
    ['$length($pad("", 2e8, "x"))', /^QB_TEXT_LIMIT$/],
    ['($f := function($s, $n){ $n = 0 ? $s : $f($s & $s, $n - 1) }; $length($f("x", 40)))', /^QB_TEXT_LIMIT$/],
  ];

  it('POST /qbsync/rules/test answers each hostile rule with a JSON error naming the rule; the runtime stays responsive', async () => {
    await helper.load([ruleNode, catchNode], flow({}));
    const { worstGap } = await withLoopWatch(async () => {
      for (const [expression, code] of hostile) {
        const res = await helper.request().post('/qbsync/rules/test').send({ name: 'hostile', expression, sample: '{}' }).expect(200).expect('content-type', /json/);
        assert.equal(res.body.ok, false, expression);
        assert.match(res.body.error.code, code, `${expression}: ${JSON.stringify(res.body)}`);
        assert.match(res.body.error.message, /^Rule "hostile" /);
        assert.doesNotMatch(JSON.stringify(res.body), /\/work\/|node_modules|at .*\.js:\d+/);
      }
    });
    assert.ok(worstGap < 2000, `the event loop stalled ${worstGap} ms`);
    const after = await helper.request().post('/qbsync/rules/test').send({ expression: '$normKey(sku)', sample: { sku: ' A ' } }).expect(200);
    assert.deepEqual(after.body, { ok: true, result: 'a' });
  });

  it('parallel POST /qbsync/rules/test requests run one at a time: the rest wait or get 429 JSON, none stalls the runtime', async () => {
    await helper.load([ruleNode, catchNode], flow({}));
    const slow = '($f := function($n){ $f($n + 1) }; $f(0))'; // runs into the 1 s limit
    const { value: answers, worstGap } = await withLoopWatch(() =>
      Promise.all(Array.from({ length: 4 }, (_, i) => helper.request().post('/qbsync/rules/test').send({ name: `p${i}`, expression: slow, sample: {} }))),
    );
    for (const res of answers as Array<{ status: number; body: any; headers: Record<string, string> }>) {
      assert.ok(res.status === 200 || res.status === 429, `status ${res.status}`);
      assert.match(res.headers['content-type'], /json/);
      assert.equal(res.body.ok, false);
      if (res.status === 429) assert.equal(res.body.error.code, 'QB_RULE_TEST_BUSY');
      else assert.match(res.body.error.code, /^D101[12]$/);
    }
    const statuses = (answers as Array<{ status: number }>).map((r) => r.status);
    assert.ok(statuses.includes(200), `${statuses}`);
    assert.ok(statuses.includes(429), `four tests of 1 s each cannot all start within the 2 s wait: ${statuses}`);
    assert.ok(worstGap < 2000, `the event loop stalled ${worstGap} ms`);
  });

  it('the same hostile rules deployed in a qb-rule node fail each message with an Error at a Catch node', async () => {
    for (const [expression, code] of hostile) {
      await helper.load([ruleNode, catchNode], flow({ name: 'hostile', expression }));
      const caught = nextMessage(helper.getNode('caught'), 5000);
      helper.getNode('r1').receive({ payload: {} });
      const msg = await caught;
      assert.match(msg.error.message, /^RuleError: Rule "hostile" /, expression);
      // a refused regex fails at deploy (the text carries no code), a size limit fails per message
      assert.match(msg.error.message, code.test('QB_UNSAFE_REGEX') ? /is refused at position \d+: nested quantifiers/ : /\[QB_TEXT_LIMIT\]$/, expression);
      await helper.unload();
    }
  });
});
