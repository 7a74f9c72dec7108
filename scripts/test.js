#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with Node's built-in test runner.
// Node 20's `node --test` takes no globs, so the files are listed here. An optional argument
// narrows the run to paths containing it, e.g. `node scripts/test.js unit/rules`.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const testRoot = path.join(root, process.env.QB_BUILD_DIR || 'dist', 'test');
const filter = process.argv[2];

function find(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return find(p);
    return e.name.endsWith('.test.js') ? [p] : [];
  });
}
const files = find(testRoot).filter((f) => !filter || f.includes(filter)).sort();
if (files.length === 0) {
  console.error(`no test files found under ${testRoot}${filter ? ` matching "${filter}"` : ''}`);
  process.exit(1);
}
// A test that hangs fails after 2 minutes instead of stalling CI; a file whose tests are done exits
// even if a stray handle is left open.
const res = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=120000', '--test-force-exit', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  cwd: root,
  env: { ...process.env, NODE_ENV: 'test' },
});
process.exit(res.status === null ? 1 : res.status);
