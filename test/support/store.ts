import fs from 'node:fs';
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
export async function openTestStore(dir: string, options: StoreOptions = {}): Promise<Store> {
  const backend = testBackend();
  const store = await (backend === 'nedb' ? Store.open(dir, options) : Store.open(dir, { url: PG_URL, schema: testSchema(path.basename(dir)), ...options }));
  if (store.backendKind !== backend) throw new Error(`the test store opened on ${store.backendKind}, not ${backend}`);
  return store;
}

/**
 * A store's mirror segment payloads as the backend keeps them, read and changed around the store (files
 * under its folder on nedb, rows of its schema's qb_segments on PostgreSQL): what a crash or a lost
 * file leaves behind, and what a test checks was written.
 */
export function rawSegments(store: Store): {
  names(): Promise<string[]>;
  read(file: string): Promise<string | undefined>;
  write(file: string, text: string): Promise<void>;
  remove(file: string): Promise<void>;
} {
  if (store.backendKind === 'nedb') {
    const at = (file: string) => path.join(store.dir, file);
    return {
      async names() {
        const root = path.join(store.dir, 'mirror-segments');
        if (!fs.existsSync(root)) return [];
        return (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) => /\d+\.\w+$/.test(f)).sort();
      },
      read: async (file) => (fs.existsSync(at(file)) ? fs.readFileSync(at(file), 'utf8') : undefined),
      write: async (file, text) => fs.writeFileSync(at(file), text),
      remove: async (file) => fs.rmSync(at(file)),
    };
  }
  const table = `"${testSchema(path.basename(store.dir))}".qb_segments`;
  return {
    names: async () => (await pgQuery(`SELECT file FROM ${table}`)).map((r) => path.relative('mirror-segments', r.file as string)).sort(),
    read: async (file) => (await pgQuery(`SELECT body FROM ${table} WHERE file = $1`, [file]))[0]?.body,
    write: async (file, text) => void (await pgQuery(`INSERT INTO ${table} (file, body) VALUES ($1, $2)`, [file, text])),
    remove: async (file) => void (await pgQuery(`DELETE FROM ${table} WHERE file = $1`, [file])),
  };
}

/** Every mirror segment payload of a store, by path under mirror-segments/. */
export function segmentNames(store: Store): Promise<string[]> {
  return rawSegments(store).names();
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
