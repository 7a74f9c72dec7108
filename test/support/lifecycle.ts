import path from 'node:path';
import { after, afterEach, before } from 'node:test';
import type { HttpNodeCapture } from './flow-server';
import { nodeHelper as helper } from './helper';

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
