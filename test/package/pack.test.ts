/**
 * The package as the registry would ship it: `npm pack` (its prepack builds dist/) gives a tarball with
 * every runtime file and no tests, simulators, benchmarks or test-only code; installed with
 * `npm install <tarball>` into a fresh Node-RED user directory (as the palette manager does), a Node-RED
 * with default settings registers every node type and deploys every example and shipped flow with no
 * error (connections nobody configured only say so, once).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { flowFiles } from '../support/flow-files';
import { freePort } from '../support/net';
import { tempDir } from '../support/tmp';

const root = path.resolve(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const tmp = tempDir();
after(() => tmp.cleanup());


describe('the packed package, installed into a fresh Node-RED', () => {
  let tarball = '';
  let files: string[] = [];

  before(() => {
    const out = execFileSync(npm, ['pack', '--json', '--pack-destination', tmp.dir], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    const info = JSON.parse(out.slice(out.indexOf('[')))[0] as { filename: string; files: Array<{ path: string }> };
    tarball = path.join(tmp.dir, info.filename);
    files = info.files.map((f) => f.path);
  });

  it('holds every runtime file (built by prepack) and no tests, simulators, benchmarks or test-only code', () => {
    assert.equal(pkg.scripts.prepack, 'node scripts/build.js');
    for (const [type, js] of Object.entries(pkg['node-red'].nodes as Record<string, string>)) {
      for (const f of [js, js.replace(/\.js$/, '.html'), `dist/nodes/${type}/locales/en-US/${type}.json`]) assert.ok(files.includes(f), `${f} in the tarball`);
    }
    for (const f of ['README.md', 'LICENSE', 'rules/item-key.app.jsonata', 'flows/bluetrace-qbo.json', 'examples/scenarios/blubilling-qbd.json']) assert.ok(files.includes(f), f);
    const unwanted = files.filter((f) => /^(dist\/)?(test|bench)\/|\.map$|\.ts$|http-mount|\/sim\//.test(f));
    assert.deepEqual(unwanted, []);
  });

  it('installs with npm into a user directory; Node-RED with default settings registers every node and deploys every example and flow', async () => {
    const userDir = path.join(tmp.dir, 'user');
    fs.mkdirSync(userDir);
    fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', private: true }));
    execFileSync(npm, ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: userDir, stdio: 'pipe', timeout: 300_000 });
    assert.ok(fs.existsSync(path.join(userDir, 'node_modules', '@qbsync', 'node-red-quickbooks', 'dist', 'nodes', 'qbo-connection', 'qbo-connection.js')));

    const port = await freePort();
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (/^(QB|QBO|QBWC)_/.test(k)) delete env[k];
    const red = spawn(process.execPath, [require.resolve('node-red/red.js'), '--userDir', userDir, '--port', String(port)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    red.stdout.on('data', (d) => (output += d));
    red.stderr.on('data', (d) => (output += d));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`Node-RED did not start:\n${output}`)), 60_000);
        red.stdout.on('data', () => output.includes('Started flows') && (clearTimeout(timer), resolve()));
        red.once('exit', (code) => reject(new Error(`Node-RED exited with ${code}:\n${output}`)));
      });
      const base = `http://127.0.0.1:${port}`;
      const nodes = (await (await fetch(`${base}/nodes`, { headers: { accept: 'application/json' } })).json()) as Array<{ module: string; types: string[]; enabled: boolean; err?: string }>;
      const ours = nodes.filter((n) => n.module === pkg.name);
      assert.deepEqual(ours.flatMap((n) => n.types).sort(), Object.keys(pkg['node-red'].nodes).sort());
      assert.ok(ours.every((n) => n.enabled && !n.err), JSON.stringify(ours));

      const flows = [...flowFiles(path.join(root, 'examples')), ...flowFiles(path.join(root, 'flows'))];
      for (const file of flows) {
        const before = output.length;
        const body = JSON.parse(fs.readFileSync(file, 'utf8'));
        const res = await fetch(`${base}/flows`, { method: 'POST', headers: { 'content-type': 'application/json', 'node-red-deployment-type': 'full' }, body: JSON.stringify(body) });
        assert.equal(res.status, 204, `${path.relative(root, file)}: ${await res.text()}`);
        await new Promise((r) => setTimeout(r, 700)); // deploy-time work, and the not-configured block
        const log = output.slice(before);
        assert.doesNotMatch(log, /\[error\]|missing types|Waiting for missing/i, `${path.relative(root, file)}:\n${log}`);
        const deployed = (await (await fetch(`${base}/flows`)).json()) as Array<{ id: string }>;
        assert.deepEqual(new Set(deployed.map((n) => n.id)), new Set(body.map((n: { id: string }) => n.id)));
      }
      assert.ok(red.exitCode === null, 'still running');
    } finally {
      red.kill('SIGTERM');
      await new Promise((r) => (red.exitCode !== null ? r(null) : red.once('exit', r)));
    }
  });
});
