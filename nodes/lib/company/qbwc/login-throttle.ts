/**
 * Slows down password guessing against the Web Connector's `authenticate`, per user name and source
 * address: the first `freeFailures` wrong passwords are answered as usual; each failure after that
 * locks the pair out for `baseLockMs` × 2^(failures past the free ones), at most `maxLockMs`. While a
 * pair is locked out, `authenticate` answers "nvu" (invalid user) without checking the password, so
 * guessing gains nothing; once the lockout has passed the password is checked again, and the right one
 * logs in (and clears the pair's record). Other user names and other addresses are not affected.
 *
 * Memory is bounded: at most `maxEntries` pairs are remembered (the least recently failed are
 * forgotten first), and a pair whose last failure is older than `forgetMs` is forgotten.
 */

export interface LoginThrottleOptions {
  /** Wrong passwords a pair may try before the first lockout (default 5). */
  freeFailures: number;
  /** The first lockout (default 30 s); each further failure doubles it. */
  baseLockMs: number;
  /** The longest lockout (default 15 minutes). */
  maxLockMs: number;
  /** Forget a pair this long after its last failure (default: 1 hour). */
  forgetMs: number;
  /** Most pairs remembered (default 10,000). */
  maxEntries: number;
  now: () => number;
}

export const LOGIN_THROTTLE_DEFAULTS: Readonly<Omit<LoginThrottleOptions, 'now'>> = Object.freeze({
  freeFailures: 5,
  baseLockMs: 30_000,
  maxLockMs: 15 * 60_000,
  forgetMs: 60 * 60_000,
  maxEntries: 10_000,
});

interface Entry {
  failures: number;
  lastFailureAt: number;
  lockedUntil: number;
  /** Attempts answered "nvu" unchecked during the current lockout. */
  refused: number;
}

/** What `failed` decided, for the log line. */
export interface FailureOutcome {
  failures: number;
  /** Milliseconds of lockout starting now (0: none yet). */
  lockMs: number;
}

/** A user name as it may appear in a log line and a map key: printable, at most 64 characters. */
export function printableUser(user: string): string {
  const clean = String(user).replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 64 ? `${clean.slice(0, 64)}…` : clean;
}

/** A socket's remote address without the IPv4-mapped IPv6 prefix ("unknown" when absent). */
export function printableAddress(address: string | undefined): string {
  if (!address) return 'unknown';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

export class LoginThrottle {
  private readonly options: LoginThrottleOptions;
  private readonly entries = new Map<string, Entry>();

  constructor(options: Partial<LoginThrottleOptions> = {}) {
    this.options = { ...LOGIN_THROTTLE_DEFAULTS, now: Date.now, ...options };
  }

  private key(user: string, address: string): string {
    return `${printableUser(user)}\u0000${address}`;
  }

  /** The pair's record, or undefined (forgotten when older than `forgetMs`). */
  private entry(key: string, now: number): Entry | undefined {
    const e = this.entries.get(key);
    if (e && now - e.lastFailureAt > this.options.forgetMs && now >= e.lockedUntil) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  /**
   * Milliseconds the pair is still locked out (0: check the password). A locked-out attempt is
   * counted; `firstRefusal` tells whether it is the first of this lockout (to log once).
   */
  lockedFor(user: string, address: string): { ms: number; firstRefusal: boolean } {
    const now = this.options.now();
    const e = this.entry(this.key(user, address), now);
    if (!e || now >= e.lockedUntil) return { ms: 0, firstRefusal: false };
    e.refused++;
    return { ms: e.lockedUntil - now, firstRefusal: e.refused === 1 };
  }

  /** Records a wrong password; past the free failures this starts (or lengthens) a lockout. */
  failed(user: string, address: string): FailureOutcome {
    const now = this.options.now();
    const key = this.key(user, address);
    const e = this.entry(key, now) ?? { failures: 0, lastFailureAt: now, lockedUntil: 0, refused: 0 };
    e.failures++;
    e.lastFailureAt = now;
    e.refused = 0;
    const past = e.failures - this.options.freeFailures;
    const lockMs = past > 0 ? Math.min(this.options.maxLockMs, this.options.baseLockMs * 2 ** Math.min(past - 1, 30)) : 0;
    e.lockedUntil = lockMs ? now + lockMs : 0;
    // most recently failed last: the oldest are forgotten first when the map is full
    this.entries.delete(key);
    this.entries.set(key, e);
    while (this.entries.size > this.options.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    return { failures: e.failures, lockMs };
  }

  /** The right password: the pair starts afresh. */
  succeeded(user: string, address: string): void {
    this.entries.delete(this.key(user, address));
  }

  /** Pairs remembered (for tests and status). */
  get size(): number {
    return this.entries.size;
  }
}
