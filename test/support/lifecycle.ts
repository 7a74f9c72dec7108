import path from 'node:path';
import { after, afterEach, before } from 'node:test';
import { setEnv } from './env';
import type { FlowServer, HttpNodeCapture } from './flow-server';
import { nodeHelper as helper } from './helper';
import { tempDir } from './tmp';

/**
 * The hooks of a node test file: the test helper's server around the file, a store in the file's
 * temporary folder (QB_STORE_DIR), and after each test the flow unloaded and the captured httpNode app
 * closed.
 */
export function useNodeRed(tmp: { dir: string; cleanup: () => void }, httpNode?: HttpNodeCapture): void {
  before(async () => {
    process.env.QB_STORE_DIR = path.join(tmp.dir, 'store');
    await helper.startServer();
  });
  after(async () => {
    await helper.stopServer();
    delete process.env.QB_STORE_DIR;
    tmp.cleanup();
  });
  afterEach(async () => {
    await helper.unload();
    await httpNode?.close();
  });
}

export interface FlowHooks {
  /** First: the environment the flow reads (may start a simulator), given a store folder in a temporary folder. */
  env(storeDir: string): Record<string, string> | Promise<Record<string, string>>;
  /** Then, with the environment set and the test helper's server started: deploy. */
  start(): Promise<unknown>;
  /** Last, once the flow is gone and the helper's server stopped (e.g. close the simulator). */
  stop?(): Promise<unknown>;
}

/**
 * The hooks of a test file that deploys one flow configured from the environment, for all its tests:
 * before them `env` is set, the test helper's server started and `start` run; after them the flow is
 * unloaded (with `server`: closed), the helper's server stopped, `stop` run, the environment restored
 * and the temporary folder removed.
 */
export function useFlow(hooks: FlowHooks, server?: FlowServer): void {
  const tmp = tempDir();
  let restoreEnv: () => void = () => undefined;
  before(async () => {
    restoreEnv = setEnv(await hooks.env(path.join(tmp.dir, 'store')));
    await helper.startServer();
    await hooks.start();
  });
  after(async () => {
    if (server) await server.close();
    else await helper.unload();
    await helper.stopServer();
    await hooks.stop?.();
    restoreEnv();
    tmp.cleanup();
  });
}
