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
// even if a stray handle is left open (--test-force-exit). Beside the spec reporter,
// scripts/test-guard.mjs records per file every test queued and finished, so a file that ended before
// all its tests ran is never counted as passed: Node 20's force-exit can end a file early when the
// machine is busy (its root test completes while a suite still runs). Such a file is run again on its
// own without force-exit, and the run fails unless that complete run passes.

/** Runs test files under Node's runner; returns its exit status and, per file, what the guard saw. */
function run(list, { forceExit }) {
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'qbsync-test-'));
  const guardFile = path.join(dir, 'guard.jsonl');
  fs.writeFileSync(guardFile, '');
  const res = spawnSync(process.execPath, [
    '--test', '--test-concurrency=1', '--test-timeout=120000', ...(forceExit ? ['--test-force-exit'] : []),
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    `--test-reporter=${path.join(__dirname, 'test-guard.mjs')}`, '--test-reporter-destination=stderr',
    ...list,
  ], {
    stdio: 'inherit',
    cwd: root,
    env: { ...process.env, NODE_ENV: 'test', QB_TEST_GUARD_FILE: guardFile },
    // without force-exit a stray handle would keep a file alive: a bounded wait instead
    timeout: forceExit ? undefined : 15 * 60_000,
  });
  const counted = new Map(list.map((f) => [f, { queued: 0, passed: 0, failed: 0, unfinished: new Map() }]));
  for (const line of fs.readFileSync(guardFile, 'utf8').split('\n').filter(Boolean)) {
    const [kind, file, nesting, name, ok, suite] = JSON.parse(line);
    const f = counted.get(file);
    if (!f) continue;
    const key = `${nesting}:${name}`;
    const open = f.unfinished.get(key) ?? 0;
    if (kind === 'queued') {
      f.queued++;
      f.unfinished.set(key, open + 1);
      continue;
    }
    if (!suite) {
      if (ok) f.passed++;
      else f.failed++;
    }
    if (open > 1) f.unfinished.set(key, open - 1);
    else f.unfinished.delete(key);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return { status: res.status === null ? 1 : res.status, counted };
}

/** Why a file's run is incomplete (it ended before every queued test finished), or undefined. */
function incomplete(f) {
  if (f.queued === 0) return 'no test reported';
  if (!f.unfinished.size) return undefined;
  const names = [...f.unfinished.keys()].map((k) => k.replace(/^\d+:/, ''));
  return `${names.length} queued test(s) never finished (${names.slice(0, 5).join('; ')})`;
}

const first = run(files, { forceExit: true });
let status = first.status;
const results = new Map(first.counted);
const cut = files.filter((f) => incomplete(first.counted.get(f)));
const lost = [];
if (cut.length) {
  console.error(`\ntest files that ended early, run again on their own without force-exit:\n  ${cut.map((f) => `${path.relative(root, f)}: ${incomplete(first.counted.get(f))}`).join('\n  ')}`);
  for (const file of cut) {
    const again = run([file], { forceExit: false });
    const f = again.counted.get(file);
    results.set(file, f);
    const why = incomplete(f);
    if (why) lost.push(`${path.relative(root, file)}: ${why}`);
    else if (again.status !== 0 && status === 0) status = again.status;
  }
}
let passed = 0;
let failed = 0;
for (const f of results.values()) {
  passed += f.passed;
  failed += f.failed;
}
if (lost.length) {
  console.error(`\ntest files that ended early again (their remaining tests never ran):\n  ${lost.join('\n  ')}`);
  status = 1;
}
// One plain closing line for the whole run (tests, not suites; a file run again counted once).
console.log(`\ntests: ${passed} passed, ${failed} failed`);
process.exit(status === 0 && failed === 0 ? 0 : status || 1);
