/**
 * Work a node does on its own (here a re-match after the QuickBooks lists changed) that fails reaches a
 * Catch node as a real Error whose message says what failed, not only the log.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reportBackground } from '../../nodes/lib/node-red/errors';
import { nextMessage, nodeHelper as helper } from '../support/helper';
import { useNodeRed } from '../support/lifecycle';
import { QbwcNodeTest } from '../support/qbwc-node';

const t = new QbwcNodeTest('background');
const { qbwcServer, wcId, wcPath, creds } = t;
const itemMatcher = require('../../nodes/qb-item-matcher/qb-item-matcher');

describe('background failures', () => {
  useNodeRed(t.tmp, t.httpNode);

  it('reportBackground hands a real Error with what failed, and a routable message, to node.error', () => {
    const calls: unknown[][] = [];
    const node = { error: (...args: unknown[]) => calls.push(args) } as never;
    reportBackground(node, 'scheduled export', Object.assign(new Error('the store is closed'), { code: 'QB_STORE' }));
    const [err, msg] = calls[0] as [Error & { code?: string }, { topic: string; payload: { error: string } }];
    assert.ok(err instanceof Error);
    assert.equal(err.message, 'scheduled export failed: the store is closed');
    assert.equal(err.code, 'QB_STORE');
    assert.deepEqual(msg, { topic: 'scheduled export', payload: { error: 'scheduled export failed: the store is closed' } });
  });

  it('a failing re-match after a sync reaches the Catch node', async () => {
    t.nextConnection();
    await helper.load([qbwcServer, itemMatcher], [
      { id: 'tab', type: 'tab' },
      { id: wcId(), type: 'qbwc-server', path: wcPath(), pageSize: 50 },
      { id: 'm', z: 'tab', type: 'qb-item-matcher', edition: 'qbd', qbwc: wcId(), wires: [[], [], []] },
      { id: 'c1', z: 'tab', type: 'catch', scope: ['m'], uncaught: false, wires: [['caught']] },
      { id: 'caught', z: 'tab', type: 'helper' },
    ], creds());
    const company = await t.whenCompany();
    await new Promise((r) => setTimeout(r, 50)); // the matcher's handler is built once the company is ready
    company.mirror.list = async () => {
      throw new Error('the mirror file cannot be read');
    };
    const caught = nextMessage(helper.getNode('caught'));
    company.emit('synced', { entity: 'items' });
    const msg = await caught;
    assert.equal(msg.topic, 're-match');
    assert.match(msg.error.message, /^Error: re-match failed: the mirror file cannot be read/);
    assert.equal(msg.error.source.id, 'm');
  });
});
