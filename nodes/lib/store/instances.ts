import crypto from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { inTransaction, schemaIdent, type PgPool } from './postgres';

/**
 * Who this store is among the processes sharing its data, and which of them are still alive. On
 * PostgreSQL several Node-RED processes (instances) may open one schema: each is a row of
 * `qb_instances` whose `heartbeat_at` it renews every lease/3; an instance whose heartbeat is older than
 * the lease is dead, and the jobs it left `sent` may be taken over (outbox `recoverSent`). Times are the
 * database's own (`now()`), so the hosts' clocks do not matter. On nedb one process holds the store:
 * only this store's own id is alive (a previous process's, or a previous open's, is dead).
 *
 * `exclusive(name, fn)` is the mutex across instances (an advisory lock on PostgreSQL, in-process on
 * nedb): the one piece of code for single-flight work such as a token refresh.
 */
export interface Instances {
  /** This store's instance id (host, pid and a random part): what a claimed job records as `sentBy`. */
  readonly id: string;
  /** After how long without a heartbeat an instance counts as dead (ms); also how often companies look for its jobs. */
  readonly leaseMs: number;
  /** The ids among `ids` whose instance is alive. */
  alive(ids: Iterable<string>): Promise<Set<string>>;
  isAlive(id: string): Promise<boolean>;
  /**
   * Whether this instance may claim work: its last heartbeat went through less than two thirds of a lease
   * ago (one beat may be late). Past that the others may soon take it for dead and take over what it
   * sent, so it starts nothing new: a heartbeat that cannot get through, while the store's other writes
   * do, must not lead to a job sent twice.
   */
  canClaim(): boolean;
  /** Runs `fn` while no other caller, in this process or another instance, runs under the same `name`. */
  exclusive<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Stops the heartbeat (the row stays: the instance counts as dead once its lease has passed). */
  close(): Promise<void>;
}

/** Default lease: `QB_INSTANCE_LEASE_MS`, else 30 s. */
export const DEFAULT_LEASE_MS = 30_000;
/** Rows of instances silent for this long are deleted (a missing row is a dead instance all the same). */
const FORGET_AFTER = '7 days';
/** First key of the advisory locks of `exclusive` (the migrations use another). */
const EXCLUSIVE_LOCK = 0x71626578; // "qbex"
/** How long `exclusive` waits for the lock before it gives up with an error. */
const EXCLUSIVE_WAIT_MS = 120_000;
/**
 * Locks of different names held at once by this process: each holds a pooled connection while its work
 * runs, and the work needs connections of its own (the pool has 4), so holders beyond this wait here.
 */
const EXCLUSIVE_HOLDERS = 2;

/** A new instance id: readable in a job's history ("host:pid:random"), unique across restarts. */
export function newInstanceId(): string {
  const host = os.hostname().replace(/[^A-Za-z0-9.-]/g, '').slice(0, 40) || 'host';
  return `${host}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;
}

/** Runs callers of one name one after another, in this process (the nedb mutex, and the queue before the advisory lock). */
class LocalMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const before = this.tails.get(name) ?? Promise.resolve();
    const mine = before.then(fn, fn);
    const tail = mine.catch(() => undefined);
    this.tails.set(name, tail);
    void tail.then(() => {
      if (this.tails.get(name) === tail) this.tails.delete(name);
    });
    return mine;
  }
}

/** At most `limit` callers at once; the others wait in order. */
class Semaphore {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); // the slot passes on
      else this.running--;
    }
  }
}

/** nedb: one process holds the store, so only this open is alive and the mutex is in-process. */
export class LocalInstances implements Instances {
  readonly id = newInstanceId();
  private readonly mutex = new LocalMutex();

  constructor(readonly leaseMs: number) {}

  async alive(ids: Iterable<string>): Promise<Set<string>> {
    return new Set([...ids].filter((id) => id === this.id));
  }

  async isAlive(id: string): Promise<boolean> {
    return id === this.id;
  }

  canClaim(): boolean {
    return true;
  }

  exclusive<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(name, fn);
  }

  async close(): Promise<void> {
    // nothing runs in the background
  }
}

/** PostgreSQL: a heartbeating row of `qb_instances`, and advisory locks for `exclusive`. */
export class PgInstances implements Instances {
  readonly id = newInstanceId();
  private readonly table: string;
  private readonly mutex = new LocalMutex();
  private readonly holders = new Semaphore(EXCLUSIVE_HOLDERS);
  private timer?: NodeJS.Timeout;
  private beating?: Promise<void>;
  /** The last heartbeat failed (warned once until one succeeds again). */
  private failing = false;
  /** When the last heartbeat went through (this process's monotonic clock, ms). */
  private beatAt = 0;

  private constructor(
    private readonly pool: PgPool,
    /** A pool of one connection of its own for the heartbeat (ended by `close`). */
    private readonly beats: PgPool,
    private readonly schema: string,
    readonly leaseMs: number,
    private readonly warn: (message: string) => void,
  ) {
    this.table = `${schemaIdent(schema)}.qb_instances`;
  }

  /** Registers this instance (its first heartbeat, awaited: an error here fails the store's open) and starts the heartbeat. */
  static async start(pool: PgPool, beats: PgPool, schema: string, leaseMs: number, warn: (message: string) => void): Promise<PgInstances> {
    const me = new PgInstances(pool, beats, schema, leaseMs, warn);
    await pool.query(`DELETE FROM ${me.table} WHERE heartbeat_at < now() - interval '${FORGET_AFTER}'`);
    await me.heartbeat();
    me.timer = setInterval(() => void me.beat(), Math.max(50, Math.floor(leaseMs / 3)));
    me.timer.unref();
    return me;
  }

  private heartbeat(): Promise<void> {
    const sentAt = performance.now();
    return this.beats
      .query(
        `INSERT INTO ${this.table} (id, host, pid, started_at, heartbeat_at) VALUES ($1, $2, $3, now(), now()) ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()`,
        [this.id, os.hostname().slice(0, 200), process.pid],
      )
      .then(() => {
        this.beatAt = Math.max(this.beatAt, sentAt);
      });
  }

  /** One timer tick: errors are reported (once per outage), never thrown; a slow heartbeat is not overlapped. */
  private beat(): void {
    if (this.beating) return;
    this.beating = this.heartbeat()
      .then(
        () => {
          if (this.failing) this.warn(`PostgreSQL store: the heartbeat of instance ${this.id} works again`);
          this.failing = false;
        },
        (err: Error) => {
          if (!this.failing) {
            this.warn(`PostgreSQL store: the heartbeat of instance ${this.id} failed (it claims no new job until one goes through; other instances take over its jobs after ${this.leaseMs} ms without one): ${err.message || 'no answer'}`);
          }
          this.failing = true;
        },
      )
      .finally(() => (this.beating = undefined));
  }

  async alive(ids: Iterable<string>): Promise<Set<string>> {
    const list = [...new Set(ids)];
    if (list.length === 0) return new Set();
    const { rows } = await this.pool.query(
      `SELECT id FROM ${this.table} WHERE id = ANY($1::text[]) AND heartbeat_at > now() - make_interval(secs => $2::double precision / 1000)`,
      [list, this.leaseMs],
    );
    return new Set(rows.map((r) => r.id as string));
  }

  async isAlive(id: string): Promise<boolean> {
    return (await this.alive([id])).has(id);
  }

  canClaim(): boolean {
    return performance.now() - this.beatAt < (this.leaseMs * 2) / 3;
  }

  /**
   * A transaction-level advisory lock of this schema and name, held on a pooled client of its own while
   * `fn` runs (fn's own queries use other clients); released by the commit, or by the server when the
   * connection drops. Callers of this process queue before it (per name, then at most
   * EXCLUSIVE_HOLDERS names at once), so the locks never take every pooled connection; `fn` must not
   * call `exclusive` itself.
   */
  exclusive<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(name, () => this.holders.run(() =>
      inTransaction(this.pool, async (client) => {
        await client.query(`SET LOCAL lock_timeout = ${EXCLUSIVE_WAIT_MS}`);
        try {
          await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [EXCLUSIVE_LOCK, `${this.schema}|${name}`]);
        } catch (err) {
          if ((err as { code?: string }).code === '55P03') throw new Error(`another instance held the lock "${name}" for over ${EXCLUSIVE_WAIT_MS / 1000} s`);
          throw err;
        }
        return fn();
      }),
    ));
  }

  async close(): Promise<void> {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.beating;
    await this.beats.end();
  }
}
