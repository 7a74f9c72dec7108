import { messageOf, publicMessage } from '../../errors';
import { credentialChecker } from './credentials';
import { LoginThrottle, printableAddress, printableUser, type LoginThrottleOptions } from './login-throttle';
import { memorySessionHome, SessionStore, type QbwcSession } from './sessions';
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
 *
 * Sessions live in the work source's session home (its store), not in this object: every call reads
 * its session and writes it back before answering, so any instance sharing the store answers any call
 * of a session, and "one running session per company" holds across instances (sessions.ts).
 */
export class QbwcOperations {
  readonly sessions: SessionStore;
  /** Failed log-ins per user name and source address. */
  readonly logins: LoginThrottle;
  private readonly work: QbwcWorkSource;
  private readonly checkCredentials: (user: string, pass: string) => boolean;
  private readonly log: QbwcLogger;
  /**
   * Tickets answered "nvu" (bounded, oldest dropped): closeConnection then names the reason. No session is
   * kept for them, in the store neither (wrong passwords must not write to it): on another instance their
   * closeConnection is answered as an unknown ticket.
   */
  private readonly rejected = new Set<string>();
  /** Sessions a previous run of this process left in an unshared store, forgotten before the first call. */
  private readonly ready: Promise<void>;

  constructor(private readonly options: QbwcOperationsOptions) {
    this.work = options.workSource;
    this.checkCredentials = credentialChecker(options.username, options.password);
    this.log = options.log ?? (() => undefined);
    this.logins = new LoginThrottle(options.loginThrottle);
    this.sessions = new SessionStore(options.workSource.sessionHome ?? memorySessionHome(), {
      idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      onExpire: (s) => this.onExpire(s),
      onSweepError: (err) => this.log('error', `Checking Web Connector sessions for expiry failed: ${messageOf(err)}`),
    });
    this.ready = this.sessions.dropLeftovers().catch((err: unknown) => this.log('error', `Forgetting old Web Connector sessions failed: ${messageOf(err)}`));
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
    await this.ready;
    let session: QbwcSession;
    try {
      const busyFor = await this.reserve(ticket);
      if (busyFor !== undefined) {
        await this.sessions.create('busy', ticket);
        return this.withHints([ticket, 'busy'], this.options.busyPostponeSeconds ?? busyFor);
      }
      session = await this.sessions.create('pending', ticket);
    } catch (err) {
      await this.sessions.release(ticket).catch(() => undefined);
      this.log('error', `Could not start a Web Connector session: ${messageOf(err)}`);
      return this.withHints([ticket, 'busy'], this.options.busyPostponeSeconds ?? 5);
    }
    let hasWork: boolean;
    try {
      hasWork = await this.work.hasWork();
    } catch (err) {
      return this.failStart(session, 'Could not check for queued work', err, false);
    }
    if (!hasWork) {
      session.phase = 'none';
      await this.saveAndRelease(session);
      return this.withHints([ticket, 'none']);
    }
    try {
      await this.work.beginSession(ticket);
    } catch (err) {
      return this.failStart(session, 'Could not start the session', err, true);
    }
    session.phase = 'active';
    try {
      await this.sessions.save(session);
    } catch (err) {
      return this.failStart(session, 'Could not start the session', err, true);
    }
    this.log('info', `Web Connector session started (ticket ${ticket.slice(0, 8)}…)`);
    return this.withHints([ticket, this.work.companyFile ?? '']);
  }

  /**
   * Takes the company's running-session lock for `ticket` (before any await of the work source, so a
   * concurrent authenticate on any instance answers "busy"); undefined when taken, else the seconds to
   * wait. A running session silent for staleAfterMs belongs to a Web Connector that crashed: it is ended
   * here (once, its unanswered jobs become uncertain) and the lock taken.
   */
  private async reserve(ticket: string): Promise<number | undefined> {
    const staleAfter = this.options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
    for (let attempt = 0; attempt < 2; attempt++) {
      if (await this.sessions.reserve(ticket)) return undefined;
      const lock = await this.sessions.running();
      if (!lock) continue; // released meanwhile: try again
      const other = await this.sessions.peek(lock.ticket);
      // Without its session document the lock is being released, or its instance died while ending it.
      const silent = Date.now() - (other ? other.lastSeenAt : (lock.endingAt ?? lock.at));
      if (silent < staleAfter) {
        // Another Web Connector is working: "busy", come back when the other one would count as gone.
        return Math.max(1, Math.ceil((staleAfter - silent) / 1000));
      }
      // Silent too long: its Web Connector crashed. End its session (unanswered jobs become uncertain) and go on;
      // when another instance is ending it at this moment, the next look finds it ending ("busy").
      const takeOver = async (): Promise<void> => {
        this.log('warn', `Web Connector session silent for ${Math.round(silent / 1000)} s ended (ticket ${lock.ticket.slice(0, 8)}…); a new run takes over`);
        await this.endSession(lock.ticket, 'expired');
      };
      if (other) {
        await this.sessions.finish(lock.ticket, other.lastSeenAt, (s) => (s.phase === 'active' || s.phase === 'pending' ? takeOver() : Promise.resolve()));
      } else if (await this.sessions.claimOrphan(lock)) {
        await takeOver();
        await this.sessions.release(lock.ticket);
      }
    }
    return 5;
  }

  async sendRequestXML(
    ticket: string,
    hcpResponse: string,
    companyFile: string,
    country: string,
    major: number,
    minor: number,
  ): Promise<string> {
    const session = await this.activeSession(ticket);
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
      return this.saved(session, '');
    }
    if (typeof request !== 'string' || request === '') {
      session.lastError = (await this.workLastError(ticket)) || NO_REQUEST_MESSAGE;
      return this.saved(session, '');
    }
    session.requests++;
    return this.saved(session, request);
  }

  async receiveResponseXML(ticket: string, xml: string, hresult: string, message: string): Promise<number> {
    const session = await this.activeSession(ticket);
    if (!session) return ERROR_PERCENT;
    session.responses++;
    if (hresult) session.lastError = `${hresult}: ${message || 'the request processor failed'}`;
    let percent: number;
    try {
      ({ percent } = await this.work.handleResponse(ticket, { xml, hresult, message }));
    } catch (err) {
      session.lastError = `Could not process the response: ${publicMessage(err)}`;
      this.log('error', session.lastError);
      return this.saved(session, ERROR_PERCENT);
    }
    if (typeof percent !== 'number' || !Number.isFinite(percent)) {
      session.lastError = `The work source returned an invalid progress value (${String(percent)})`;
      this.log('error', session.lastError);
      return this.saved(session, ERROR_PERCENT);
    }
    if (percent < 0) {
      const negative = Math.min(-1, Math.trunc(percent));
      session.lastError = (await this.workLastError(ticket)) || session.lastError || 'The request failed.';
      return this.saved(session, negative);
    }
    const clamped = Math.min(100, Math.floor(percent));
    session.percent = Math.max(session.percent, clamped);
    return this.saved(session, session.percent);
  }

  async connectionError(ticket: string, hresult: string, message: string): Promise<string> {
    const session = await this.touch(ticket);
    if (!session) return 'done';
    session.lastError = `${hresult || 'connection error'}: ${message || 'QuickBooks could not be opened'}`;
    this.log('warn', `Web Connector could not open QuickBooks: ${session.lastError}`);
    if (session.phase === 'active' || session.phase === 'pending') {
      session.phase = 'ended';
      await this.saved(session, undefined);
      try {
        await this.work.connectionError(ticket, hresult, message);
      } catch (err) {
        this.log('error', `connectionError handler failed: ${messageOf(err)}`);
      }
      await this.endSession(ticket, 'error');
      await this.release(ticket);
      return 'done';
    }
    return this.saved(session, 'done');
  }

  async getLastError(ticket: string): Promise<string> {
    const session = await this.touch(ticket);
    if (!session) return UNKNOWN_TICKET_MESSAGE;
    return session.lastError || (await this.workLastError(ticket)) || NO_ERROR_MESSAGE;
  }

  async closeConnection(ticket: string): Promise<string> {
    let ended: Awaited<ReturnType<SessionStore['finish']>>;
    try {
      ended = await this.sessions.finish(ticket, undefined, async (session): Promise<string> => {
        switch (session.phase) {
          case 'none':
            return 'OK: nothing to do.';
          case 'busy':
            return 'Another Web Connector session for this company is running; try again later.';
          case 'ended':
            return `Ended: ${session.lastError || 'the session ended with an error'}`;
          default:
            return (await this.endSession(ticket, 'closed')) || 'OK';
        }
      });
    } catch (err) {
      this.log('error', `Closing the Web Connector session failed: ${messageOf(err)}`);
      return `Session ended; the store reported: ${publicMessage(err)}`;
    }
    if (!ended) return this.rejected.delete(ticket) ? INVALID_USER_MESSAGE : UNKNOWN_TICKET_MESSAGE;
    return ended.result as string;
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

  /**
   * Stops expiring sessions. On a store only this process opens, every session ends here (reason
   * 'expired' for those doing work), as it always has; on a shared store the sessions stay for the
   * other instances, which answer their next calls (and expire them if the Web Connector is gone).
   */
  async close(): Promise<void> {
    await this.sessions.close();
    await this.ready;
    if (this.sessions.home.shared) return;
    try {
      for (const s of await this.sessions.list()) {
        await this.sessions.finish(s.ticket, undefined, (session) => (session.phase === 'active' || session.phase === 'pending' ? this.endSession(session.ticket, 'expired') : Promise.resolve('')));
      }
    } catch (err) {
      this.log('error', `Ending the Web Connector sessions failed: ${messageOf(err)}`);
    }
  }

  /** The session of a ticket, marked seen; undefined when unknown, expired, or the store failed (logged). */
  private async touch(ticket: string): Promise<QbwcSession | undefined> {
    try {
      return await this.sessions.touch(ticket);
    } catch (err) {
      this.log('error', `Reading the Web Connector session failed: ${messageOf(err)}`);
      return undefined;
    }
  }

  private async activeSession(ticket: string): Promise<QbwcSession | undefined> {
    const session = await this.touch(ticket);
    return session && session.phase === 'active' ? session : undefined;
  }

  /** Writes the session back, then answers `answer` (a failed write is logged: the answer stands). */
  private async saved<T>(session: QbwcSession, answer: T): Promise<T> {
    try {
      await this.sessions.save(session);
    } catch (err) {
      this.log('error', `Saving the Web Connector session failed: ${messageOf(err)}`);
    }
    return answer;
  }

  /** Gives the running-session lock up (a failure is logged; the lock then counts as stale after staleAfterMs). */
  private async release(ticket: string): Promise<void> {
    try {
      await this.sessions.release(ticket);
    } catch (err) {
      this.log('error', `Releasing the Web Connector session failed: ${messageOf(err)}`);
    }
  }

  private async saveAndRelease(session: QbwcSession): Promise<void> {
    await this.saved(session, undefined);
    await this.release(session.ticket);
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
    await this.saved(session, undefined);
    if (begun) await this.endSession(session.ticket, 'error');
    await this.release(session.ticket);
    return this.withHints([session.ticket, 'busy'], this.options.busyPostponeSeconds);
  }

  private async workLastError(ticket: string): Promise<string> {
    try {
      const text = await this.work.lastError(ticket);
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

  /** An idle session left the store (sweep): a session doing work ends with reason 'expired'. */
  private async onExpire(session: QbwcSession): Promise<void> {
    if (session.phase !== 'active' && session.phase !== 'pending') return;
    this.log('warn', `Web Connector session expired without closeConnection (ticket ${session.ticket.slice(0, 8)}…)`);
    await this.endSession(session.ticket, 'expired');
  }
}
