import path from 'node:path';
import { after, before } from 'node:test';
import { Store, type StoreOptions } from '../../nodes/lib/store';
import { PG_URL, pgQuery, testSchema } from './pg';
import { tempDir } from './tmp';

/**
 * The backend the store tests run on: `QB_TEST_STORE=postgres` for PostgreSQL (at QB_TEST_PG_URL), else
 * nedb. A suite file runs on PostgreSQL too through a sibling `*.postgres.test.ts` that sets it.
 */
export function testBackend(): 'nedb' | 'postgres' {
  return process.env.QB_TEST_STORE === 'postgres' ? 'postgres' : 'nedb';
}

/**
 * Opens the test store of a folder on the chosen backend: on PostgreSQL, in a schema named after the
 * folder, so opening the same folder again (a restart) finds the same data and other folders do not.
 */
export function openTestStore(dir: string, options: StoreOptions = {}): Promise<Store> {
  if (testBackend() === 'nedb') return Store.open(dir, options);
  return Store.open(dir, { url: PG_URL, schema: testSchema(path.basename(dir)), ...options });
}

/** Every mirror segment payload of a store, by path (files on nedb, rows on PostgreSQL). */
export async function segmentNames(store: Store, schemaOf: (s: Store) => string = (s) => testSchema(path.basename(s.dir))): Promise<string[]> {
  if (store.backendKind === 'nedb') {
    const fs = await import('node:fs');
    const root = path.join(store.dir, 'mirror-segments');
    if (!fs.existsSync(root)) return [];
    return (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) => /\d+\.\w+$/.test(f)).sort();
  }
  const rows = await pgQuery(`SELECT file FROM "${schemaOf(store)}".qb_segments`);
  return rows.map((r) => path.relative('mirror-segments', r.file as string)).sort();
}

/** A store for one test file: opened before its tests, closed and removed after. */
export function useStore(): () => Store {
  const tmp = tempDir('qbsync-store-');
  let store: Store | undefined;
  before(async () => {
    store = await openTestStore(path.join(tmp.dir, 'store'));
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
