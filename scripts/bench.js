#!/usr/bin/env node
// `npm run bench`: runs every compiled benchmark (dist/bench/*.bench.js), each in its own process so
// its memory figures are its own, and prints their figures. An argument filters by file name.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const dir = path.join(__dirname, '..', 'dist', 'bench');
const filter = process.argv[2];
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.bench.js') && (!filter || f.includes(filter))).sort();
let failed = 0;
for (const f of files) {
  console.log(`\n# ${f.replace(/\.js$/, '')}`);
  const res = spawnSync(process.execPath, ['--expose-gc', path.join(dir, f)], { stdio: 'inherit' });
  if (res.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
