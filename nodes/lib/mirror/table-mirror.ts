import { createHash } from 'node:crypto';
import type { Store } from '../store';
import type { PgAccess } from '../store/store';
import { inTransaction, keyHash, type PgClient } from '../store/postgres';
import type { MirrorRecord } from './mirror';

/** A list being replaced a page at a time (Mirror.replacing). */
export interface MirrorReplacement {
  add(records: MirrorRecord[]): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** Records per read page and per written statement. */
export const TABLE_PAGE = 1_000;

/**
 * How a list's records are keyed for matching: an id naming the rule (a changed rule is another id, so
 * its keys are computed afresh) and the function giving a record's key.
 */
export interface MirrorKey {
  id: string;
  keyOf(record: MirrorRecord): string | Promise<string>;
}

/** The id of a key rule or key function: what it computes, so a changed rule gets new keys. */
export function keyId(what: { source: string } | ((...a: never[]) => unknown)): string {
  const text = typeof what === 'function' ? `fn:${what.toString()}` : `rule:${what.source}`;
  return createHash('sha1').update(text).digest('base64').slice(0, 22);
}

/**
 * The mirror on PostgreSQL: one row per record in `qb_mirror_records` (migration 3) and its match keys
 * in `qb_mirror_keys`, so nothing holds a whole list in memory. `seq` keeps the order records were
 * first written (the in-memory mirror's Map order, which is the order of duplicate candidates), and a
 * record written again keeps its place. Each write is one transaction: a page is committed as it
 * arrives. The keys of the rules registered (`keyBy`) are written with the records; a record written by
 * a process that does not know a rule has no key row for it, and `ensureKeys` computes what is missing
 * before matching.
 */
export class TableMirror {
  private readonly records: string;
  private readonly keys: string;
  private readonly seq: string;
  private readonly sql: PgAccess;
  private readonly rules = new Map<string, Map<string, MirrorKey>>();
  /** Lists and rules (`entity\u0000rule`) whose keys a scan found complete; this process's writes keep them so. */
  private readonly keyed = new Set<string>();

  constructor(
    store: Store,
    readonly company: string,
  ) {
    if (!store.sql) throw new Error('the table mirror needs a PostgreSQL store');
    this.sql = store.sql;
    this.records = `${this.sql.schema}.qb_mirror_records`;
    this.keys = `${this.sql.schema}.qb_mirror_keys`;
    this.seq = `${this.sql.schema}.qb_mirror_records_seq`;
  }

  /** Computes `key` for every record written from now on (and `ensureKeys` for the ones before). */
  keyBy(entity: string, key: MirrorKey): void {
    let byId = this.rules.get(entity);
    if (!byId) this.rules.set(entity, (byId = new Map()));
    byId.set(key.id, key);
  }

  /** The records in the order they were first written, `size` at a time (keyset pagination). */
  async *pages(entity: string, size = TABLE_PAGE): AsyncGenerator<MirrorRecord[]> {
    let after = -1;
    for (;;) {
      const { rows } = await this.sql.pool.query(
        `SELECT seq, rec FROM ${this.records} WHERE company = $1 AND entity = $2 AND seq > $3 ORDER BY seq LIMIT $4`,
        [this.company, entity, after, size],
      );
      if (rows.length === 0) return;
      after = Number(rows[rows.length - 1].seq);
      yield rows.map((r) => JSON.parse(r.rec as string) as MirrorRecord);
      if (rows.length < size) return;
    }
  }

  async count(entity: string): Promise<number> {
    const { rows } = await this.sql.pool.query(`SELECT count(*)::int AS n FROM ${this.records} WHERE company = $1 AND entity = $2`, [this.company, entity]);
    return rows[0].n as number;
  }

  /** The records of these ids that exist (by id). */
  async getMany(entity: string, ids: Iterable<string>): Promise<Map<string, MirrorRecord>> {
    const wanted = possibleIds(ids);
    const out = new Map<string, MirrorRecord>();
    for (let i = 0; i < wanted.length; i += TABLE_PAGE) {
      const { rows } = await this.sql.pool.query(
        `SELECT rec FROM ${this.records} WHERE company = $1 AND entity = $2 AND id = ANY($3::text[])`,
        [this.company, entity, wanted.slice(i, i + TABLE_PAGE)],
      );
      for (const r of rows) {
        const rec = JSON.parse(r.rec as string) as MirrorRecord;
        out.set(rec.id, rec);
      }
    }
    return out;
  }

  /** Replaces the whole list in one transaction (readers see the old list or the new one). */
  async replace(entity: string, records: MirrorRecord[]): Promise<void> {
    const page = latest(records);
    const keys = await this.keysOf(entity, page);
    await inTransaction(this.sql.pool, async (client) => {
      await client.query(`DELETE FROM ${this.records} WHERE company = $1 AND entity = $2`, [this.company, entity]);
      for (let i = 0; i < page.length; i += TABLE_PAGE * 5) {
        const part = page.slice(i, i + TABLE_PAGE * 5);
        await this.write(client, entity, part, keys.map((k) => ({ rule: k.rule, hashes: k.hashes.slice(i, i + TABLE_PAGE * 5) })), false, false);
      }
    });
    // analyzed once committed (an ANALYZE meanwhile would count the old list)
    await this.sql.stats.wrote(this.records, page.length);
    await this.sql.stats.wrote(this.keys, page.length);
  }

  /**
   * A replace that arrives a page at a time (a full load): one transaction on a connection of its own,
   * the list emptied first and each page written as it comes, so memory holds one page and readers see
   * the old list until `commit`. `abort` (or a failed write) rolls it back and keeps the old list.
   */
  async replacing(entity: string): Promise<MirrorReplacement> {
    const client = await this.sql.pool.connect();
    let open = true;
    let written = 0;
    const end = async (sql: 'COMMIT' | 'ROLLBACK') => {
      if (!open) return;
      open = false;
      try {
        await client.query(sql);
        client.release();
      } catch (err) {
        client.release(err as Error);
        throw err;
      }
    };
    try {
      await client.query('BEGIN');
      await client.query(`DELETE FROM ${this.records} WHERE company = $1 AND entity = $2`, [this.company, entity]);
    } catch (err) {
      open = false;
      client.release(err as Error);
      throw err;
    }
    return {
      add: async (records) => {
        const page = latest(records);
        if (page.length === 0) return;
        try {
          await this.write(client, entity, page, await this.keysOf(entity, page), true, false);
          written += page.length;
        } catch (err) {
          await end('ROLLBACK').catch(() => undefined);
          throw err;
        }
      },
      commit: async () => {
        await end('COMMIT');
        await this.sql.stats.wrote(this.records, written);
        await this.sql.stats.wrote(this.keys, written);
      },
      abort: () => end('ROLLBACK'),
    };
  }

  /** Writes a page of records (a record given twice counts once, with its last version): one transaction. */
  async upsert(entity: string, records: MirrorRecord[]): Promise<void> {
    const page = latest(records);
    if (page.length === 0) return;
    const keys = await this.keysOf(entity, page);
    await inTransaction(this.sql.pool, (client) => this.write(client, entity, page, keys, true));
  }

  async delete(entity: string, ids: string[]): Promise<void> {
    const gone = possibleIds(ids);
    if (gone.length === 0) return;
    await this.sql.pool.query(`DELETE FROM ${this.records} WHERE company = $1 AND entity = $2 AND id = ANY($3::text[])`, [this.company, entity, gone]);
  }

  /**
   * Computes the keys of `key` that are missing (records written before the rule was registered, or by
   * a process that does not know it), a page at a time in the records' order. Returns how many it
   * computed. Once a scan found them complete, later calls skip the scan (this process keys what it
   * writes) unless `rescan`, or until `forget` (the list changed elsewhere).
   */
  async ensureKeys(entity: string, key: MirrorKey, rescan = false): Promise<number> {
    this.keyBy(entity, key);
    const mark = `${entity}\u0000${key.id}`;
    if (!rescan && this.keyed.has(mark)) return 0;
    let after = -1;
    let done = 0;
    for (;;) {
      const { rows } = await this.sql.pool.query(
        `SELECT r.seq, r.rec FROM ${this.records} r WHERE r.company = $1 AND r.entity = $2 AND r.seq > $3
           AND NOT EXISTS (SELECT 1 FROM ${this.keys} k WHERE k.company = r.company AND k.entity = r.entity AND k.rule = $4 AND k.id = r.id)
         ORDER BY r.seq LIMIT $5`,
        [this.company, entity, after, key.id, TABLE_PAGE],
      );
      if (rows.length === 0) {
        this.keyed.add(mark);
        return done;
      }
      after = Number(rows[rows.length - 1].seq);
      const records = rows.map((r) => JSON.parse(r.rec as string) as MirrorRecord);
      const hashes = await hashesOf(key, records);
      // ON CONFLICT: a writer may have keyed the same record meanwhile, with the same rule and record.
      await this.sql.pool.query(
        `INSERT INTO ${this.keys} (company, entity, rule, id, key_hash) SELECT $1, $2, $3, id, h FROM unnest($4::text[], $5::text[]) AS t(id, h)
         WHERE EXISTS (SELECT 1 FROM ${this.records} r WHERE r.company = $1 AND r.entity = $2 AND r.id = t.id)
         ON CONFLICT (company, entity, rule, id) DO NOTHING`,
        [this.company, entity, key.id, records.map((r) => r.id), hashes],
      );
      await this.sql.stats.wrote(this.keys, records.length);
      done += records.length;
      if (rows.length < TABLE_PAGE) {
        this.keyed.add(mark);
        return done;
      }
    }
  }

  /** The list may have been written by another process: the next `ensureKeys` scans again. */
  forget(entity?: string): void {
    if (entity === undefined) this.keyed.clear();
    else for (const mark of this.keyed) if (mark.startsWith(`${entity}\u0000`)) this.keyed.delete(mark);
  }

  /** The keys of every registered rule of the list, for these records. */
  private async keysOf(entity: string, page: MirrorRecord[]): Promise<Array<{ rule: string; hashes: string[] }>> {
    const out = [];
    for (const key of this.rules.get(entity)?.values() ?? []) out.push({ rule: key.id, hashes: await hashesOf(key, page) });
    return out;
  }

  /** Inserts or updates the records (their place kept when they exist) and replaces their key rows. */
  private async write(client: PgClient, entity: string, page: MirrorRecord[], keys: Array<{ rule: string; hashes: string[] }>, existing: boolean, analyze = true): Promise<void> {
    const ids = page.map((r) => r.id);
    await client.query(
      `INSERT INTO ${this.records} (company, entity, id, seq, active, rec)
       SELECT $1, $2, id, nextval('${this.seq}'), active, rec FROM unnest($3::text[], $4::boolean[], $5::text[]) WITH ORDINALITY AS t(id, active, rec, ord) ORDER BY ord
       ON CONFLICT (company, entity, id) DO UPDATE SET active = EXCLUDED.active, rec = EXCLUDED.rec`,
      [this.company, entity, ids, page.map((r) => r.active !== false), page.map((r) => JSON.stringify(r))],
    );
    if (analyze) await this.sql.stats.wrote(this.records, page.length);
    if (existing) await client.query(`DELETE FROM ${this.keys} WHERE company = $1 AND entity = $2 AND id = ANY($3::text[])`, [this.company, entity, ids]);
    for (const k of keys) {
      await client.query(
        `INSERT INTO ${this.keys} (company, entity, rule, id, key_hash) SELECT $1, $2, $3, * FROM unnest($4::text[], $5::text[])`,
        [this.company, entity, k.rule, ids, k.hashes],
      );
      if (analyze) await this.sql.stats.wrote(this.keys, ids.length);
    }
  }
}

/** Ids, each once, leaving out those no row can have (a text column holds no NUL character). */
export function possibleIds(ids: Iterable<string>): string[] {
  return [...new Set(ids)].filter((id) => !id.includes('\u0000'));
}

/** The records of a page, each once, with its last version (in the order of first appearance). */
function latest(records: MirrorRecord[]): MirrorRecord[] {
  const byId = new Map<string, MirrorRecord>();
  for (const r of records) byId.set(r.id, r);
  return [...byId.values()];
}

async function hashesOf(key: MirrorKey, records: MirrorRecord[]): Promise<string[]> {
  const out: string[] = [];
  for (const r of records) {
    const k = key.keyOf(r);
    out.push(keyHash(typeof k === 'string' ? k : await k));
  }
  return out;
}
