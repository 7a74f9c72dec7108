#!/usr/bin/env node
// Build: compile TypeScript (nodes, tests, benchmarks) into dist/, then place each node's editor
// .html, locales/ and icons/ beside its compiled .js, as Node-RED's loader expects.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const outDir = path.join(root, process.env.QB_BUILD_DIR || 'dist');

const tsc = require.resolve('typescript/bin/tsc');
const tscArgs = ['-p', path.join(root, 'tsconfig.json')];
if (process.env.QB_BUILD_DIR) {
  tscArgs.push('--outDir', outDir, '--tsBuildInfoFile', path.join(outDir, '.tsbuildinfo'));
}
execFileSync(process.execPath, [tsc, ...tscArgs], { stdio: 'inherit', cwd: root });

/** Copies every non-TypeScript asset of nodes/ (editor html, locales, icons, wsdl) into the output. */
function copyAssets(fromDir, toDir) {
  for (const entry of fs.readdirSync(fromDir, { withFileTypes: true })) {
    const from = path.join(fromDir, entry.name);
    const to = path.join(toDir, entry.name);
    if (entry.isDirectory()) {
      copyAssets(from, to);
    } else if (!entry.name.endsWith('.ts')) {
      fs.mkdirSync(toDir, { recursive: true });
      fs.copyFileSync(from, to);
    }
  }
}
copyAssets(path.join(root, 'nodes'), path.join(outDir, 'nodes'));

/**
 * Removes compiled files whose source is gone (tsc builds incrementally and never deletes), so a
 * deleted test or module cannot keep running from a stale dist/.
 */
function removeStale(dir) {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const out = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      removeStale(out);
      continue;
    }
    const m = /^(.*)\.(js|js\.map|d\.ts)$/.exec(entry.name);
    if (!m) continue;
    const rel = path.relative(outDir, path.join(dir, m[1]));
    const sources = [`${rel}.ts`, `${rel}.js`].map((f) => path.join(root, f));
    if (!sources.some((f) => fs.existsSync(f))) fs.rmSync(out);
  }
}
for (const top of ['nodes', 'test', 'bench']) removeStale(path.join(outDir, top));
