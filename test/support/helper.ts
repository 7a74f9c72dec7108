import fs from 'node:fs';
import path from 'node:path';
/**
 * node-red-node-test-helper bound to the node-red devDependency (4.1.x), typed loosely: the helper
 * ships no types and @types describes an older API.
 */
// eslint-disable-next-line @typescript-eslint/no-var-requires
const helper = require('node-red-node-test-helper');
helper.init(require.resolve('node-red'));

const root = path.resolve(__dirname, '..', '..', '..');
const catalogs = new Map<string, Record<string, unknown>>();

/**
 * `RED._` as Node-RED gives it to a node set: the key looked up in the package's en-US catalog of the
 * node type it starts with, `__name__` substituted. The test helper's own `_` returns the key.
 */
export function translate(key: string, subs: Record<string, unknown> = {}): string {
  const type = key.split('.')[0]!;
  if (!catalogs.has(type)) {
    const file = path.join(root, 'nodes', type, 'locales', 'en-US', `${type}.json`);
    catalogs.set(type, fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {});
  }
  let value: unknown = catalogs.get(type);
  for (const part of key.split('.')) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  if (typeof value !== 'string') return key;
  return value.replace(/__(\w+)__/g, (m, name: string) => (name in subs ? String(subs[name]) : m));
}

const wrapped = new WeakMap<object, (RED: any) => unknown>();

/**
 * A node module of this package given a RED whose `_` translates (everything else as the helper gives
 * it); Node-RED's core modules pass as they are (the helper recognises them by identity).
 */
function withCatalogs(mod: (RED: any) => unknown): (RED: any) => unknown {
  const core = Object.values((helper as { _nodeModules?: Record<string, unknown> })._nodeModules ?? {});
  if (typeof mod !== 'function' || core.includes(mod)) return mod;
  if (!wrapped.has(mod)) wrapped.set(mod, (RED: any) => mod(Object.create(RED, { _: { value: translate } })));
  return wrapped.get(mod)!;
}

const load = helper.load.bind(helper);
helper.load = (nodes: unknown, flow: unknown[], credentials?: Record<string, unknown>) =>
  load((Array.isArray(nodes) ? nodes : [nodes]).map((m) => withCatalogs(m as (RED: any) => unknown)), flow, credentials);

export interface TestNode {
  id: string;
  type: string;
  receive(msg: Record<string, unknown>): void;
  on(event: string, cb: (...args: any[]) => void): void;
  status?: unknown;
}

export const nodeHelper = helper as {
  startServer(): Promise<void>;
  stopServer(): Promise<void>;
  load(nodes: unknown, flow: unknown[], credentials?: Record<string, unknown>): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): TestNode;
  request(): any;
  log(): { args: any[][] };
};

/** Collects the next message a helper node receives. */
export function nextMessage(node: TestNode, timeoutMs = 3000): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message reached ${node.id} within ${timeoutMs} ms`)), timeoutMs);
    node.on('input', (msg: Record<string, any>) => {
      clearTimeout(timer);
      resolve(msg);
    });
  });
}

/** Resolves true if a message reaches the node within `ms`, false otherwise. */
export function receivesWithin(node: TestNode, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    node.on('input', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
