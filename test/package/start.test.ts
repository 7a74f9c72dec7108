/**
 * `npm start`: Node-RED 4.1 with this package loaded from the checkout, the user directory from
 * QB_USER_DIR, the port from PORT, and the shipped flows deployed on the first start only.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { startRed } from '../support/red-process';
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
    const red = await startRed(path.join(tmp.dir, 'ud-start'));
    const port = red.port;
    try {
      // Nothing configured: no [error] line, one block that says what each connection needs.
      await new Promise((r) => setTimeout(r, 1000));
      assert.doesNotMatch(red.output(), /\[error\]/, red.output());
      const blocks = red.output().match(/QuickBooks: \d+ connections? (is|are) not configured yet/g) ?? [];
      assert.equal(blocks.length, 1, red.output());
      assert.match(red.output(), /qbwc-server "BluBilling QuickBooks Desktop" \(used by "BluBilling × QuickBooks Desktop"\): set QBWC_USERNAME, QBWC_PASSWORD/);
      assert.match(red.output(), /qbo-connection "QuickBooks Online \(from environment\)" \(used by "[^"]+"\): set QBO_CLIENT_ID, QBO_CLIENT_SECRET, QBO_REALM_ID/);
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
      await red.stop();
    }
  });
});

describe('npm start reads a .env file', () => {
  it('takes variables from QB_ENV_FILE (or .env), the environment winning', async () => {
    const envFile = path.join(tmp.dir, 'test.env');
    fs.writeFileSync(envFile, 'QB_API_TOKEN=token-from-the-env-file-1\nQB_LOG_LEVEL=warn\n');
    const red = await startRed(path.join(tmp.dir, 'ud-env'), { QB_ENV_FILE: envFile, QB_LOG_LEVEL: 'info' });
    try {
      assert.match(red.output(), /read variables from/);
      assert.equal((await fetch(`${red.base}/blubilling/queue`)).status, 401, 'the token from the file guards the endpoints');
      const withToken = await fetch(`${red.base}/blubilling/queue`, { headers: { authorization: 'Bearer token-from-the-env-file-1' } });
      assert.notEqual(withToken.status, 401);
      assert.match(red.output(), /\[info\]/, 'QB_LOG_LEVEL from the environment wins over the file');
    } finally {
      await red.stop();
    }
  });
});

describe('.env.example', () => {
  it('lists every variable the README documents, and parses as a .env file', () => {
    const example = fs.readFileSync(path.join(root, '.env.example'), 'utf8');
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const documented = new Set([...readme.matchAll(/^\| `((?:QB|QBO|QBWC|DEMO)_[A-Z0-9_]+|PORT|HOST)`/gm)].map((m) => m[1]));
    for (const [, group] of readme.matchAll(/^\| `((?:QB|QBO|QBWC)_[A-Z_]+)`, `((?:QB|QBO|QBWC)_[A-Z_]+)`/gm)) documented.add(group!);
    assert.ok(documented.size > 20, [...documented].join(' '));
    const listed = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    assert.deepEqual([...documented].filter((v) => !listed.has(v)), []);
    const file = path.join(tmp.dir, 'example.env');
    fs.writeFileSync(file, example);
    const saved = { ...process.env };
    try {
      process.loadEnvFile(file);
      assert.equal(process.env.QBO_ENVIRONMENT, 'sandbox');
      assert.equal(process.env.QBWC_PUBLIC_URL, 'http://localhost:1880');
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});
