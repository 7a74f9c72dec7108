import { randomUUID } from 'node:crypto';

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

export interface SessionStoreOptions {
  /** A session not seen for this long expires (the Web Connector died without closeConnection). */
  idleTimeoutMs: number;
  /** Called once when a session expires (after it left the store). */
  onExpire: (session: QbwcSession) => void;
  now?: () => number;
}

/** Sessions by ticket, each with its own idle timer. No global counters: everything is per ticket. */
export class SessionStore {
  private readonly sessions = new Map<string, { session: QbwcSession; timer: NodeJS.Timeout }>();
  private readonly now: () => number;

  constructor(private readonly options: SessionStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  /** A new random, unguessable ticket that is not in use. */
  static newTicket(): string {
    return randomUUID();
  }

  create(phase: SessionPhase, ticket: string = SessionStore.newTicket()): QbwcSession {
    const at = this.now();
    const session: QbwcSession = { ticket, createdAt: at, phase, lastSeenAt: at, lastError: '', percent: 0, requests: 0, responses: 0 };
    const timer = setTimeout(() => this.expire(ticket), this.options.idleTimeoutMs);
    timer.unref();
    this.sessions.set(ticket, { session, timer });
    return session;
  }

  /** The session for a ticket, refreshing its idle timer; undefined when unknown or expired. */
  touch(ticket: string): QbwcSession | undefined {
    const entry = this.sessions.get(ticket);
    if (!entry) return undefined;
    entry.session.lastSeenAt = this.now();
    entry.timer.refresh();
    return entry.session;
  }

  /** The session for a ticket without refreshing it. */
  peek(ticket: string): QbwcSession | undefined {
    return this.sessions.get(ticket)?.session;
  }

  /** The session currently doing (or about to do) work, if any. */
  running(): QbwcSession | undefined {
    for (const { session } of this.sessions.values()) {
      if (session.phase === 'pending' || session.phase === 'active') return session;
    }
    return undefined;
  }

  /** Removes a session (closeConnection); returns it if it was there. */
  remove(ticket: string): QbwcSession | undefined {
    const entry = this.sessions.get(ticket);
    if (!entry) return undefined;
    clearTimeout(entry.timer);
    this.sessions.delete(ticket);
    return entry.session;
  }

  /** Removes every session (service closed) and returns them. */
  clear(): QbwcSession[] {
    return [...this.sessions.keys()].map((t) => this.remove(t)).filter((s): s is QbwcSession => s !== undefined);
  }

  get size(): number {
    return this.sessions.size;
  }

  private expire(ticket: string): void {
    const session = this.remove(ticket);
    if (session) this.options.onExpire(session);
  }
}
