/**
 * node-red-node-test-helper bound to the node-red devDependency (4.1.x), typed loosely: the helper
 * ships no types and @types describes an older API.
 */
// eslint-disable-next-line @typescript-eslint/no-var-requires
const helper = require('node-red-node-test-helper');
helper.init(require.resolve('node-red'));

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
