/**
 * Import > Examples: every example flow (and every shipped flow) deploys in the test helper with the
 * package's nodes, configured from the environment as the README says, without any error or warning.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { startQboSimulator, type QboSimulator } from '../sim/qbo';
import { FlowServer } from '../support/flow-server';
import { nodeHelper as helper } from '../support/helper';
import { qboSimEnv, setEnv } from '../support/env';
import { tempDir } from '../support/tmp';
import { flowFiles } from '../support/flow-files';

const root = path.resolve(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const packageModules = Object.values(pkg['node-red'].nodes as Record<string, string>).map((js) => require(path.join(root, js)));
const coreModules = ['network/21-httpin.js', 'function/15-change.js', 'function/10-function.js', 'function/10-switch.js', 'common/20-inject.js', 'common/21-debug.js', 'common/90-comment.js', 'sequence/17-split.js'].map((f) => require(`@node-red/nodes/core/${f}`));


const files = [...flowFiles(path.join(root, 'examples')).filter((f) => !f.includes(`${path.sep}scenarios${path.sep}`)), ...flowFiles(path.join(root, 'flows'))];
const tmp = tempDir();
let sim: QboSimulator;
let restoreEnv: () => void = () => undefined;

describe('examples and shipped flows deploy cleanly', () => {
  before(async () => {
    sim = await startQboSimulator({ latencyMs: 0 });
    restoreEnv = setEnv({ ...qboSimEnv(sim, false), QBO_REFRESH_TOKEN: '', QB_STORE_DIR: tmp.dir, QBWC_USERNAME: 'examples', QBWC_PASSWORD: 'examples-password', QBWC_PUBLIC_URL: 'https://qb.example.com' });
    await helper.startServer();
  });
  after(async () => {
    await helper.stopServer();
    await sim.close();
    restoreEnv();
    tmp.cleanup();
  });

  let server: FlowServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('finds the examples: one per node type at least', () => {
    assert.ok(files.length >= Object.keys(pkg['node-red'].nodes).length - 2, `${files.length} flow files`);
  });

  files.forEach((file, i) => {
    it(`${path.relative(root, file)} deploys without errors or warnings`, async () => {
      process.env.QB_STORE_DIR = path.join(tmp.dir, `store-${i}`);
      process.env.QBO_REFRESH_TOKEN = sim.issueRefreshToken();
      const flow = JSON.parse(fs.readFileSync(file, 'utf8'));
      assert.ok(Array.isArray(flow), 'a plain array of nodes');
      server = new FlowServer();
      await server.load([...packageModules, ...coreModules], flow);
      const configs = flow.filter((n: { type: string }) => n.type === 'qbo-connection' || n.type === 'qbwc-server');
      for (const c of configs) await (helper.getNode(c.id) as unknown as { whenCompany(): Promise<unknown> }).whenCompany();
      await new Promise((r) => setTimeout(r, 100)); // let deploy-time work settle before reading the log
      const problems = helper.log().args
        .map((a) => a[0] as { level: number; msg: unknown; type?: string })
        .filter((e) => e.level === 20 || e.level === 30)
        .filter((e) => !/^\[helper\]|nodes\.credentials\.unencrypted|Deprecated call/.test(String(e.msg)));
      assert.deepEqual(problems.map((p) => `${p.type ?? ''}: ${String(p.msg)}`), []);
      const missing = helper.log().args.map((a) => a[0] as { msg: unknown }).filter((e) => /missing-types/.test(String(e.msg)));
      assert.deepEqual(missing, [], 'every node type of the flow is known');
    });
  });
});
