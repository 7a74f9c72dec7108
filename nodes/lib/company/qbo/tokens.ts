/**
 * Access-token upkeep for one connection (qbo.md §2.9, §5; seeds-reliability §3.3): refresh ahead of expiry and once
 * after a 401, one refresh at a time per store key (and per realm across the instances sharing a store, through the
 * store's `exclusive`), the rotated refresh token saved BEFORE the new access token is used, and `invalid_grant` →
 * ReconnectNeededError with no retry loop.
 */
import type { Clock } from './clock';
import { QboError, ReconnectNeededError } from './errors';
import { toTokenSet, TokenResponse, TokenSet } from './oauth';

export interface TokenStore {
  load(key: string): Promise<TokenSet | null>;
  save(key: string, tokens: TokenSet): Promise<void>;
  /**
   * Runs `fn` while no other caller of `key` runs, in any process sharing the tokens (TokenVault: the
   * store's mutex, an advisory lock on PostgreSQL). Without it a refresh is single-flight in this process only.
   */
  exclusive?<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

/** For tests and for callers that persist elsewhere. */
export class MemoryTokenStore implements TokenStore {
  readonly saved: TokenSet[] = [];
  private readonly map = new Map<string, TokenSet>();

  async load(key: string): Promise<TokenSet | null> {
    const t = this.map.get(key);
    return t ? { ...t } : null;
  }

  async save(key: string, tokens: TokenSet): Promise<void> {
    this.map.set(key, { ...tokens });
    this.saved.push({ ...tokens });
  }
}

export interface TokenManagerOptions {
  store: TokenStore;
  /** Store key, e.g. `${connectionId}:${realmId}`. */
  key: string;
  realmId: string;
  /** Performs the refresh_token grant (see refreshWithNodeQuickbooks). */
  refresh: (refreshToken: string) => Promise<TokenResponse>;
  clock: Pick<Clock, 'now'> & Partial<Pick<Clock, 'sleep'>>;
  /** Refresh when the access token has less than this left (5 minutes). */
  skewMs?: number;
  /** Attempts of the refresh call on transient failures (5xx, network): 3, with 1 s, 2 s pauses. */
  refreshAttempts?: number;
}

/** In-flight refreshes per store and key: a second caller joins the first one's refresh. */
const inflight = new WeakMap<TokenStore, Map<string, Promise<TokenSet>>>();

export class TokenManager {
  private current?: TokenSet;
  /** A rotated set whose save failed: saved again before anything else. */
  private unsaved?: TokenSet;
  private reconnect?: ReconnectNeededError;
  /** Refresh-token grants performed by this manager. */
  refreshCount = 0;

  constructor(private readonly o: TokenManagerOptions) {}

  get realmId(): string {
    return this.o.realmId;
  }

  /** Stores a brand-new token set (after a consent) and clears a reconnect-needed state. */
  async setTokens(tokens: TokenSet): Promise<void> {
    await this.o.store.save(this.o.key, tokens);
    this.current = tokens;
    this.unsaved = undefined;
    this.reconnect = undefined;
  }

  /** A usable access token, refreshed first when it is missing or about to expire. */
  async accessToken(): Promise<string> {
    if (this.reconnect) throw this.reconnect;
    if (this.unsaved) {
      const pending = this.unsaved;
      await this.persist(pending);
      this.current = pending;
    }
    if (!this.current) this.current = (await this.o.store.load(this.o.key)) ?? undefined;
    if (!this.current) throw new QboError({ code: 'NOT_CONNECTED', message: `QuickBooks company ${this.o.realmId} is not connected yet: no tokens stored` });
    if (this.current.accessTokenExpiresAt - (this.o.skewMs ?? 300_000) <= this.o.clock.now()) return (await this.refresh(this.current.accessToken)).accessToken;
    return this.current.accessToken;
  }

  /** After a 401 with `failedToken`: refresh once (or reuse the refresh another caller already did). */
  async afterUnauthorized(failedToken: string): Promise<string> {
    return (await this.refresh(failedToken)).accessToken;
  }

  private async refresh(staleAccessToken: string): Promise<TokenSet> {
    if (this.reconnect) throw this.reconnect;
    let byKey = inflight.get(this.o.store);
    if (!byKey) inflight.set(this.o.store, (byKey = new Map()));
    let p = byKey.get(this.o.key);
    const owner = !p;
    if (!p) {
      p = this.doRefresh(staleAccessToken);
      byKey.set(this.o.key, p);
    }
    try {
      return this.adopt(await p);
    } catch (err) {
      if (err instanceof ReconnectNeededError) this.reconnect = err;
      throw err;
    } finally {
      if (owner) byKey.delete(this.o.key);
    }
  }

  private adopt(t: TokenSet): TokenSet {
    this.current = t;
    return t;
  }

  /**
   * One refresh across every instance sharing the store: under the realm's lock the stored set is read
   * again (another instance may have rotated while this one waited: its set is used), else the grant is
   * made and the rotated refresh token committed before the lock is released and the token used.
   */
  private doRefresh(staleAccessToken: string): Promise<TokenSet> {
    const run = () => this.refreshNow(staleAccessToken);
    return this.o.store.exclusive ? this.o.store.exclusive(`qbo-token-refresh:${this.o.realmId}`, run) : run();
  }

  private async refreshNow(staleAccessToken: string): Promise<TokenSet> {
    // Someone else (another manager on the same store, another instance) may have rotated already: use theirs.
    const stored = await this.o.store.load(this.o.key);
    const skew = this.o.skewMs ?? 300_000;
    if (stored && stored.accessToken !== staleAccessToken && stored.accessTokenExpiresAt - skew > this.o.clock.now()) return stored;
    const base = stored ?? this.current;
    if (!base) throw new QboError({ code: 'NOT_CONNECTED', message: `QuickBooks company ${this.o.realmId} is not connected yet: no tokens stored` });
    let answer: TokenResponse | undefined;
    const attempts = Math.max(1, this.o.refreshAttempts ?? 3);
    for (let attempt = 1; answer === undefined; attempt += 1) {
      try {
        answer = await this.o.refresh(base.refreshToken);
      } catch (err) {
        const e = err as QboError;
        if (e.code === 'invalid_grant') {
          this.reconnect = new ReconnectNeededError(this.o.realmId);
          throw this.reconnect;
        }
        if (!(e instanceof QboError) || !e.transient || attempt >= attempts || !this.o.clock.sleep) throw err;
        await this.o.clock.sleep(1000 * 2 ** (attempt - 1));
      }
    }
    this.refreshCount += 1;
    const next = toTokenSet(this.o.realmId, answer, this.o.clock.now());
    if (!answer.x_refresh_token_expires_in && answer.refresh_token === base.refreshToken) next.refreshTokenExpiresAt = base.refreshTokenExpiresAt;
    await this.persist(next);
    return next;
  }

  /** Saves a rotated set; on failure keeps it in memory (the old refresh token may be dead) and throws. */
  private async persist(t: TokenSet): Promise<void> {
    try {
      await this.o.store.save(this.o.key, t);
      this.unsaved = undefined;
    } catch (err) {
      this.unsaved = t;
      throw new QboError({ code: 'TOKEN_SAVE_FAILED', message: `could not save the refreshed QuickBooks tokens: ${(err as Error).message}` });
    }
  }
}
