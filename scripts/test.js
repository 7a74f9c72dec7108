#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with Node's built-in test runner.
// Node 20's `node --test` takes no globs, so the files are listed here. Optional arguments narrow
// the run to paths containing any of them, e.g. `node scripts/test.js unit/rules nodes/`.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const testRoot = path.join(path.resolve(root, process.env.QB_BUILD_DIR || 'dist'), 'test');
const filters = process.argv.slice(2);

function find(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return find(p);
    return e.name.endsWith('.test.js') ? [p] : [];
  });
}
const files = find(testRoot).filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort();
if (files.length === 0) {
  console.error(`no test files found under ${testRoot}${filters.length ? ` matching "${filters.join('", "')}"` : ''}`);
  process.exit(1);
}
// A test that hangs fails after 2 minutes instead of stalling CI; a file whose tests are done exits
// even if a stray handle is left open.
// Beside the spec reporter, scripts/test-guard.mjs records per file the tests queued and finished.
const guardDir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'qbsync-test-'));
const guardFile = path.join(guardDir, 'guard.jsonl');
fs.writeFileSync(guardFile, '');
const res = spawnSync(process.execPath, [
  '--test', '--test-concurrency=1', '--test-timeout=120000', '--test-force-exit',
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  `--test-reporter=${path.join(__dirname, 'test-guard.mjs')}`, '--test-reporter-destination=stderr',
  ...files,
], {
  stdio: 'inherit',
  cwd: root,
  env: { ...process.env, NODE_ENV: 'test', QB_TEST_GUARD_FILE: guardFile },
});

/** Files that ended with queued tests unfinished (or reported nothing), each with what did not finish. */
function cutShort() {
  const counted = new Map(files.map((f) => [f, { queued: 0, unfinished: new Map() }]));
  const lines = fs.readFileSync(guardFile, 'utf8').split('\n').filter(Boolean);
  fs.rmSync(guardDir, { recursive: true, force: true });
  for (const line of lines) {
    const [kind, file, nesting, name] = JSON.parse(line);
    const f = counted.get(file);
    if (!f) continue;
    const key = `${nesting}:${name}`;
    const open = f.unfinished.get(key) ?? 0;
    if (kind === 'queued') {
      f.queued++;
      f.unfinished.set(key, open + 1);
    } else if (open > 1) f.unfinished.set(key, open - 1);
    else f.unfinished.delete(key);
  }
  const problems = [];
  for (const [file, f] of counted) {
    const rel = path.relative(root, file);
    if (f.queued === 0) problems.push(`${rel}: no test reported`);
    else if (f.unfinished.size) {
      const names = [...f.unfinished.keys()].map((k) => k.replace(/^\d+:/, ''));
      problems.push(`${rel}: ${names.length} queued test(s) never finished (${names.slice(0, 5).join('; ')})`);
    }
  }
  return problems;
}
const lost = cutShort();
if (lost.length) {
  console.error(`\ntest files that ended early (their remaining tests never ran):\n  ${lost.join('\n  ')}`);
  process.exit(1);
}
process.exit(res.status === null ? 1 : res.status);
