import path from 'node:path';
import { after, before } from 'node:test';
import { Store } from '../../nodes/lib/store';
import { tempDir } from './tmp';

/** A store on disk for one test file: opened before its tests, closed and removed after. */
export function useStore(): () => Store {
  const tmp = tempDir('qbsync-store-');
  let store: Store | undefined;
  before(async () => {
    store = await Store.open(path.join(tmp.dir, 'store'));
  });
  after(async () => {
    await store?.close();
    tmp.cleanup();
  });
  return () => {
    if (!store) throw new Error('the store is not open yet');
    return store;
  };
}
