import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { nextMessage, nodeHelper as helper, receivesWithin } from '../support/helper';

const validateNode = require('../../nodes/qb-validate/qb-validate');

const flow = (schema: string) => [
  { id: 'v1', type: 'qb-validate', schema, wires: [['valid'], ['invalid']] },
  { id: 'valid', type: 'helper' },
  { id: 'invalid', type: 'helper' },
];

describe('qb-validate node', () => {
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(() => helper.unload());

  it('passes a valid message through the first output unchanged', async () => {
    await helper.load(validateNode, flow('bluetrace-item'));
    const got = nextMessage(helper.getNode('valid'));
    helper.getNode('v1').receive({ payload: { id: 'it-1', name: 'Kumamoto', sku: 'KUM-60' } });
    assert.deepEqual((await got).payload, { id: 'it-1', name: 'Kumamoto', sku: 'KUM-60' });
  });

  it('sends an invalid message to the second output with every failing field and status 400', async () => {
    await helper.load(validateNode, flow('bluetrace-packed-order'));
    const got = nextMessage(helper.getNode('invalid'));
    const validGot = receivesWithin(helper.getNode('valid'), 200);
    helper.getNode('v1').receive({ payload: { id: 'so-1', orderNumber: 'SO-1', packedDate: 'yesterday', lines: [] } });
    const msg = await got;
    assert.equal(msg.statusCode, 400);
    assert.deepEqual(msg.error.problems.map((p: { path: string }) => p.path), ['/customerId', '/packedDate', '/lines']);
    assert.match(msg.error.message, /^Invalid BlueTrace packed order: /);
    assert.equal(await validGot, false);
  });

  it('an unknown schema is reported at deploy and fails each message', async () => {
    await helper.load(validateNode, flow('nope'));
    assert.ok(helper.log().args.some((a) => a[0]?.type === 'qb-validate' && /unknown schema "nope"/.test(a[0]?.msg)));
  });
});
