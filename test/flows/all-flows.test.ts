/**
 * The four shipped flows deployed together in one Node-RED (as `npm start` and `npm run demo` do): no
 * shared ids or endpoints, and the two QuickBooks Online connections to one company share its rotating
 * refresh token instead of invalidating each other's.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startQboSimulator, type QboSimulator } from '../sim/qbo';
import { FlowServer, eventually } from '../support/flow-server';
import { nodeHelper as helper } from '../support/helper';
import { qboSimEnv } from '../support/env';
import { useFlow } from '../support/lifecycle';

const root = path.resolve(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const packageModules = Object.values(pkg['node-red'].nodes as Record<string, string>).map((js) => require(path.join(root, js)));
const coreModules = ['network/21-httpin.js', 'function/15-change.js', 'function/10-function.js', 'function/10-switch.js', 'common/20-inject.js', 'common/21-debug.js', 'common/90-comment.js'].map((f) => require(`@node-red/nodes/core/${f}`));
const shipped = fs.readdirSync(path.join(root, 'flows')).filter((f) => f.endsWith('.json')).sort();
const flows = shipped.flatMap((f) => JSON.parse(fs.readFileSync(path.join(root, 'flows', f), 'utf8')) as Array<{ id: string; type: string; url?: string; method?: string; path?: string }>);

const server = new FlowServer();
let sim: QboSimulator;

describe('all shipped flows together', () => {
  useFlow({
    async env(storeDir) {
      sim = await startQboSimulator({ latencyMs: 0 });
      return { ...qboSimEnv(sim), QB_STORE_DIR: storeDir, QBWC_USERNAME: 'all', QBWC_PASSWORD: 'all-flows-password' };
    },
    start: () => server.load([...packageModules, ...coreModules], flows),
    stop: () => sim.close(),
  }, server);

  it('ships four flows with distinct node ids, HTTP endpoints and Web Connector paths', () => {
    assert.ok(shipped.length >= 4, shipped.join(', '));
    const ids = flows.map((n) => n.id);
    assert.equal(new Set(ids).size, ids.length, 'no node id is shared');
    const endpoints = flows.filter((n) => n.type === 'http in').map((n) => `${n.method} ${n.url}`);
    assert.equal(new Set(endpoints).size, endpoints.length, 'no endpoint is shared');
    const paths = flows.filter((n) => n.type === 'qbwc-server').map((n) => n.path);
    assert.equal(new Set(paths).size, paths.length, 'no Web Connector path is shared');
  });

  it('both QuickBooks Online connections connect and keep working across token rotations', async () => {
    const online = flows.filter((n) => n.type === 'qbo-connection');
    assert.ok(online.length >= 2);
    const companies = await Promise.all(online.map((n) => (helper.getNode(n.id) as any).whenCompany()));
    await eventually('both connected', () => companies.every((c) => c.status().state === 'connected')).catch((err) => {
      throw new Error(`${err.message}: ${JSON.stringify(companies.map((c) => c.status()))}`);
    });
    for (let round = 0; round < 3; round++) {
      sim.oauth.expireAccessTokens();
      await Promise.all(companies.map((c) => c.resync()));
    }
    assert.deepEqual(companies.map((c) => c.status().state), companies.map(() => 'connected'));
    assert.equal(sim.stats.requests.token >= 1, true);
  });

  it('deploys without an error or a warning', () => {
    const problems = helper.log().args.map((a) => a[0] as { level: number; msg: unknown; type?: string }).filter((e) => e.level === 20 || e.level === 30).filter((e) => !/^\[helper\]|credentials\.unencrypted|Deprecated call/.test(String(e.msg)));
    assert.deepEqual(problems.map((p) => `${p.type}: ${String(p.msg)}`), []);
  });
});
