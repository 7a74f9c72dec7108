/**
 * `npm start`: Node-RED 4.1 with this package loaded from the checkout, the user directory from
 * QB_USER_DIR, the port from PORT, and the shipped flows deployed on the first start only.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort } from '../support/net';
import { tempDir } from '../support/tmp';

const root = path.resolve(__dirname, '..', '..', '..');
const { prepareUserDir, shippedFlows } = require(path.join(root, 'scripts', 'userdir.js'));
const tmp = tempDir();
after(() => tmp.cleanup());

describe('npm start', () => {
  it('deploys the shipped flows into a new user directory, and keeps the user\'s flows afterwards', () => {
    const flowsDir = path.join(tmp.dir, 'flows');
    fs.mkdirSync(flowsDir);
    fs.writeFileSync(path.join(flowsDir, 'a.json'), JSON.stringify([{ id: 't1', type: 'tab', label: 'A' }]));
    fs.writeFileSync(path.join(flowsDir, 'b.json'), JSON.stringify([{ id: 't2', type: 'tab', label: 'B' }]));
    const userDir = path.join(tmp.dir, 'ud-flows');
    const first = prepareUserDir(userDir, flowsDir);
    assert.equal(first.deployed, 2);
    assert.deepEqual(JSON.parse(fs.readFileSync(first.flowFile, 'utf8')).map((n: { id: string }) => n.id), ['t1', 't2']);
    fs.writeFileSync(first.flowFile, '[{"id":"mine","type":"tab"}]');
    assert.equal(prepareUserDir(userDir, flowsDir).deployed, 0);
    assert.equal(JSON.parse(fs.readFileSync(first.flowFile, 'utf8'))[0].id, 'mine');
    assert.equal(fs.realpathSync(path.join(userDir, 'node_modules', '@qbsync', 'node-red-quickbooks')), fs.realpathSync(root));
  });

  it('every file in flows/ is a JSON array of nodes', () => {
    assert.ok(Array.isArray(shippedFlows()));
  });

  it('serves the editor with this package loaded in the QuickBooks palette', async () => {
    const port = await freePort();
    const userDir = path.join(tmp.dir, 'ud-start');
    const child = spawn(process.execPath, [path.join(root, 'scripts', 'start.js')], {
      env: { ...process.env, PORT: String(port), QB_USER_DIR: userDir, QB_STORE_DIR: path.join(userDir, 'store') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`Node-RED did not start within 30 s:\n${output}`)), 30_000);
        child.stdout.on('data', () => {
          if (output.includes('Started flows')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.on('exit', (code) => reject(new Error(`Node-RED exited with ${code}:\n${output}`)));
      });
      const editor = await fetch(`http://127.0.0.1:${port}/`);
      assert.equal(editor.status, 200);
      const nodes = (await (await fetch(`http://127.0.0.1:${port}/nodes`, { headers: { Accept: 'application/json' } })).json()) as Array<{ module: string; types: string[]; err?: string; enabled: boolean }>;
      const ours = nodes.filter((n) => n.module === '@qbsync/node-red-quickbooks');
      const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
      assert.deepEqual(ours.flatMap((n) => n.types).sort(), Object.keys(pkg['node-red'].nodes).sort());
      assert.ok(ours.every((n) => n.enabled && !n.err), JSON.stringify(ours));
      const shared = await fetch(`http://127.0.0.1:${port}/resources/@qbsync/node-red-quickbooks/qb-editor.js`);
      assert.equal(shared.status, 200);
      // The console's plugin (node-red.plugins): loaded, its sidebar script served, its page on the admin root.
      const plugins = (await (await fetch(`http://127.0.0.1:${port}/plugins`, { headers: { Accept: 'application/json' } })).json()) as Array<{ id: string; module: string; err?: string; enabled: boolean }>;
      const plugin = plugins.find((p) => p.module === '@qbsync/node-red-quickbooks');
      assert.deepEqual(plugin && { id: plugin.id, enabled: plugin.enabled, err: plugin.err }, { id: '@qbsync/node-red-quickbooks/qbsync-console', enabled: true, err: undefined });
      const html = await (await fetch(`http://127.0.0.1:${port}/plugins`, { headers: { Accept: 'text/html' } })).text();
      assert.match(html, /RED\.sidebar\.addTab/);
      assert.equal((await fetch(`http://127.0.0.1:${port}/resources/@qbsync/node-red-quickbooks/qb-console.js`)).status, 200);
      const page = await fetch(`http://127.0.0.1:${port}/qbsync/console`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /QBConsole\.standalone/);
      assert.equal((await fetch(`http://127.0.0.1:${port}/qbsync/console/api/connections`)).status, 200, 'no adminAuth in npm start: open');
      const settings = (await (await fetch(`http://127.0.0.1:${port}/settings`)).json()) as { telemetryEnabled?: boolean };
      assert.notEqual(settings.telemetryEnabled, true);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
