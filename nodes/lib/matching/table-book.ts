import type { Store } from '../store';
import type { PgAccess } from '../store/store';
import { collectionColumns, collectionRow, deserializeDoc, keyHash } from '../store/postgres';
import { possibleIds } from '../mirror/table-mirror';
import type { MatchDoc } from './book';
import type { IssueCode, MatchKind } from './issues';
import { decide, type MatchOutcome } from './join';

/** Match documents per read page and per written statement. */
export const BOOK_PAGE = 1_000;

/**
 * The matches of one company and kind on PostgreSQL, read and written as rows of `qb_matches` (the
 * same documents the collection holds, so `store.matches` still reads them) with their key (as
 * keyHash) and admin link in indexed columns (migration 3). Nothing holds the whole book: it is read in
 * pages (keyset on `_id`), and a page of app records is matched by index look-ups of its keys among
 * the mirror's keys (`outcomes`), with the same rules as the in-memory hash join (join.ts `decide`).
 */
export class TableBook {
  private readonly table: string;
  private readonly records: string;
  private readonly keys: string;
  private readonly sql: PgAccess;
  private readonly columns = collectionColumns('matches');
  private filled?: Promise<void>;

  constructor(
    store: Store,
    readonly company: string,
    readonly kind: MatchKind,
  ) {
    if (!store.sql) throw new Error('the table match book needs a PostgreSQL store');
    this.sql = store.sql;
    this.table = `${this.sql.schema}.qb_matches`;
    this.records = `${this.sql.schema}.qb_mirror_records`;
    this.keys = `${this.sql.schema}.qb_mirror_keys`;
  }

  /** Documents written before migration 3 get their key and link columns (once, a page at a time). */
  private ready(): Promise<void> {
    this.filled ??= this.fill().catch((err) => {
      this.filled = undefined;
      throw err;
    });
    return this.filled;
  }

  private async fill(): Promise<void> {
    for (;;) {
      const { rows } = await this.sql.pool.query(
        `SELECT doc::text AS d FROM ${this.table} WHERE company = $1 AND kind = $2 AND key_hash IS NULL LIMIT $3`,
        [this.company, this.kind, BOOK_PAGE],
      );
      if (rows.length === 0) return;
      const docs = rows.map((r) => deserializeDoc(r.d as string) as MatchDoc);
      // Only the columns are written; a document without a key (not one a book wrote) gets the empty
      // key's, so it is not read again.
      const extra = this.columns.slice(this.columns.indexOf('key_hash'));
      const values = docs.map((d) => collectionRow('matches', (typeof d.key === 'string' ? d : { ...d, key: '' }) as never).slice(2 + this.columns.indexOf('key_hash')));
      await this.sql.pool.query(
        `UPDATE ${this.table} t SET ${extra.map((c) => `${c} = v.${c}`).join(', ')}
         FROM unnest($1::text[], ${extra.map((_, j) => `$${j + 2}::text[]`).join(', ')}) AS v(_id, ${extra.join(', ')}) WHERE t._id = v._id`,
        [docs.map((d) => d._id), ...extra.map((_, j) => values.map((v) => v[j]))],
      );
    }
  }

  /**
   * The documents in `_id` order, `size` at a time; with `where`, only those of these app ids or with
   * one of these keys.
   */
  async *pages(where?: { appIds: string[]; keys: string[] }, size = BOOK_PAGE): AsyncGenerator<MatchDoc[]> {
    await this.ready();
    const params: unknown[] = [this.company, this.kind];
    let filter = '';
    if (where) {
      params.push(where.appIds.map((id) => this.id(id)), where.keys.map(keyHash));
      filter = ` AND (_id = ANY($3::text[]) OR key_hash = ANY($4::text[]))`;
    }
    let after = '';
    for (;;) {
      const { rows } = await this.sql.pool.query(
        `SELECT _id, doc::text AS d FROM ${this.table} WHERE company = $1 AND kind = $2${filter} AND _id > $${params.length + 1} ORDER BY _id LIMIT $${params.length + 2}`,
        [...params, after, size],
      );
      if (rows.length === 0) return;
      after = rows[rows.length - 1]._id as string;
      yield rows.map((r) => deserializeDoc(r.d as string) as MatchDoc);
      if (rows.length < size) return;
    }
  }

  private id(appId: string): string {
    return `${this.company}|${this.kind}|${appId}`;
  }

  /** The documents of these app ids, by app id. */
  async getMany(appIds: Iterable<string>): Promise<Map<string, MatchDoc>> {
    await this.ready();
    const ids = possibleIds([...appIds].map((a) => this.id(a)));
    const out = new Map<string, MatchDoc>();
    for (let i = 0; i < ids.length; i += BOOK_PAGE) {
      const { rows } = await this.sql.pool.query(`SELECT doc::text AS d FROM ${this.table} WHERE _id = ANY($1::text[])`, [ids.slice(i, i + BOOK_PAGE)]);
      for (const r of rows) {
        const doc = deserializeDoc(r.d as string) as MatchDoc;
        out.set(doc.appId, doc);
      }
    }
    return out;
  }

  /** Writes documents (inserted, or replacing the stored ones), a statement per page. */
  async write(docs: MatchDoc[]): Promise<void> {
    await this.ready();
    for (let i = 0; i < docs.length; i += BOOK_PAGE) {
      const rows = docs.slice(i, i + BOOK_PAGE).map((d) => collectionRow('matches', d as never));
      const cols = ['_id', 'doc', ...this.columns];
      await this.sql.pool.query(
        `INSERT INTO ${this.table} (${cols.join(', ')}) SELECT * FROM unnest($1::text[], $2::json[], ${this.columns.map((_, j) => `$${j + 3}::text[]`).join(', ')})
         ON CONFLICT (_id) DO UPDATE SET ${cols.slice(1).map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`,
        cols.map((_, col) => rows.map((r) => r[col])),
      );
      await this.sql.stats.wrote(this.table, rows.length);
    }
  }

  /** The book's outcome counts (what `summarize` gives over every record), counted by the database. */
  async counts(): Promise<{ matched: number; issues: number; byIssue: Partial<Record<IssueCode, number>> }> {
    await this.ready();
    const { rows } = await this.sql.pool.query(
      `SELECT status, issue, count(*)::int AS n FROM ${this.table} WHERE company = $1 AND kind = $2 GROUP BY status, issue`,
      [this.company, this.kind],
    );
    const byIssue: Partial<Record<IssueCode, number>> = {};
    let matched = 0;
    let total = 0;
    for (const r of rows) {
      total += r.n as number;
      if (r.status === 'matched') matched += r.n as number;
      else if (r.issue) byIssue[r.issue as IssueCode] = (byIssue[r.issue as IssueCode] ?? 0) + (r.n as number);
    }
    return { matched, issues: total - matched, byIssue };
  }

  /**
   * The outcomes of a page of app records against the mirror's list `entity`, keyed by the rule
   * `rule` (its keys must be computed: Mirror.ensureKeys): for each record its link (when the linked
   * record exists), how many unlinked app records of the whole book share its key, and the QuickBooks
   * records with its key that no app record is linked to, in the mirror's order.
   */
  async outcomes(docs: MatchDoc[], entity: string, rule: string): Promise<MatchOutcome[]> {
    const { pool } = this.sql;
    const linkedIds = possibleIds(docs.map((d) => d.linkedQbId).filter((id): id is string => typeof id === 'string'));
    const existing = new Set<string>();
    if (linkedIds.length) {
      const { rows } = await pool.query(`SELECT id FROM ${this.records} WHERE company = $1 AND entity = $2 AND id = ANY($3::text[])`, [this.company, entity, linkedIds]);
      for (const r of rows) existing.add(r.id as string);
    }
    const keyed = docs.filter((d) => d.key && !(d.linkedQbId && existing.has(d.linkedQbId)));
    const hashes = [...new Set(keyed.map((d) => keyHash(d.key)))];
    const sameKey = new Map<string, number>();
    const active = new Map<string, string[]>();
    const inactive = new Set<string>();
    if (hashes.length) {
      if (this.kind !== 'charge') {
        const { rows } = await pool.query(
          `SELECT m.key_hash AS h, count(*)::int AS n FROM ${this.table} m WHERE m.company = $1 AND m.kind = $2 AND m.key_hash = ANY($3::text[])
             AND NOT (m.linked_qb_id IS NOT NULL AND EXISTS (SELECT 1 FROM ${this.records} r WHERE r.company = $1 AND r.entity = $4 AND r.id = m.linked_qb_id))
           GROUP BY m.key_hash`,
          [this.company, this.kind, hashes, entity],
        );
        for (const r of rows) sameKey.set(r.h as string, r.n as number);
      }
      const { rows } = await pool.query(
        `SELECT k.key_hash AS h, r.id, r.active FROM ${this.keys} k JOIN ${this.records} r ON r.company = k.company AND r.entity = k.entity AND r.id = k.id
         WHERE k.company = $1 AND k.entity = $2 AND k.rule = $3 AND k.key_hash = ANY($4::text[])
           AND NOT EXISTS (SELECT 1 FROM ${this.table} m WHERE m.company = $1 AND m.kind = $5 AND m.linked_qb_id = r.id)
         ORDER BY r.seq`,
        [this.company, entity, rule, hashes, this.kind],
      );
      for (const r of rows) {
        const h = r.h as string;
        if (r.active === false) inactive.add(h);
        else {
          const ids = active.get(h);
          if (ids) ids.push(r.id as string);
          else active.set(h, [r.id as string]);
        }
      }
    }
    return docs.map((d) => {
      const linked = d.linkedQbId && existing.has(d.linkedQbId) ? d.linkedQbId : undefined;
      const h = d.key ? keyHash(d.key) : '';
      return decide(this.kind, { id: d.appId, key: d.key }, {
        linked,
        // the charge kind never reports app duplicates: its count is not looked up
        sameKeyApp: this.kind === 'charge' ? 1 : (sameKey.get(h) ?? 1),
        candidates: active.get(h),
        inactive: inactive.has(h),
      });
    });
  }
}
