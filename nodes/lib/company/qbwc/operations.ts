import { messageOf, publicMessage } from '../../errors';
import { credentialChecker } from './credentials';
import { LoginThrottle, printableAddress, printableUser, type LoginThrottleOptions } from './login-throttle';
import { SessionStore, type QbwcSession } from './sessions';
import type { QbwcWorkSource, SessionEndReason } from './work-source';

/** Log sink; messages never contain passwords or qbXML bodies. */
export type QbwcLogger = (level: 'info' | 'warn' | 'error', message: string) => void;

export interface QbwcOperationsOptions {
  workSource: QbwcWorkSource;
  username: string;
  password: string;
  /** Idle timeout of a session (default 10 minutes). */
  idleTimeoutMs?: number;
  /** serverVersion answer (shown in the Web Connector's "More Information"). */
  serverVersion?: string;
  /** Oldest Web Connector version accepted (e.g. "2.1"); older clients get "O:<version>". */
  minClientVersion?: string;
  /** authenticate entry [2] when answering "busy": seconds to postpone the next update. */
  busyPostponeSeconds?: number;
  /**
   * A running session not heard from for this long (default 45 s) is taken to belong to a Web Connector
   * that crashed: the next authenticate ends it (its unanswered jobs are looked up first) and proceeds,
   * instead of answering "busy" until the idle timeout. A session still calling is never taken over;
   * a newcomer gets "busy" with the seconds to wait (the postpone hint the Web Connector honours).
   */
  staleAfterMs?: number;
  /** authenticate entry [3]: MinimumRunEveryNSeconds enforced by the Web Connector. */
  minRunEverySeconds?: number;
  /** How wrong passwords are slowed down per user name and source address (see login-throttle.ts). */
  loginThrottle?: Partial<LoginThrottleOptions>;
  log?: QbwcLogger;
}

/** Answers for tickets the service does not know (never crash, never null). */
export const UNKNOWN_TICKET_MESSAGE = 'Unknown or expired ticket; run the update again.';
export const INVALID_USER_MESSAGE = 'Invalid username or password.';
export const NO_REQUEST_MESSAGE = 'No request is ready for this session.';
export const NO_ERROR_MESSAGE = 'No error recorded for this session.';
export const DEFAULT_SERVER_VERSION = '@qbsync/node-red-quickbooks Web Connector service 0.1.0';
/** Negative receiveResponseXML answer used when the service itself fails or the ticket is unknown. */
export const ERROR_PERCENT = -1;

const DEFAULT_IDLE_TIMEOUT_MS = 10 * 60 * 1000;
const DEFAULT_STALE_AFTER_MS = 45_000;
const MAX_REJECTED_TICKETS = 256;


/** Compares dotted version strings numerically ("2.3.0.215" vs "2.1"); non-numeric parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((p) => Number.parseInt(p, 10) || 0);
  const pb = b.split('.').map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The Web Connector callbacks with the real client's semantics, independent of SOAP and HTTP.
 * Every method resolves (never rejects) with a value of the documented type.
 */
export class QbwcOperations {
  readonly sessions: SessionStore;
  /** Failed log-ins per user name and source address. */
  readonly logins: LoginThrottle;
  private readonly work: QbwcWorkSource;
  private readonly checkCredentials: (user: string, pass: string) => boolean;
  private readonly log: QbwcLogger;
  private readonly pending = new Set<Promise<unknown>>();
  /** Tickets answered "nvu" (bounded, oldest dropped): closeConnection then names the reason. No session is kept for them. */
  private readonly rejected = new Set<string>();

  constructor(private readonly options: QbwcOperationsOptions) {
    this.work = options.workSource;
    this.checkCredentials = credentialChecker(options.username, options.password);
    this.log = options.log ?? (() => undefined);
    this.logins = new LoginThrottle(options.loginThrottle);
    this.sessions = new SessionStore({
      idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      onExpire: (s) => this.onExpire(s),
    });
  }

  serverVersion(): string {
    return this.options.serverVersion ?? DEFAULT_SERVER_VERSION;
  }

  clientVersion(version: string): string {
    const min = this.options.minClientVersion;
    if (min && version && compareVersions(version, min) < 0) return `O:${min}`;
    return '';
  }

  /**
   * `address` is the caller's socket address (the service passes it); wrong passwords are logged with
   * the user name and address (never the password) and slowed down per pair (`logins`).
   */
  async authenticate(user: string, pass: string, address?: string): Promise<string[]> {
    const ticket = SessionStore.newTicket();
    const from = printableAddress(address);
    const who = `user "${printableUser(user)}" from ${from}`;
    const locked = this.logins.lockedFor(user, from);
    if (locked.ms > 0) {
      // locked out: answered as a wrong password without checking it
      if (locked.firstRefusal) {
        this.log('warn', `Web Connector log-in for ${who} refused without checking the password: locked out for ${Math.ceil(locked.ms / 1000)} s more after repeated failures`);
      }
      return this.rejectLogin(ticket);
    }
    if (!this.checkCredentials(user, pass)) {
      const { failures, lockMs } = this.logins.failed(user, from);
      const lock = lockMs ? `; further attempts are refused for ${Math.ceil(lockMs / 1000)} s` : '';
      this.log('warn', `Web Connector authentication failed for ${who} (invalid username or password, failure ${failures})${lock}`);
      return this.rejectLogin(ticket);
    }
    this.logins.succeeded(user, from);
    const running = this.sessions.running();
    if (running) {
      const staleAfter = this.options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
      const silent = Date.now() - running.lastSeenAt;
      if (silent < staleAfter) {
        // Another Web Connector is working: "busy", come back when the other one would count as gone.
        this.sessions.create('busy', ticket);
        const wait = Math.max(1, Math.ceil((staleAfter - silent) / 1000));
        return this.withHints([ticket, 'busy'], this.options.busyPostponeSeconds ?? wait);
      }
      // Silent too long: its Web Connector crashed. End its session (unanswered jobs become uncertain) and go on.
      this.log('warn', `Web Connector session silent for ${Math.round(silent / 1000)} s ended (ticket ${running.ticket.slice(0, 8)}…); a new run takes over`);
      this.sessions.remove(running.ticket);
      await this.endSession(running.ticket, 'expired');
      if (this.sessions.running()) {
        this.sessions.create('busy', ticket);
        return this.withHints([ticket, 'busy'], this.options.busyPostponeSeconds ?? 5);
      }
    }
    // Reserve before awaiting, so a concurrent authenticate sees this one and answers "busy".
    const session = this.sessions.create('pending', ticket);
    let hasWork: boolean;
    try {
      hasWork = await this.work.hasWork();
    } catch (err) {
      return this.failStart(session, 'Could not check for queued work', err, false);
    }
    if (!hasWork) {
      session.phase = 'none';
      return this.withHints([ticket, 'none']);
    }
    try {
      await this.work.beginSession(ticket);
    } catch (err) {
      return this.failStart(session, 'Could not start the session', err, true);
    }
    session.phase = 'active';
    this.log('info', `Web Connector session started (ticket ${ticket.slice(0, 8)}…)`);
    return this.withHints([ticket, this.work.companyFile ?? '']);
  }

  async sendRequestXML(
    ticket: string,
    hcpResponse: string,
    companyFile: string,
    country: string,
    major: number,
    minor: number,
  ): Promise<string> {
    const session = this.activeSession(ticket);
    if (!session) return '';
    let request: string | null;
    try {
      request = await this.work.nextRequest(ticket, {
        hcpResponse,
        companyFile,
        country,
        qbXMLMajorVersion: major,
        qbXMLMinorVersion: minor,
      });
    } catch (err) {
      session.lastError = `Could not prepare the next request: ${publicMessage(err)}`;
      this.log('error', session.lastError);
      return '';
    }
    if (typeof request !== 'string' || request === '') {
      session.lastError = this.workLastError(ticket) || NO_REQUEST_MESSAGE;
      return '';
    }
    session.requests++;
    return request;
  }

  async receiveResponseXML(ticket: string, xml: string, hresult: string, message: string): Promise<number> {
    const session = this.activeSession(ticket);
    if (!session) return ERROR_PERCENT;
    session.responses++;
    if (hresult) session.lastError = `${hresult}: ${message || 'the request processor failed'}`;
    let percent: number;
    try {
      ({ percent } = await this.work.handleResponse(ticket, { xml, hresult, message }));
    } catch (err) {
      session.lastError = `Could not process the response: ${publicMessage(err)}`;
      this.log('error', session.lastError);
      return ERROR_PERCENT;
    }
    if (typeof percent !== 'number' || !Number.isFinite(percent)) {
      session.lastError = `The work source returned an invalid progress value (${String(percent)})`;
      this.log('error', session.lastError);
      return ERROR_PERCENT;
    }
    if (percent < 0) {
      const negative = Math.min(-1, Math.trunc(percent));
      session.lastError = this.workLastError(ticket) || session.lastError || 'The request failed.';
      return negative;
    }
    const clamped = Math.min(100, Math.floor(percent));
    session.percent = Math.max(session.percent, clamped);
    return session.percent;
  }

  async connectionError(ticket: string, hresult: string, message: string): Promise<string> {
    const session = this.sessions.touch(ticket);
    if (!session) return 'done';
    session.lastError = `${hresult || 'connection error'}: ${message || 'QuickBooks could not be opened'}`;
    this.log('warn', `Web Connector could not open QuickBooks: ${session.lastError}`);
    if (session.phase === 'active' || session.phase === 'pending') {
      session.phase = 'ended';
      try {
        await this.work.connectionError(ticket, hresult, message);
      } catch (err) {
        this.log('error', `connectionError handler failed: ${messageOf(err)}`);
      }
      await this.endSession(ticket, 'error');
    }
    return 'done';
  }

  getLastError(ticket: string): string {
    const session = this.sessions.touch(ticket);
    if (!session) return UNKNOWN_TICKET_MESSAGE;
    return session.lastError || this.workLastError(ticket) || NO_ERROR_MESSAGE;
  }

  async closeConnection(ticket: string): Promise<string> {
    const session = this.sessions.remove(ticket);
    if (!session) return this.rejected.delete(ticket) ? INVALID_USER_MESSAGE : UNKNOWN_TICKET_MESSAGE;
    switch (session.phase) {
      case 'none':
        return 'OK: nothing to do.';
      case 'busy':
        return 'Another Web Connector session for this company is running; try again later.';
      case 'ended':
        return `Ended: ${session.lastError || 'the session ended with an error'}`;
      default: {
        const summary = await this.endSession(ticket, 'closed');
        return summary || 'OK';
      }
    }
  }

  /** Answers "nvu" and remembers the ticket (bounded, oldest dropped) so closeConnection names the reason. */
  private rejectLogin(ticket: string): string[] {
    this.rejected.add(ticket);
    if (this.rejected.size > MAX_REJECTED_TICKETS) this.rejected.delete(this.rejected.values().next().value as string);
    return [ticket, 'nvu'];
  }

  getInteractiveURL(): string {
    return '';
  }

  interactiveDone(): string {
    return 'Done';
  }

  interactiveRejected(): string {
    return 'OK';
  }

  /** Ends every session (reason 'expired' for those doing work) and waits for the work source. */
  async close(): Promise<void> {
    const ends = this.sessions
      .clear()
      .filter((s) => s.phase === 'active' || s.phase === 'pending')
      .map((s) => this.endSession(s.ticket, 'expired'));
    await Promise.all([...ends, ...this.pending]);
  }

  private activeSession(ticket: string): QbwcSession | undefined {
    const session = this.sessions.touch(ticket);
    return session && session.phase === 'active' ? session : undefined;
  }

  private withHints(answer: [string, string], postponeSeconds?: number): string[] {
    const minRun = this.options.minRunEverySeconds;
    const out: string[] = [...answer];
    if (postponeSeconds || minRun) out.push(postponeSeconds ? String(postponeSeconds) : '');
    if (minRun) out.push(String(minRun));
    return out;
  }

  /** The work source failed during authenticate: answer "busy" (try again later) and record why. */
  private async failStart(session: QbwcSession, what: string, err: unknown, begun: boolean): Promise<string[]> {
    session.lastError = `${what}: ${publicMessage(err)}`;
    this.log('error', session.lastError);
    session.phase = 'busy';
    if (begun) await this.endSession(session.ticket, 'error');
    return this.withHints([session.ticket, 'busy'], this.options.busyPostponeSeconds);
  }

  private workLastError(ticket: string): string {
    try {
      const text = this.work.lastError(ticket);
      return typeof text === 'string' ? text : '';
    } catch (err) {
      return `Could not read the last error: ${publicMessage(err)}`;
    }
  }

  private async endSession(ticket: string, reason: SessionEndReason): Promise<string> {
    try {
      const summary = await this.work.endSession(ticket, reason);
      return typeof summary === 'string' ? summary : '';
    } catch (err) {
      this.log('error', `Ending the session failed: ${messageOf(err)}`);
      return `Session ended; the work source reported: ${publicMessage(err)}`;
    }
  }

  private onExpire(session: QbwcSession): void {
    if (session.phase !== 'active' && session.phase !== 'pending') return;
    this.log('warn', `Web Connector session expired without closeConnection (ticket ${session.ticket.slice(0, 8)}…)`);
    const p = this.endSession(session.ticket, 'expired');
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }
}
