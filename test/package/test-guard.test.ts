/**
 * `npm test` cannot lose tests silently: a test file that ends before all its queued tests finished
 * (here one that exits in the middle, as --test-force-exit or a stray process.exit would end it) fails
 * the run, naming the file and the tests that never ran; a complete file passes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir } from '../support/tmp';

const root = path.resolve(__dirname, '..', '..', '..');
const tmp = tempDir();
after(() => tmp.cleanup());

function runWith(files: Record<string, string>): { status: number | null; output: string } {
  const build = fs.mkdtempSync(path.join(tmp.dir, 'build-'));
  fs.mkdirSync(path.join(build, 'test'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(build, 'test', name), text);
  // Not a test run inside this one: Node's runner refuses to run files when it sees its own context.
  const env: NodeJS.ProcessEnv = { ...process.env, QB_BUILD_DIR: build };
  delete env.NODE_TEST_CONTEXT;
  const res = spawnSync(process.execPath, [path.join(root, 'scripts', 'test.js')], { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
  return { status: res.status, output: `${res.stdout}${res.stderr}` };
}

const complete = `const { describe, it } = require('node:test');
describe('all here', () => { it('one', () => {}); it('two', async () => {}); });`;
const cutShort = `const { describe, it } = require('node:test');
describe('first', () => { it('one', () => {}); it('ends the process', () => { process.exit(0); }); });
describe('Rule integration', () => { it('never runs', () => {}); });`;

/** Ends the process mid-suite the first time only (a marker file says it did): a file cut short once. */
function flakyOnce(marker: string): string {
  return `const fs = require('node:fs'); const { describe, it } = require('node:test');
describe('first', () => { it('one', () => {}); it('may end the process', () => { if (!fs.existsSync(${JSON.stringify(marker)})) { fs.writeFileSync(${JSON.stringify(marker)}, ''); process.exit(0); } }); });
describe('Rule integration', () => { it('runs the second time', () => {}); });`;
}

describe('scripts/test.js guards against lost tests', () => {
  it('runs a file that ended early again on its own; its complete run counts, once', () => {
    const marker = path.join(tmp.dir, `flaky-${Date.now()}`);
    const { status, output } = runWith({ 'a.test.js': complete, 'c.test.js': flakyOnce(marker) });
    assert.equal(status, 0, output);
    assert.match(output, /ended early, run again on their own without force-exit/);
    assert.match(output, /c\.test\.js/);
    assert.match(output, /^tests: 5 passed, 0 failed$/m, 'a.test.js 2 + c.test.js 3, each once');
  });

  it('passes a run where every queued test finished', () => {
    const { status, output } = runWith({ 'a.test.js': complete });
    assert.equal(status, 0, output);
    assert.doesNotMatch(output, /ended early/);
    assert.match(output, /^tests: 2 passed, 0 failed$/m);
  });

  it('fails a run where a file ended early, naming the file and what never ran', () => {
    const { status, output } = runWith({ 'a.test.js': complete, 'b.test.js': cutShort });
    assert.equal(status, 1, output);
    assert.match(output, /ended early again/);
    // Node's own summary counts the file as passed; the guard does not.
    assert.match(output, /b\.test\.js: (no test reported|\d+ queued test\(s\) never finished)/);
    assert.doesNotMatch(output, /a\.test\.js:/);
  });
});
