import fs from 'node:fs';
import path from 'node:path';
import Datastore from 'nedb-promises';
import { registerPrivateDir } from '../errors';
import { acquireLock } from './lock';
import { describeFindings, quarantineCorruptLines, readQuarantine, type QuarantineFinding } from './quarantine';
import type { Collection } from './collection';
import { LocalEvents, PgEvents, type PgEventsOptions, type StoreEvents } from './events';
import { DEFAULT_LEASE_MS, LocalInstances, PgInstances, type Instances } from './instances';
import { createPool, migrate, PgCollection, PgSegments, schemaIdent, TableStats, type PgPool } from './postgres';
import { SecretBox } from './secrets';
import { DiskSegments, type SegmentStore } from './segments';
import { intSetting } from '../util/env';

/** The collections of one store; each is one nedb-promises datastore on disk, or one table on PostgreSQL. */
export const COLLECTIONS = ['mirror', 'matches', 'jobs', 'log', 'tokens', 'state'] as const;
export type CollectionName = (typeof COLLECTIONS)[number];

/**
 * Indexes beyond `_id`. Documents are addressed by deterministic `_id`s (`<company>|<kind>|<source id>`),
 * which nedb indexes uniquely; the list queries (`{company, kind}`, `{company, state}`) deliberately
 * have no index: nedb keeps the documents of one index value in an array and removes them by linear
 * scan, so an index on a field that 100,000 documents share (a company, a state) makes every update
 * O(n) (measured: 100,000 match updates went from seconds to over ten minutes). A scan of the
 * collection is cheaper, and the hot paths read from the in-memory copies (Mirror, MatchBook).
 */
const INDEXES: Record<CollectionName, Array<string | string[]>> = {
  mirror: [],
  matches: [],
  jobs: [],
  log: ['sourceId'],
  tokens: [],
  state: [],
};

export type { Collection } from './collection';
type NedbCollection = Datastore<{ _id: string; [field: string]: any }>;

export interface StoreOptions {
  /** How often each datafile is compacted (nedb appends until then). Default one hour. */
  compactEveryMs?: number;
  /** Secret for token encryption; default `QB_STORE_KEY`, else a key file in the store folder. */
  secret?: string;
  /** Where the start-up reports corrupt lines it kept aside (once per open; default: nowhere). */
  warn?: (message: string) => void;
  /** A PostgreSQL store (`postgres://…`) instead of nedb files; default `QB_STORE_URL`. */
  url?: string;
  /** The PostgreSQL schema of its tables; default `QB_STORE_SCHEMA`, else `public`. */
  schema?: string;
  /** PostgreSQL: how soon `events` listens again after its connection dropped (default 250 ms, doubling to 30 s). */
  events?: PgEventsOptions;
  /**
   * After how long without a heartbeat another instance counts as dead and its `sent` jobs are taken
   * over (ms); default `QB_INSTANCE_LEASE_MS`, else 30 000 (instances.ts).
   */
  leaseMs?: number;
}

/** A PostgreSQL store's pool and its schema (as a quoted SQL identifier). */
export interface PgAccess {
  pool: PgPool;
  schema: string;
  /** One per store: when the tables that grow fast are analyzed. */
  stats: TableStats;
}

/** The backend-specific part of a store: how it flushes and closes. */
interface Backend {
  kind: 'nedb' | 'postgres';
  flush(name: CollectionName): Promise<void>;
  close(): Promise<void>;
}

/** A collection's lines kept aside in its quarantine file (see quarantine.ts), for admins. */
export interface QuarantineReport extends QuarantineFinding {
  collection: CollectionName;
  /** Lines moved aside by this start-up (the rest were found by earlier ones). */
  foundNow: number;
}

interface RawDatastore {
  compactDatafileAsync(): Promise<void>;
  setAutocompactionInterval(ms: number): void;
  stopAutocompaction(): void;
}

function raw(db: Collection | NedbCollection): RawDatastore {
  return (db as unknown as { __original: RawDatastore }).__original;
}

/**
 * The package's durable state: mirror, matches, jobs (the outbox/queue), log, tokens (sealed) and state
 * (sync watermarks), with the mirror's segment payloads. On nedb (the default) under one folder, which one
 * process may open at a time; on PostgreSQL (`QB_STORE_URL`, postgres.ts) in one schema's tables, the
 * folder keeping only the token key file when `QB_STORE_KEY` is not set.
 */
export class Store {
  readonly secrets: SecretBox;
  private closed = false;

  private constructor(
    readonly dir: string,
    private readonly collections: Record<CollectionName, Collection>,
    private readonly backend: Backend,
    secrets: SecretBox,
    private readonly quarantine: QuarantineReport[],
    /** The mirror's segment payloads (files beside nedb, a table on PostgreSQL). */
    readonly segments: SegmentStore,
    /** Messages between the instances sharing this store (events.ts): LISTEN/NOTIFY on PostgreSQL, in-process on nedb. */
    readonly events: StoreEvents,
    /**
     * This open's identity among the instances sharing the store, and which of them are alive
     * (instances.ts): `instance.id`, `instance.leaseMs`, `instance.alive(ids)`, `instance.isAlive(id)`.
     */
    readonly instance: Instances,
    /**
     * On PostgreSQL, the pool and schema, for the parts that keep their own tables (the mirror's records
     * and the match keys: mirror/table-mirror.ts, matching/table-book.ts); undefined on nedb.
     */
    readonly sql?: PgAccess,
  ) {
    this.secrets = secrets;
  }

  /** Which backend holds this store. */
  get backendKind(): 'nedb' | 'postgres' {
    return this.backend.kind;
  }

  /**
   * The lines kept aside because they were corrupt, per collection (this start-up's and earlier ones'),
   * as long as their quarantine file is there: file names only, never paths. Empty when all is well.
   */
  quarantined(): QuarantineReport[] {
    return this.quarantine.map((q) => ({ ...q, lines: [...q.lines] }));
  }

  static async open(dir: string, options: StoreOptions = {}): Promise<Store> {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    registerPrivateDir(dir); // its path never appears in an answer (errors/redactPaths)
    const url = options.url ?? storeUrl();
    if (url) return Store.openPostgres(dir, url, options);
    const release = acquireLock(dir);
    try {
      const collections = {} as Record<CollectionName, NedbCollection>;
      const foundNow: QuarantineFinding[] = [];
      const quarantine: QuarantineReport[] = [];
      for (const name of COLLECTIONS) {
        // lines nedb would drop silently go to <name>.db.quarantine first (quarantine.ts)
        const found = quarantineCorruptLines(dir, `${name}.db`);
        if (found) foundNow.push(found);
        const kept = readQuarantine(dir, `${name}.db`);
        if (kept) quarantine.push({ ...kept, collection: name, foundNow: found?.count ?? 0 });
        const db = Datastore.create({ filename: path.join(dir, `${name}.db`), autoload: false }) as NedbCollection;
        await db.load();
        for (const fieldName of INDEXES[name]) await db.ensureIndex({ fieldName: fieldName as string });
        raw(db).setAutocompactionInterval(Math.max(options.compactEveryMs ?? 3_600_000, 5_000));
        collections[name] = db;
      }
      if (foundNow.length) options.warn?.(describeFindings(foundNow));
      const instance = new LocalInstances(leaseMs(options));
      const backend: Backend = {
        kind: 'nedb',
        flush: (name) => raw(collections[name]).compactDatafileAsync(),
        close: async () => {
          for (const name of COLLECTIONS) {
            raw(collections[name]).stopAutocompaction();
            await raw(collections[name]).compactDatafileAsync();
          }
          release();
        },
      };
      const events = new LocalEvents(options.warn ?? (() => undefined));
      return new Store(dir, collections as unknown as Record<CollectionName, Collection>, backend, SecretBox.forStore(dir, options.secret), quarantine, new DiskSegments(dir), events, instance);
    } catch (err) {
      release();
      throw err;
    }
  }

  /** The store in PostgreSQL: the schema migrated to the newest version first, then this instance registered (instances.ts). No lock: instances share it. */
  private static async openPostgres(dir: string, url: string, options: StoreOptions): Promise<Store> {
    const schema = options.schema ?? storeSchema();
    const pool: PgPool = createPool(url, options.warn);
    // The heartbeat's own connection: it never waits behind the store's work for a pooled one.
    const beats: PgPool = createPool(url, options.warn, 1);
    let instance: PgInstances;
    try {
      await migrate(pool, schema, COLLECTIONS);
      instance = await PgInstances.start(pool, beats, schema, leaseMs(options), options.warn ?? (() => undefined));
    } catch (err) {
      await pool.end().catch(() => undefined);
      await beats.end().catch(() => undefined);
      throw new Error(`the PostgreSQL store could not be opened: ${(err as Error).message || (err as { code?: string }).code || 'no answer'}`);
    }
    const collections = {} as Record<CollectionName, Collection>;
    for (const name of COLLECTIONS) collections[name] = new PgCollection(pool, schema, name);
    const backend: Backend = { kind: 'postgres', flush: async () => undefined, close: () => pool.end() };
    const secrets = SecretBox.forStore(dir, options.secret);
    const events = new PgEvents(pool, url, schema, options.warn ?? (() => undefined), options.events);
    await events.start();
    return new Store(dir, collections, backend, secrets, [], new PgSegments(pool, schema), events, instance, { pool, schema: schemaIdent(schema), stats: new TableStats(pool) });
  }

  get mirror(): Collection { return this.collection('mirror'); }
  get matches(): Collection { return this.collection('matches'); }
  get jobs(): Collection { return this.collection('jobs'); }
  get log(): Collection { return this.collection('log'); }
  get tokens(): Collection { return this.collection('tokens'); }
  get state(): Collection { return this.collection('state'); }

  private collection(name: CollectionName): Collection {
    if (this.closed) throw new Error('the QuickBooks store is closed');
    return this.collections[name];
  }

  /**
   * Rewrites a collection's file and fsyncs it (nedb does not fsync appends). Call after writes that
   * must survive a power loss, e.g. a rotated refresh token. On PostgreSQL every write is already
   * committed, so nothing is left to do.
   */
  async flush(name: CollectionName): Promise<void> {
    this.collection(name);
    await this.backend.flush(name);
  }

  /**
   * Runs `fn` while no other caller of the same `name` runs, in this process or in any instance sharing
   * the store (a PostgreSQL advisory lock; in-process on nedb): single-flight work such as a token
   * refresh. `fn` must not call `exclusive` itself.
   */
  exclusive<T>(name: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the QuickBooks store is closed'));
    return this.instance.exclusive(name, fn);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.events.close();
    await this.instance.close();
    await this.backend.close();
    this.closed = true;
  }
}

const open = new Map<string, { store: Promise<Store>; users: number }>();

/**
 * The shared store for a folder: every node of this process that names the same folder gets the same
 * `Store`; the last `releaseStore` closes it.
 */
export function acquireStore(dir: string, options?: StoreOptions): Promise<Store> {
  const key = path.resolve(dir);
  const entry = open.get(key);
  if (entry) {
    entry.users++;
    return entry.store;
  }
  const store = Store.open(key, options);
  open.set(key, { store, users: 1 });
  store.catch(() => open.delete(key));
  return store;
}

export async function releaseStore(dir: string): Promise<void> {
  const key = path.resolve(dir);
  const entry = open.get(key);
  if (!entry) return;
  if (--entry.users > 0) return;
  open.delete(key);
  await (await entry.store).close();
}

/** The PostgreSQL store's URL (`QB_STORE_URL`), or undefined for the nedb store. */
export function storeUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const url = env.QB_STORE_URL?.trim();
  if (!url) return undefined;
  if (!/^postgres(ql)?:\/\//i.test(url)) throw new Error('QB_STORE_URL must be a postgres:// or postgresql:// URL');
  return url;
}

/** The instances' lease (ms): the option, else `QB_INSTANCE_LEASE_MS`, else 30 s; at least 300 ms. */
function leaseMs(options: StoreOptions, env: NodeJS.ProcessEnv = process.env): number {
  return intSetting(options.leaseMs ?? env.QB_INSTANCE_LEASE_MS, DEFAULT_LEASE_MS, 300);
}

/** The PostgreSQL schema: `QB_STORE_SCHEMA`, else `public`. */
export function storeSchema(env: NodeJS.ProcessEnv = process.env): string {
  return env.QB_STORE_SCHEMA?.trim() || 'public';
}

/** The store folder: `QB_STORE_DIR`, else `<Node-RED user dir>/quickbooks`. */
export function storeDir(userDir: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (env.QB_STORE_DIR) return path.resolve(env.QB_STORE_DIR);
  return path.join(userDir ?? process.cwd(), 'quickbooks');
}
