/**
 * Config migrations: a flow saved by 0.1.0 (test/fixtures/flows-0.1.0.json: the four shipped flows and
 * the qb-rule example exactly as 0.1.0 shipped them, with no config `version`) loads in this version:
 * every node of every type runs with its saved settings and the current version, and the flows work.
 * The migration runner itself is tested with steps of its own.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { configVersion, migrateConfig, NewerConfigError, type ConfigStep } from '../../nodes/lib/node-red/migrations';
import { startQboSimulator, type QboSimulator } from '../sim/qbo';
import { FlowServer, eventually } from '../support/flow-server';
import { nodeHelper as helper } from '../support/helper';
import { qboSimEnv } from '../support/env';
import { useFlow } from '../support/lifecycle';

const root = path.resolve(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const types = Object.keys(pkg['node-red'].nodes);
const packageModules = Object.values(pkg['node-red'].nodes as Record<string, string>).map((js) => require(path.join(root, js)));
const coreModules = ['network/21-httpin.js', 'function/15-change.js', 'function/10-function.js', 'function/10-switch.js', 'common/20-inject.js', 'common/21-debug.js', 'common/90-comment.js'].map((f) => require(`@node-red/nodes/core/${f}`));
const saved = JSON.parse(fs.readFileSync(path.join(root, 'test', 'fixtures', 'flows-0.1.0.json'), 'utf8')) as Array<Record<string, unknown> & { id: string; type: string }>;

describe('config migrations: the runner', () => {
  const steps: ConfigStep[] = [
    { to: 2, what: 'rename rule → keyRule', up: (c) => ((c.keyRule = c.rule), delete c.rule) },
    { to: 3, what: 'every in minutes', up: (c) => (c.everyMinutes = Number(c.every ?? 1) * 60) },
  ];
  it('takes a config without a version as 0.1.0\'s and applies every step in order, keeping what it does not know', () => {
    const old = { id: 'n', rule: 'item-key.app', every: 2, custom: 'kept' };
    const out = migrateConfig('x', old, steps);
    assert.deepEqual(out, { id: 'n', keyRule: 'item-key.app', every: 2, everyMinutes: 120, custom: 'kept', version: 3 });
    assert.deepEqual(old, { id: 'n', rule: 'item-key.app', every: 2, custom: 'kept' }, 'the saved config is left as it is');
  });
  it('applies only the steps after the saved version; the current version passes through', () => {
    assert.deepEqual(migrateConfig('x', { version: 2, keyRule: 'k', every: 1 }, steps), { version: 3, keyRule: 'k', every: 1, everyMinutes: 60 });
    assert.deepEqual(migrateConfig('x', { version: 3, keyRule: 'k' }, steps), { version: 3, keyRule: 'k' });
    assert.equal(configVersion('x', steps), 3);
  });
  it('refuses a config saved by a newer release, saying what to do', () => {
    assert.throws(() => migrateConfig('qb-importer', { version: 99 }), (e: Error) => e instanceof NewerConfigError && /newer version.*update the package/.test(e.message));
  });
  it('every node type\'s editor writes the current version', () => {
    for (const type of types) {
      const html = fs.readFileSync(path.join(root, 'nodes', type, `${type}.html`), 'utf8');
      assert.match(html, new RegExp(`version: \\{ value: ${configVersion(type)} \\}`), type);
    }
  });
});

const server = new FlowServer();
let sim: QboSimulator;

describe('a flow saved by 0.1.0 loads in this version', () => {
  useFlow({
    async env(storeDir) {
      sim = await startQboSimulator({ latencyMs: 0 });
      sim.seed('Item', [{ Name: 'Kumamoto 60ct', Sku: 'KUM-60', Type: 'NonInventory', UnitPrice: 42.5 }]);
      return { ...qboSimEnv(sim), QB_STORE_DIR: storeDir, QBWC_USERNAME: 'old', QBWC_PASSWORD: 'old-flows-password' };
    },
    start: () => server.load([...packageModules, ...coreModules], saved),
    stop: () => sim.close(),
  }, server);

  it('has a node of every type, saved without a config version', () => {
    const ours = saved.filter((n) => types.includes(n.type));
    assert.deepEqual([...new Set(ours.map((n) => n.type))].sort(), [...types].sort());
    assert.ok(ours.every((n) => !('version' in n)));
  });

  it('every node runs with its saved settings and the current version', () => {
    for (const n of saved.filter((x) => types.includes(x.type))) {
      const node = helper.getNode(n.id) as unknown as { qbConfig?: Record<string, unknown> };
      assert.ok(node?.qbConfig, `${n.type} ${n.id} is deployed`);
      for (const [key, value] of Object.entries(n)) {
        if (['x', 'y', 'wires', 'z', 'g'].includes(key)) continue;
        // Node-RED puts the environment's value in place of a whole "${VAR}" before the node sees it.
        const env = typeof value === 'string' ? /^\$\{(\w+)\}$/.exec(value) : null;
        const expected = env && env[1]! in process.env ? process.env[env[1]!] : value;
        assert.deepEqual(node.qbConfig[key], expected, `${n.type} ${n.id}: ${key} carried over`);
      }
      assert.equal(node.qbConfig.version, configVersion(n.type));
    }
  });

  it('its endpoints work: BlueTrace items are matched, the BluBilling queue answers', async () => {
    const company = await (helper.getNode('bt-qbo') as unknown as { whenCompany(): Promise<{ status(): { state: string } }> }).whenCompany();
    await eventually('connected', () => company.status().state === 'connected');
    const items = await server.request('POST', '/bluetrace/items', [{ id: 'it-1', name: 'Kumamoto', sku: 'KUM-60' }]);
    assert.equal(items.status, 200, JSON.stringify(items.body));
    assert.equal(items.body.matched, 1);
    const queue = await server.request('GET', '/blubilling/queue');
    assert.equal(queue.status, 200, JSON.stringify(queue.body));
  });
});
