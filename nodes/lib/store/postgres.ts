import path from 'node:path';
import type { Collection, Doc, Projection, Query, QueryCursor, SortSpec, UpdateOptions } from './collection';
import type { SegmentStore } from './segments';

/**
 * The store on PostgreSQL (`QB_STORE_URL=postgres://…`): one table per collection, `_id text primary key`
 * and the document as nedb writes it (`doc json`: the same text, key order and `\u0000` escapes, which
 * `jsonb` refuses), with generated, indexed columns for the fields the package lists by (company, kind,
 * state, entity). Queries keep nedb's semantics exactly: SQL narrows the rows by `_id` and those columns,
 * then nedb's own matcher, modifier and comparison functions decide, as they do on the nedb backend.
 * Each collection runs its operations one at a time, in order, as nedb's executor does.
 *
 * Several processes (instances) may share one schema: instances.ts registers each and gives the mutex
 * across them; the outbox claims each job with a compare-and-set of its revision (`update` locks the
 * rows it matches FOR UPDATE and re-checks them with nedb's matcher, so a conditional update is atomic).
 */

// ---------------------------------------------------------------------------------------- node-postgres

/** The part of node-postgres used here (pg is an optional dependency, so no compile-time types). */
export interface PgClient {
  query(text: string, params?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }>;
}
interface PgPoolClient extends PgClient {
  release(err?: Error | boolean): void;
}
export interface PgPool extends PgClient {
  connect(): Promise<PgPoolClient>;
  end(): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

/** node-postgres, loaded only when a PostgreSQL store is opened; a clear error when it is not installed. */
export function loadPg(): { Pool: new (config: Record<string, unknown>) => PgPool } {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('pg');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
    throw new Error('QB_STORE_URL names a PostgreSQL store, but the optional package "pg" is not installed: run "npm install pg" in the Node-RED user directory');
  }
}

/** A new pool on `url` (`max` connections); its idle-connection errors are reported, never thrown at the process. */
export function createPool(url: string, warn?: (message: string) => void, max = 4): PgPool {
  const { Pool } = loadPg();
  const pool = new Pool({ connectionString: url, max });
  pool.on('error', (err) => warn?.(`PostgreSQL store connection lost: ${err.message}`));
  return pool;
}

/** A schema name as an SQL identifier (letters, digits, underscore; quoted). */
export function schemaIdent(schema: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) throw new Error(`"${schema}" is not a usable PostgreSQL schema name (letters, digits and _ only)`);
  return `"${schema}"`;
}

// ---------------------------------------------------------------------------------------- nedb's semantics

interface NedbModel {
  match(doc: unknown, query: unknown): boolean;
  modify(doc: unknown, update: unknown): Doc;
  deepCopy<T>(doc: T, strictKeys?: boolean): T;
  checkObject(doc: unknown): void;
  serialize(doc: unknown): string;
  deserialize(text: string): Doc;
  getDotValue(doc: unknown, field: string): unknown;
  compareThings(a: unknown, b: unknown, compareStrings?: (a: string, b: string) => number): number;
}
interface NedbCursorProto {
  _project(this: { _projection: Projection | undefined }, docs: Doc[]): Doc[];
}

/** nedb's model and cursor, from the nedb that nedb-promises itself loads: the one semantics for both backends. */
function nedb(): { model: NedbModel; project: (docs: Doc[], projection: Projection | undefined) => Doc[] } {
  const from = { paths: [path.dirname(require.resolve('nedb-promises'))] };
  const model = require(require.resolve('@seald-io/nedb/lib/model.js', from)) as NedbModel;
  const Cursor = require(require.resolve('@seald-io/nedb/lib/cursor.js', from)) as { prototype: NedbCursorProto };
  return { model, project: (docs, projection) => Cursor.prototype._project.call({ _projection: projection }, docs) };
}
const { model, project } = nedb();

/** nedb's error for a second document with the same `_id` (callers test its message and errorType). */
function uniqueViolated(key: unknown): Error {
  const err = new Error(`Can't insert key ${JSON.stringify(key)}, it violates the unique constraint`) as Error & { key: unknown; errorType: string };
  err.key = key;
  err.errorType = 'uniqueViolated';
  return err;
}

/** 16 random characters, as nedb's ids. */
function newId(): string {
  return require('node:crypto').randomBytes(12).toString('base64').replace(/[+/]/g, '').slice(0, 16).padEnd(16, '0');
}

/**
 * The columns the SQL pre-filter may use: each holds the document's field when it is a string, else
 * NULL. They are written from JavaScript, not generated by `doc->>field`: PostgreSQL's JSON functions
 * refuse a document holding `\u0000` anywhere, which nedb (and hostile input) allows.
 */
const COLUMNS = ['company', 'kind', 'state', 'entity'] as const;

/** A row's values: `_id`, the document's text, then the COLUMNS. */
function rowOf(doc: Doc): unknown[] {
  return [String(doc._id), model.serialize(doc), ...COLUMNS.map((c) => (typeof doc[c] === 'string' ? doc[c] : null))];
}

/**
 * Columns of one collection beyond COLUMNS (migration 3), written from JavaScript with every write:
 * the matches' key (as `keyHash`, equality only), admin link and outcome, so matching looks them up
 * by index and counts them instead of loading every match (matching/table-book.ts).
 */
const EXTRA_COLUMNS: Partial<Record<string, Record<string, (doc: Doc) => string | null>>> = {
  matches: {
    key_hash: (doc) => (typeof doc.key === 'string' ? keyHash(doc.key) : null),
    // a text column holds no NUL character; no QuickBooks id has one, so such a link matches nothing
    linked_qb_id: (doc) => (typeof doc.linkedQbId === 'string' && !doc.linkedQbId.includes('\u0000') ? doc.linkedQbId : null),
    status: (doc) => (typeof doc.status === 'string' ? doc.status : null),
    issue: (doc) => (typeof doc.issue === 'string' ? doc.issue : null),
  },
};

/**
 * A match key as an index column: its SHA-1 (base64). Keys are compared for equality only, and a key
 * may be long (an index entry has a size limit) or hold `\u0000` (which a text column refuses).
 */
export function keyHash(key: string): string {
  return require('node:crypto').createHash('sha1').update(key).digest('base64');
}

/** A collection's row for a document: `_id`, the document's text, the COLUMNS, then its extra columns. */
export function collectionRow(name: string, doc: Doc): unknown[] {
  return [...rowOf(doc), ...Object.values(EXTRA_COLUMNS[name] ?? {}).map((value) => value(doc))];
}

/** The column names of `collectionRow` after `_id, doc`. */
export function collectionColumns(name: string): string[] {
  return [...COLUMNS, ...Object.keys(EXTRA_COLUMNS[name] ?? {})];
}

/**
 * Keeps the planner's statistics of tables that grow fast (the mirror's records and keys, the matches)
 * close to their size: after a process wrote more rows than a fifth of what the last ANALYZE counted
 * (and at least 2,000), it runs ANALYZE, so the index look-ups of matching are planned as such instead
 * of as scans of tables the planner still believes empty (autovacuum analyzes too, but only a minute
 * or more later).
 */
export class TableStats {
  private readonly pending = new Map<string, { rows: number; size: number }>();

  constructor(private readonly pool: PgPool) {}

  /** `rows` rows of `table` were written; analyzes it when they are many for its known size. */
  async wrote(table: string, rows: number): Promise<void> {
    const t = this.pending.get(table) ?? { rows: 0, size: 0 };
    t.rows += rows;
    this.pending.set(table, t);
    if (t.rows < Math.max(2_000, t.size / 5)) return;
    t.rows = 0;
    await this.pool.query(`ANALYZE ${table}`);
    const { rows: found } = await this.pool.query(`SELECT reltuples::bigint AS n FROM pg_class WHERE oid = $1::regclass`, [table]);
    t.size = Math.max(0, Number(found[0]?.n ?? 0));
  }
}

/** The document's text as the collections store it (nedb's serialisation) and back. */
export function serializeDoc(doc: Doc): string {
  return model.serialize(doc);
}
export function deserializeDoc(text: string): Doc {
  return model.deserialize(text);
}

/**
 * The SQL that narrows the candidates of `query`: equality on `_id` (or `_id: {$in}`) and string
 * equality (or `{$in}` of strings) on the generated columns. A superset of nedb's answer for the documents the package writes
 * (where these fields are strings); nedb's matcher then decides on each row.
 */
function prefilter(query: Query, params: unknown[]): string {
  const where: string[] = [];
  const id = query._id;
  if (typeof id === 'string') {
    params.push(id);
    where.push(`_id = $${params.length}`);
  } else if (id && typeof id === 'object' && Object.keys(id).length === 1 && Array.isArray(id.$in) && id.$in.every((v: unknown) => typeof v === 'string')) {
    params.push(id.$in);
    where.push(`_id = ANY($${params.length}::text[])`);
  }
  for (const c of COLUMNS) {
    const v = query[c];
    if (typeof v === 'string') {
      params.push(v);
      where.push(`${c} = $${params.length}`);
    } else if (v && typeof v === 'object' && Object.keys(v).length === 1 && Array.isArray(v.$in) && v.$in.every((x: unknown) => typeof x === 'string')) {
      params.push(v.$in); // e.g. the outbox's open states: the rows of finished jobs are never read
      where.push(`${c} = ANY($${params.length}::text[])`);
    }
  }
  return where.length ? `WHERE ${where.join(' AND ')}` : '';
}

function sortDocs(docs: Doc[], sort: SortSpec): Doc[] {
  const criteria = Object.entries(sort);
  return docs.sort((a, b) => {
    for (const [key, direction] of criteria) {
      const r = direction * model.compareThings(model.getDotValue(a, key), model.getDotValue(b, key));
      if (r !== 0) return r;
    }
    return 0;
  });
}

// ---------------------------------------------------------------------------------------- collection

class PgCursor<T> implements QueryCursor<T> {
  private _sort?: SortSpec;
  private _skip = 0;
  private _limit?: number;

  constructor(
    private readonly run: (c: { sort?: SortSpec; skip: number; limit?: number; projection?: Projection }) => Promise<T>,
    private _projection?: Projection,
  ) {}

  sort(sort: SortSpec): this { this._sort = sort; return this; }
  skip(n: number): this { this._skip = n; return this; }
  limit(n: number): this { this._limit = n; return this; }
  projection(p: Projection): this { this._projection = p; return this; }
  exec(): Promise<T> { return this.run({ sort: this._sort, skip: this._skip, limit: this._limit, projection: this._projection }); }
  then<A = T, B = never>(ok?: ((v: T) => A | PromiseLike<A>) | null, fail?: ((e: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.exec().then(ok, fail);
  }
}

/** One collection as a table `<schema>.qb_<name>`, with nedb-promises' methods and nedb's semantics. */
export class PgCollection implements Collection {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly table: string;
  private readonly columns: string[];

  constructor(
    private readonly pool: PgPool,
    schema: string,
    readonly name: string,
  ) {
    this.table = `${schemaIdent(schema)}."qb_${name}"`;
    this.columns = collectionColumns(name);
  }

  private row(doc: Doc): unknown[] {
    return collectionRow(this.name, doc);
  }

  /** Runs `fn` after every earlier operation of this collection (nedb's executor does the same). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** In one transaction; rolled back when `fn` throws. */
  private transaction<T>(fn: (client: PgClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, fn);
  }

  /** The documents matching `query`, in `_id` order (nedb's order when unsorted). */
  private async matching(client: PgClient, query: Query, forUpdate = false): Promise<Doc[]> {
    const params: unknown[] = [];
    const sql = `SELECT doc::text AS d FROM ${this.table} ${prefilter(query, params)} ORDER BY _id COLLATE "C"${forUpdate ? ' FOR UPDATE' : ''}`;
    const { rows } = await client.query(sql, params);
    const docs: Doc[] = [];
    for (const r of rows) {
      const doc = model.deserialize(r.d as string);
      if (model.match(doc, query)) docs.push(doc);
    }
    // nedb answers an `_id: {$in}` query in the order of the list (its index's look-ups), else in _id order
    const list = query._id?.$in;
    if (Array.isArray(list) && Object.keys(query._id).length === 1) {
      const at = new Map<unknown, number>();
      list.forEach((v, i) => { if (!at.has(v)) at.set(v, i); });
      docs.sort((a, b) => (at.get(a._id) ?? 0) - (at.get(b._id) ?? 0));
    }
    return docs;
  }

  find(query: Query = {}, projection?: Projection): QueryCursor<Doc[]> {
    return new PgCursor<Doc[]>((c) => this.serial(async () => {
      let docs = await this.matching(this.pool, query);
      if (c.sort) docs = sortDocs(docs, c.sort);
      docs = docs.slice(c.skip, c.limit ? c.skip + c.limit : undefined);
      return project(docs, c.projection);
    }), projection);
  }

  findOne(query: Query, projection?: Projection): QueryCursor<Doc | null> {
    return new PgCursor<Doc | null>((c) => this.find(query, c.projection).sort(c.sort ?? {}).skip(c.skip).limit(1).exec().then((d) => d[0] ?? null), projection);
  }

  count(query: Query = {}): QueryCursor<number> {
    return new PgCursor<number>(() => this.serial(async () => (await this.matching(this.pool, query)).length));
  }

  insert<T extends Record<string, any>>(doc: T): Promise<T>;
  insert<T extends Record<string, any>>(docs: T[]): Promise<T[]>;
  insert(input: Record<string, any> | Array<Record<string, any>>): Promise<any> {
    return this.serial(() => this.transaction((client) => this.insertIn(client, input)));
  }

  private async insertIn(client: PgClient, input: Record<string, any> | Array<Record<string, any>>): Promise<Doc | Doc[]> {
    const list = (Array.isArray(input) ? input : [input]).map((d) => {
      const doc = model.deepCopy(d) as Doc;
      if (doc._id === undefined) doc._id = newId();
      model.checkObject(doc);
      return doc;
    });
    const seen = new Set<unknown>();
    for (const d of list) {
      if (seen.has(d._id)) throw uniqueViolated(d._id);
      seen.add(d._id);
    }
    if (list.length === 0) return Array.isArray(input) ? [] : (undefined as never);
    const ids = list.map((d) => String(d._id));
    const { rows } = await client.query(`SELECT _id FROM ${this.table} WHERE _id = ANY($1::text[]) LIMIT 1`, [ids]);
    if (rows.length) throw uniqueViolated(list.find((d) => String(d._id) === rows[0]._id)?._id);
    try {
      for (let i = 0; i < list.length; i += 5_000) {
        const part = list.slice(i, i + 5_000);
        const rows = part.map((d) => this.row(d));
        await client.query(
          `INSERT INTO ${this.table} (_id, doc, ${this.columns.join(', ')}) SELECT * FROM unnest($1::text[], $2::json[], ${this.columns.map((_, i) => `$${i + 3}::text[]`).join(', ')})`,
          rows[0]!.map((_, col) => rows.map((r) => r[col])),
        );
      }
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw uniqueViolated(list[0]?._id);
      throw err;
    }
    const copies = list.map((d) => model.deepCopy(d));
    return Array.isArray(input) ? copies : (copies[0] as Doc);
  }

  update(query: Query, update: Record<string, any>, options: UpdateOptions = {}): Promise<any> {
    return this.serial(() => this.transaction(async (client) => {
      const multi = options.multi ?? false;
      const found = await this.matching(client, query, true);
      if (found.length === 0 && options.upsert) {
        let toInsert: Record<string, any>;
        try {
          model.checkObject(update);
          toInsert = update; // a plain document: inserted as it is
        } catch {
          toInsert = model.modify(model.deepCopy(query, true), update); // modifiers applied to the query's fields
        }
        const inserted = await this.insertIn(client, toInsert);
        return options.returnUpdatedDocs ? inserted : 1;
      }
      const targets = multi ? found : found.slice(0, 1);
      const changed = targets.map((d) => model.modify(d, update));
      for (let i = 0; i < changed.length; i++) {
        const before = targets[i] as Doc;
        const after = changed[i] as Doc;
        if (after._id !== before._id) throw new Error("You cannot change a document's _id");
        await client.query(`UPDATE ${this.table} SET doc = $2::json, ${this.columns.map((c, j) => `${c} = $${j + 3}`).join(', ')} WHERE _id = $1`, this.row(after));
      }
      if (!options.returnUpdatedDocs) return changed.length;
      const copies = changed.map((d) => model.deepCopy(d));
      return multi ? copies : (copies[0] ?? null);
    }));
  }

  remove(query: Query, options: { multi?: boolean } = {}): Promise<number> {
    return this.serial(() => this.transaction(async (client) => {
      const found = await this.matching(client, query, true);
      const targets = options.multi ? found : found.slice(0, 1);
      if (targets.length === 0) return 0;
      await client.query(`DELETE FROM ${this.table} WHERE _id = ANY($1::text[])`, [targets.map((d) => String(d._id))]);
      return targets.length;
    }));
  }
}

// ---------------------------------------------------------------------------------------- segments

/** The mirror's segment payloads as rows `<schema>.qb_segments (file, body)` instead of files. */
export class PgSegments implements SegmentStore {
  private readonly table: string;

  constructor(private readonly pool: PgPool, schema: string) {
    this.table = `${schemaIdent(schema)}.qb_segments`;
  }

  async write(file: string, text: string): Promise<void> {
    await this.pool.query(`INSERT INTO ${this.table} (file, body) VALUES ($1, $2) ON CONFLICT (file) DO UPDATE SET body = EXCLUDED.body`, [file, text]);
  }

  async read(file: string): Promise<string | undefined> {
    const { rows } = await this.pool.query(`SELECT body FROM ${this.table} WHERE file = $1`, [file]);
    return rows.length ? (rows[0].body as string) : undefined;
  }

  async list(dir: string): Promise<string[]> {
    const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
    const { rows } = await this.pool.query(`SELECT file FROM ${this.table} WHERE starts_with(file, $1) ORDER BY file`, [prefix]);
    return rows.map((r) => (r.file as string).slice(prefix.length)).filter((f) => !f.includes(path.sep));
  }

  async remove(file: string): Promise<void> {
    await this.pool.query(`DELETE FROM ${this.table} WHERE file = $1`, [file]);
  }
}

// ---------------------------------------------------------------------------------------- migrations

/** The schema's versions, in order; a released one is never edited, a change is a new version. */
export function migrations(collections: readonly string[]): Array<{ version: number; name: string; sql: string[] }> {
  return [
    {
      version: 1,
      name: 'collections and mirror segments',
      sql: [
        ...collections.flatMap((c) => [
          `CREATE TABLE qb_${c} (_id text PRIMARY KEY, doc json NOT NULL, ${COLUMNS.map((col) => `${col} text`).join(', ')})`,
          `CREATE INDEX qb_${c}_company_kind ON qb_${c} (company, kind)`,
          `CREATE INDEX qb_${c}_company_state ON qb_${c} (company, state)`,
          `CREATE INDEX qb_${c}_company_entity ON qb_${c} (company, entity)`,
        ]),
        'CREATE TABLE qb_segments (file text PRIMARY KEY, body text NOT NULL)',
      ],
    },
    {
      version: 2,
      name: 'instances sharing the store',
      sql: [
        // instances.ts: one row per open store, its heartbeat renewed every lease/3 (the database's clock)
        'CREATE TABLE qb_instances (id text PRIMARY KEY, host text NOT NULL, pid integer NOT NULL, started_at timestamptz NOT NULL, heartbeat_at timestamptz NOT NULL)',
      ],
    },
    {
      version: 3,
      name: 'mirror records and match keys in tables',
      sql: [
        // One row per mirrored QuickBooks record; `seq` keeps the order records were first written (the
        // in-memory mirror's order, the order of duplicate candidates). mirror/table-mirror.ts.
        'CREATE SEQUENCE qb_mirror_records_seq',
        `CREATE TABLE qb_mirror_records (company text NOT NULL, entity text NOT NULL, id text NOT NULL, seq bigint NOT NULL,
          active boolean NOT NULL, rec text NOT NULL, PRIMARY KEY (company, entity, id))`,
        'CREATE INDEX qb_mirror_records_seq_idx ON qb_mirror_records (company, entity, seq)',
        // The QuickBooks-side match key of each record under each key rule (by the rule's id), as keyHash;
        // a record's rows go when it is written again or deleted.
        `CREATE TABLE qb_mirror_keys (company text NOT NULL, entity text NOT NULL, rule text NOT NULL, id text NOT NULL, key_hash text NOT NULL,
          PRIMARY KEY (company, entity, rule, id),
          FOREIGN KEY (company, entity, id) REFERENCES qb_mirror_records (company, entity, id) ON DELETE CASCADE)`,
        'CREATE INDEX qb_mirror_keys_key_idx ON qb_mirror_keys (company, entity, rule, key_hash)',
        'CREATE INDEX qb_mirror_keys_id_idx ON qb_mirror_keys (company, entity, id)',
        // The matches' key and link as columns (written from JavaScript; existing rows are filled on first use).
        'ALTER TABLE qb_matches ADD COLUMN key_hash text, ADD COLUMN linked_qb_id text, ADD COLUMN status text, ADD COLUMN issue text',
        'CREATE INDEX qb_matches_key_idx ON qb_matches (company, kind, key_hash)',
        'CREATE INDEX qb_matches_page_idx ON qb_matches (company, kind, _id)',
        'CREATE INDEX qb_matches_linked_idx ON qb_matches (company, kind, linked_qb_id) WHERE linked_qb_id IS NOT NULL',
      ],
    },
  ];
}

/** Number the advisory lock of a schema's migrations (one per schema, so tests in parallel schemas do not wait). */
const MIGRATION_LOCK = 0x71627379; // "qbsy"

/**
 * Creates or upgrades the schema to the newest version. Several processes may run it at once: each
 * takes the schema's transaction-level advisory lock first, so one migrates and the others then find
 * every version applied. Returns the versions this call applied.
 */
export function migrate(pool: PgPool, schema: string, collections: readonly string[]): Promise<number[]> {
  const s = schemaIdent(schema);
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MIGRATION_LOCK, schema]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.qb_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query(`SELECT version FROM ${s}.qb_migrations`);
    const done = new Set(rows.map((r) => Number(r.version)));
    const applied: number[] = [];
    await client.query(`SET LOCAL search_path TO ${s}`);
    for (const m of migrations(collections)) {
      if (done.has(m.version)) continue;
      for (const sql of m.sql) await client.query(sql);
      await client.query(`INSERT INTO ${s}.qb_migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}

/** Runs `fn` in one transaction on a pooled client: committed, or rolled back when `fn` throws. */
export async function inTransaction<T>(pool: PgPool, fn: (client: PgClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    client.release();
    return out;
  } catch (err) {
    await client.query('ROLLBACK').then(() => client.release(), (e: Error) => client.release(e));
    throw err;
  }
}
