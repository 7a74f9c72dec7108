#!/usr/bin/env node
// `npm start`: Node-RED 4.1 with this package loaded from the checkout and the shipped flows.
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');
const { prepareUserDir, userDirFromEnv } = require('./userdir');

// Variables from a .env file (QB_ENV_FILE, else .env in the checkout) when there is one; variables
// already set in the environment win. .env.example lists every variable.
const envFile = path.resolve(process.env.QB_ENV_FILE || path.join(__dirname, '..', '.env'));
if (require('node:fs').existsSync(envFile)) {
  process.loadEnvFile(envFile);
  console.log(`[qbsync] read variables from ${path.relative(process.cwd(), envFile) || envFile}`);
}

// Refuse to start, saying what to set, when HOST reaches beyond this machine without authentication.
const { exposureSettings, ExposureError } = require('../dist/nodes/lib/node-red/exposure');
try {
  exposureSettings(process.env, () => '');
} catch (err) {
  if (!(err instanceof ExposureError)) throw err;
  console.error(`[qbsync] not started: ${err.message}`);
  process.exit(1);
}

const userDir = userDirFromEnv();
const { deployed } = prepareUserDir(userDir);
if (deployed > 0) console.log(`[qbsync] first start: deployed ${deployed} nodes from flows/ into ${userDir}/flows.json`);
console.log(`[qbsync] Node-RED user directory: ${userDir}`);

const red = require.resolve('node-red/red.js');
const child = spawn(
  process.execPath,
  [red, '--userDir', userDir, '--settings', path.join(__dirname, 'settings.js'), ...process.argv.slice(2)],
  { stdio: 'inherit', env: process.env },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
