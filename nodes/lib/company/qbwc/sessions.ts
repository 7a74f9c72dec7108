import { randomUUID } from 'node:crypto';
import Datastore from 'nedb-promises';
import type { Collection, Doc } from '../../store/collection';

/**
 * What authenticate decided for a ticket:
 * - 'pending': credentials ok, checking for work (already blocks a second session: no race);
 * - 'active':  work in progress (blocks a second session: "busy");
 * - 'none' / 'busy': authenticated, nothing to do for this ticket;
 * - 'ended':   the session ended (connectionError); kept only so later calls get a proper answer.
 */
export type SessionPhase = 'pending' | 'active' | 'none' | 'busy' | 'ended';

export interface QbwcSession {
  readonly ticket: string;
  readonly createdAt: number;
  phase: SessionPhase;
  lastSeenAt: number;
  /** Latest failure recorded by the service for this ticket ("" if none). */
  lastError: string;
  /** Highest percent answered so far (percent never goes backwards within a session). */
  percent: number;
  requests: number;
  responses: number;
}

/**
 * Where the Web Connector's sessions live. With several Node-RED instances behind a load balancer,
 * each SOAP call of one session may reach a different instance, so a session is a document in the
 * store every instance shares (the `state` collection), never process memory.
 */
export interface SessionHome {
  collection: Collection;
  /** Whose sessions (the company id): one running session per scope. */
  scope: string;
  /**
   * Other processes use this collection too (PostgreSQL): a session outlives the instance that
   * started it, so closing an instance leaves it to the others. On a store only this process opens
   * (nedb, memory) a session ends with the service, as it always has.
   */
  shared: boolean;
}

/** A home in this process's memory (a work source without a store of its own: the same code path). */
export function memorySessionHome(scope = 'qbwc'): SessionHome {
  return { collection: Datastore.create({ inMemoryOnly: true }) as unknown as Collection, scope, shared: false };
}

export interface SessionStoreOptions {
  /** A session not seen for this long expires (the Web Connector died without closeConnection). */
  idleTimeoutMs: number;
  /** Ends an expired session (called once, wherever the expiry is noticed, after it left the store). */
  onExpire: (session: QbwcSession) => Promise<void>;
  /** A sweep failed (the store is unreachable); the next one tries again. */
  onSweepError?: (err: unknown) => void;
  now?: () => number;
}

/**
 * The per-scope lock document: which ticket runs. Taken by a conditional insert (the store refuses a
 * second document with this `_id`, on both backends), released by a removal conditional on the ticket.
 * `endingAt` is set while its session is being ended, so that a lock whose session document is gone
 * counts as orphaned (its instance died while ending it) only once that has lasted.
 */
export interface RunningLock {
  ticket: string;
  at: number;
  endingAt?: number;
}

const SESSION_KIND = 'qbwc-session';
const RUNNING_KIND = 'qbwc-running';

/** The fields of a session document that are the session (the rest addresses it). */
function sessionOf(doc: Doc): QbwcSession {
  return {
    ticket: doc.ticket, createdAt: doc.createdAt, phase: doc.phase, lastSeenAt: doc.lastSeenAt, lastError: doc.lastError ?? '',
    percent: doc.percent ?? 0, requests: doc.requests ?? 0, responses: doc.responses ?? 0,
  };
}

/**
 * Sessions by ticket, as documents `<scope>|qbwc-session|<ticket>` (kind `qbwc-session`), and the
 * running-session lock `<scope>|qbwc-running`. Every call reads its session from the store and writes it
 * back before answering (calls of one session are sequential: the Web Connector waits for each answer).
 *
 * Ending a session (closeConnection, idle expiry, a takeover) is claimed by removing its document: the
 * store removes it once, so exactly one caller, on whichever instance, runs the end. Idle expiry: each
 * instance sweeps the scope's sessions when the earliest deadline it knows of passes (a session
 * touched here sets it) and at least every idle timeout (sessions touched elsewhere, whose instance may
 * have gone).
 */
export class SessionStore {
  private readonly now: () => number;
  private readonly prefix: string;
  private readonly lockId: string;
  private timer?: NodeJS.Timeout;
  private timerAt = Number.POSITIVE_INFINITY;
  private sweeping?: Promise<void>;
  private closed = false;

  constructor(
    readonly home: SessionHome,
    private readonly options: SessionStoreOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.prefix = `${home.scope}|${SESSION_KIND}|`;
    this.lockId = `${home.scope}|${RUNNING_KIND}`;
    this.schedule(this.now() + options.idleTimeoutMs);
  }

  /** A new random, unguessable ticket that is not in use. */
  static newTicket(): string {
    return randomUUID();
  }

  private id(ticket: string): string {
    return this.prefix + ticket;
  }

  /**
   * Forgets the sessions a previous run of this process left in a store no other process opens: they
   * died with it, as sessions always did with their process (its sent jobs are recovered at start-up).
   */
  async dropLeftovers(): Promise<void> {
    if (this.home.shared) return;
    await this.home.collection.remove({ company: this.home.scope, kind: { $in: [SESSION_KIND, RUNNING_KIND] } }, { multi: true });
  }

  async create(phase: SessionPhase, ticket: string = SessionStore.newTicket()): Promise<QbwcSession> {
    const at = this.now();
    const session: QbwcSession = { ticket, createdAt: at, phase, lastSeenAt: at, lastError: '', percent: 0, requests: 0, responses: 0 };
    await this.home.collection.insert({ _id: this.id(ticket), company: this.home.scope, kind: SESSION_KIND, ...session });
    this.schedule(at + this.options.idleTimeoutMs);
    return session;
  }

  /**
   * The session for a ticket, marked as seen now; undefined when unknown or expired. The mark is
   * conditional on the last one, so a touch and an expiry (which removes the document only if it is
   * still as last seen) never both win.
   */
  async touch(ticket: string): Promise<QbwcSession | undefined> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const session = await this.peek(ticket);
      if (!session) return undefined;
      const at = Math.max(this.now(), session.lastSeenAt);
      const n = await this.home.collection.update({ _id: this.id(ticket), lastSeenAt: session.lastSeenAt }, { $set: { lastSeenAt: at } });
      if (n === 1) {
        session.lastSeenAt = at;
        this.schedule(at + this.options.idleTimeoutMs);
        return session;
      }
    }
    return undefined;
  }

  /** The session for a ticket without marking it seen. */
  async peek(ticket: string): Promise<QbwcSession | undefined> {
    const doc = await this.home.collection.findOne({ _id: this.id(ticket) });
    return doc ? sessionOf(doc) : undefined;
  }

  /** Writes a session back (never brings back one that has ended meanwhile). */
  async save(session: QbwcSession): Promise<void> {
    await this.home.collection.update({ _id: this.id(session.ticket) }, { $set: { phase: session.phase, lastError: session.lastError, percent: session.percent, requests: session.requests, responses: session.responses } });
  }

  /** Which ticket holds the scope's running-session lock, if any. */
  async running(): Promise<RunningLock | undefined> {
    const doc = await this.home.collection.findOne({ _id: this.lockId });
    return doc ? { ticket: doc.ticket, at: doc.at, ...(typeof doc.endingAt === 'number' ? { endingAt: doc.endingAt } : {}) } : undefined;
  }

  /** Takes the running-session lock for a ticket; false when another session holds it (a conditional insert: no read-then-write). */
  async reserve(ticket: string): Promise<boolean> {
    try {
      await this.home.collection.insert({ _id: this.lockId, company: this.home.scope, kind: RUNNING_KIND, ticket, at: this.now() });
      return true;
    } catch (err) {
      if ((err as { errorType?: string }).errorType === 'uniqueViolated' || /unique constraint/i.test(String((err as Error).message))) return false;
      throw err;
    }
  }

  /** Gives the lock up, if this ticket holds it. */
  async release(ticket: string): Promise<void> {
    await this.home.collection.remove({ _id: this.lockId, ticket });
  }

  /**
   * Claims a lock whose session document is gone (its instance died while ending it, see RunningLock):
   * true for the one caller whose conditional update finds it as it was read.
   */
  async claimOrphan(lock: RunningLock): Promise<boolean> {
    const query = { _id: this.lockId, ticket: lock.ticket, at: lock.at, endingAt: lock.endingAt ?? { $exists: false } };
    return (await this.home.collection.update(query, { $set: { endingAt: this.now() } })) === 1;
  }

  /**
   * Ends a session once: claims it by removing its document (only if still last seen at `seenAt`, when
   * given), runs `end` with it, then releases the running-session lock if it held it. While `end` runs
   * the lock stays taken (marked ending), so no other session starts before the end's recovery is done.
   * Undefined when the session was unknown, or ended or seen meanwhile (another caller has it).
   */
  async finish<T>(ticket: string, seenAt: number | undefined, end: (session: QbwcSession) => Promise<T>): Promise<{ session: QbwcSession; result: T } | undefined> {
    const holds = await this.home.collection.update({ _id: this.lockId, ticket }, { $set: { endingAt: this.now() } });
    const query: Record<string, unknown> = { _id: this.id(ticket) };
    if (seenAt !== undefined) query.lastSeenAt = seenAt;
    const doc = await this.home.collection.findOne(query);
    if (!doc || (await this.home.collection.remove(query)) !== 1) return undefined;
    const session = sessionOf(doc);
    try {
      return { session, result: await end(session) };
    } finally {
      if (holds === 1) await this.release(ticket);
    }
  }

  /** Every session of the scope. */
  async list(): Promise<QbwcSession[]> {
    const docs = await this.home.collection.find({ company: this.home.scope, kind: SESSION_KIND });
    return docs.map(sessionOf);
  }

  /**
   * Expires every session not seen for the idle timeout, here or on any instance, each exactly once
   * (finish), then schedules the next sweep. A sweep already running is joined, not repeated.
   */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepOnce().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  private async sweepOnce(): Promise<void> {
    const idle = this.options.idleTimeoutMs;
    let next = this.now() + idle;
    try {
      for (const s of await this.list()) {
        const due = s.lastSeenAt + idle;
        if (due > this.now()) {
          next = Math.min(next, due);
          continue;
        }
        await this.finish(s.ticket, s.lastSeenAt, (session) => this.options.onExpire(session));
      }
    } catch (err) {
      this.options.onSweepError?.(err);
    }
    this.schedule(next);
  }

  /** The next sweep no later than `at`. */
  private schedule(at: number): void {
    if (this.closed || at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      void this.sweep();
    }, Math.max(0, at - this.now()) + 1);
    this.timer.unref();
  }

  /** Stops sweeping (after the one in progress). The sessions stay where they are. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.sweeping;
  }
}
