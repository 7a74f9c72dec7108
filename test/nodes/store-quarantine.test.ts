/**
 * Issue 10, item 6 in a running Node-RED: a store with a corrupt line in each collection file starts
 * anyway, the nodes on the connection warn (i18n key, log) and the connection status API lists what was
 * kept aside; errors answered to callers carry no file-system paths.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { STORE_QUARANTINE_STATUS } from '../../nodes/lib/node-red/company';
import { COLLECTIONS, Store } from '../../nodes/lib/store';
import { nextMessage, nodeHelper as helper } from '../support/helper';
import { useNodeRed } from '../support/lifecycle';
import { QbwcNodeTest } from '../support/qbwc-node';

const t = new QbwcNodeTest('quarantine');
const { qbwcServer, wcId, wcPath, creds } = t;
const chargeMapper = require('../../nodes/qb-charge-mapper/qb-charge-mapper');
const catchNode = require('@node-red/nodes/core/common/25-catch');

function flow() {
  t.nextConnection();
  return [
    { id: 'tab', type: 'tab' },
    { id: wcId(), type: 'qbwc-server', path: wcPath(), pageSize: 50 },
    { id: 'cm', z: 'tab', type: 'qb-charge-mapper', edition: 'qbd', qbwc: wcId(), wires: [['mapped'], ['unmapped'], ['summary']] },
    { id: 'mapped', z: 'tab', type: 'helper' },
    { id: 'unmapped', z: 'tab', type: 'helper' },
    { id: 'summary', z: 'tab', type: 'helper' },
    { id: 'c1', z: 'tab', type: 'catch', scope: ['cm'], uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'tab', type: 'helper' },
  ];
}

/** Resolves once node `id` has shown a status with this text (the test helper spies on every node's status). */
async function statusShown(id: string, text: string, ms = 5000): Promise<{ fill?: string; text?: string }> {
  const spy = (helper as any)._NodePrototype.status as { getCalls(): Array<{ thisValue: { id: string }; args: Array<{ fill?: string; text?: string }> }> };
  const deadline = Date.now() + ms;
  for (;;) {
    const call = spy.getCalls().find((c) => c.thisValue?.id === id && c.args[0]?.text === text);
    if (call) return call.args[0];
    if (Date.now() > deadline) throw new Error(`node ${id} never showed "${text}"`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('store quarantine and path-free errors in Node-RED', () => {
  useNodeRed(t.tmp, t.httpNode);

  it('corrupt lines in every collection file: the connection starts, nodes warn (yellow, i18n key), the status API lists them without paths', async () => {
    const dir = process.env.QB_STORE_DIR as string;
    const seed = await Store.open(dir);
    for (const name of COLLECTIONS) await (seed as any)[name].insert([{ _id: `${name}-a` }, { _id: `${name}-b` }, { _id: `${name}-c` }]);
    await seed.close();
    for (const name of COLLECTIONS) {
      const file = path.join(dir, `${name}.db`);
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      const i = lines.findIndex((l) => l.includes(`"${name}-b"`));
      lines[i] = `{"_id":"${name}-b",`;
      fs.writeFileSync(file, lines.join('\n'));
    }
    await helper.load([qbwcServer, chargeMapper, catchNode], flow(), creds());
    const company = await t.whenCompany();
    assert.ok(await company.store.jobs.findOne({ _id: 'jobs-c' }), 'the rest of the data loaded');

    const status = await statusShown('cm', STORE_QUARANTINE_STATUS.qbd);
    assert.equal(status.fill, 'yellow');
    const catalog = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'nodes', 'qbwc-server', 'locales', 'en-US', 'qbwc-server.json'), 'utf8'));
    const [ns, key] = STORE_QUARANTINE_STATUS.qbd.split(':');
    assert.equal(ns, `${require('../../../package.json').name}/qbwc-server`, 'the key names the node set\'s catalog');
    assert.equal(key.split('.').reduce((o: any, k) => o?.[k], catalog), 'store: corrupt lines kept aside (see the log)');

    const logged = helper.log().args.map((a) => a[0]).filter((e) => e?.level === 30);
    assert.ok(logged.some((e) => e.id === wcId() && /^QuickBooks store: 6 corrupt lines kept aside: .*jobs\.db line \d+ \(moved to jobs\.db\.quarantine\)/.test(e.msg)), 'the start-up says it once');
    // the node warns once through its i18n key (the test helper's runtime leaves namespaced keys untranslated)
    const warnKey = STORE_QUARANTINE_STATUS.qbd.replace('.status.', '.warn.');
    assert.ok(logged.some((e) => e.id === 'cm' && (e.msg === warnKey || /kept 6 corrupt line\(s\) aside at start-up, in .*log\.db\.quarantine/.test(e.msg))), 'the node warns');
    assert.match(warnKey.split(':')[1].split('.').reduce((o: any, k) => o?.[k], catalog), /\{\{count\}\} corrupt line\(s\) aside at start-up, in \{\{files\}\}/);
    for (const e of logged) assert.ok(!String(e.msg).includes(dir), 'no path in the log lines of the warning');

    const res = await helper.request().get(`/qbsync/connections/${wcId()}/status`).expect(200);
    assert.deepEqual(
      res.body.store.quarantined.map((q: any) => [q.collection, q.file, q.quarantineFile, q.count]),
      COLLECTIONS.map((name) => [name, `${name}.db`, `${name}.db.quarantine`, 1]),
    );
    assert.ok(!JSON.stringify(res.body).includes(dir));
  });

  it('a store that cannot open: the node\'s error and the admin answer name the problem, never the path', async () => {
    const blocked = path.join(t.tmp.dir, 'not-a-folder');
    fs.writeFileSync(blocked, 'a file where the store folder should be');
    const saved = process.env.QB_STORE_DIR;
    process.env.QB_STORE_DIR = path.join(blocked, 'store');
    try {
      await helper.load([qbwcServer, chargeMapper, catchNode], flow(), creds());
      const caught = nextMessage(helper.getNode('caught'), 5000);
      helper.getNode('cm').receive({ payload: { id: 'ch-1', name: 'Setup', priceCode: 'Setup Fee' } });
      const msg = await caught;
      assert.match(msg.error.message, /ENOTDIR|EEXIST|not a directory/);
      assert.ok(!msg.error.message.includes(t.tmp.dir), msg.error.message);
      assert.ok(!/\/(tmp|home|work|var)\//.test(msg.error.message), msg.error.message);
      const res = await helper.request().get(`/qbsync/connections/${wcId()}/status`).expect(409);
      assert.ok(typeof res.body.error === 'string' && res.body.error.length > 0);
      assert.ok(!res.body.error.includes(t.tmp.dir) && !/\/(tmp|home|work|var)\//.test(res.body.error), res.body.error);
    } finally {
      process.env.QB_STORE_DIR = saved;
    }
  });
});
