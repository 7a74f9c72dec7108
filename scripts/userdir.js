// Prepares a Node-RED user directory for `npm start`: links this checkout in as an installed
// package and, on the first start only, deploys the shipped flows from flows/.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const pkg = require(path.join(root, 'package.json'));

/** The user directory: QB_USER_DIR, else .node-red/ in the checkout. */
function userDirFromEnv(env = process.env) {
  return path.resolve(env.QB_USER_DIR || path.join(root, '.node-red'));
}

/** Concatenates every shipped flow file (each a JSON array of nodes) into one flow list. */
function shippedFlows(flowsDir = path.join(root, 'flows')) {
  if (!fs.existsSync(flowsDir)) return [];
  return fs
    .readdirSync(flowsDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((f) => {
      const nodes = JSON.parse(fs.readFileSync(path.join(flowsDir, f), 'utf8'));
      if (!Array.isArray(nodes)) throw new Error(`flows/${f} must be a JSON array of nodes`);
      return nodes;
    });
}

function linkPackage(userDir) {
  const scopeDir = path.join(userDir, 'node_modules', ...pkg.name.split('/').slice(0, -1));
  const link = path.join(userDir, 'node_modules', pkg.name);
  fs.mkdirSync(scopeDir, { recursive: true });
  let current;
  try {
    current = fs.realpathSync(link);
  } catch {
    current = undefined;
  }
  if (current !== fs.realpathSync(root)) {
    fs.rmSync(link, { recursive: true, force: true });
    fs.symlinkSync(root, link, 'dir');
  }
  const manifest = path.join(userDir, 'package.json');
  const userPkg = fs.existsSync(manifest) ? JSON.parse(fs.readFileSync(manifest, 'utf8')) : { name: 'node-red-project', private: true };
  userPkg.dependencies = { ...(userPkg.dependencies || {}), [pkg.name]: `file:${root}` };
  fs.writeFileSync(manifest, JSON.stringify(userPkg, null, 2) + '\n');
}

/**
 * Makes `userDir` ready: the package linked in, and flows.json written from flows/ when the
 * directory has none yet (later starts keep the user's edits). Returns what it did.
 */
function prepareUserDir(userDir, flowsDir) {
  fs.mkdirSync(userDir, { recursive: true });
  linkPackage(userDir);
  const flowFile = path.join(userDir, 'flows.json');
  let deployed = 0;
  if (!fs.existsSync(flowFile)) {
    const flows = shippedFlows(flowsDir);
    fs.writeFileSync(flowFile, JSON.stringify(flows, null, 2) + '\n');
    deployed = flows.length;
  }
  return { userDir, flowFile, deployed };
}

module.exports = { prepareUserDir, shippedFlows, userDirFromEnv };
