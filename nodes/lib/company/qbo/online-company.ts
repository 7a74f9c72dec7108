/**
 * The QuickBooks Online company: the company interface over the durable outbox and the QBO client. The
 * twin of the Desktop company, but immediate: jobs are sent as soon as they are ready (REST), and the
 * mirror is kept by a full load on first connect and Change Data Capture afterwards, every
 * `syncEveryMinutes` (BlueTrace's hourly cache) and on Re-sync.
 *
 * Exactly once: a job is marked `sent` (and the write awaited) before its request or batch leaves; the
 * mark is a claim, so of several instances sharing the store one sends each job. Jobs still `sent` when
 * the process starts, and jobs of an instance that stopped answering (checked every lease), are put back
 * as `uncertain` and looked up in QuickBooks (Name, DisplayName, DocNumber) before anything is added
 * again. Single creates carry a requestid derived from the job key and version; batch creates (which
 * cannot carry one) rely on the client's look-up of every pending record after an unknown outcome before
 * it re-sends only the missing ones.
 */
import { messageOf } from '../../errors';
import type { WritePayload } from '../../jobs';
import { RANK, type Job, type JobKind } from '../../jobs';
import type { Store } from '../../store';
import { TokenVault } from '../../store';
import { BaseCompany, count, type StateDoc } from '../base';
import type { GeneralSettings, MirrorEntity } from '../types';
import type { QboClient, QboEntity } from './client';
import { systemClock, type Clock } from './clock';
import { createQboConnection, type ConnectionConfig } from './connection';
import { QboError } from './errors';
import type { TokenSet } from './oauth';
import type { OnlineImportedPage } from './online-import';
import { newCustomerPayload, newItemPayload } from './online-new-record';
import { MIRROR_LISTS, mirrorEntityOf } from './online-records';
import { OnlineSender } from './online-send';
import { onlineSyncDoc, syncMirror, type OnlineSyncState, type SyncOutcome } from './online-sync';
import type { TokenStore } from './tokens';

export interface OnlineCompanyOptions {
  id: string;
  store: Store;
  settings: GeneralSettings;
  /** A ready client; or `connection` to build one (tokens kept encrypted in `store` by TokenVault unless a token store is given). */
  client?: QboClient;
  connection?: Omit<ConnectionConfig, 'store' | 'clock'> & { store?: TokenStore };
  /** Minutes between incremental syncs of the mirror (default 60, BlueTrace's hourly cache; 0 = only on Re-sync). */
  syncEveryMinutes?: number;
  /** Jobs are sent without an admin's approval (default true, as BlueTrace does). */
  autoApprove?: boolean;
  /** Attempts before a retryable failure becomes an error (outbox default 5). */
  maxAttempts?: number;
  /** Clock of the client (throttle, backoff, tokens) and of CDC gap checks (tests share a fake one with the simulator). */
  clock?: Clock;
  /** Operations per batch request (≤ 30, default 30). */
  batchSize?: number;
  /** Batches prepared at once (default 10; the client's throttle keeps ≤ 10 in flight). */
  concurrency?: number;
  /**
   * Real milliseconds to wait after a kick before sending, so jobs arriving together share batches
   * (default 200); a last short batch is held back while jobs keep arriving, for at most `maxLingerMs`.
   */
  lingerMs?: number;
  maxLingerMs?: number;
  /** Real milliseconds before jobs that failed retryably (throttled, 5xx, network) are tried again (default 60 000). */
  retryDelayMs?: number;
  /** Real milliseconds `close()` waits for requests in flight (default 10 000, under Node-RED's 15 s close limit). */
  closeTimeoutMs?: number;
}

/** The `imported` event (the same shape the Desktop company emits). */
export type ImportedPage = OnlineImportedPage;

const LISTS: MirrorEntity[] = MIRROR_LISTS.map((l) => l.mirror);
/** The status while this instance's heartbeat does not reach the store (instances.ts `canClaim`). */
const PAUSED = 'Sending paused: this instance cannot show the store it is alive (its heartbeat fails), so it claims no job until it can';


function realDelay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class OnlineCompany extends BaseCompany {
  readonly client: QboClient;
  private readonly clock: Clock;
  private readonly syncState: StateDoc<OnlineSyncState>;
  private readonly sender: OnlineSender;
  private readonly syncEveryMs: number;
  private readonly lingerMs: number;
  private readonly maxLingerMs: number;
  private readonly retryDelayMs: number;
  private readonly closeTimeoutMs: number;
  private started = false;
  private closed = false;
  private reconnect?: QboError;
  private wanted = false;
  private lastKickAt = 0;
  /** Jobs of a short batch held back, and since when (real ms). */
  private heldSince = new Map<string, number>();
  private loop?: Promise<void>;
  private syncing?: Promise<SyncOutcome | undefined>;
  private startTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private syncTimer?: NodeJS.Timeout;
  private syncRetryTimer?: NodeJS.Timeout;
  private recoverTimer?: NodeJS.Timeout;
  private recovering?: Promise<void>;

  constructor(options: OnlineCompanyOptions) {
    super(options.id, 'qbo', options.store, options.settings, { autoApprove: options.autoApprove ?? true, maxAttempts: options.maxAttempts });
    this.clock = options.clock ?? systemClock;
    if (options.client) this.client = options.client;
    else if (options.connection) {
      const store: TokenStore = options.connection.store ?? new TokenVault<TokenSet>(options.store);
      this.client = createQboConnection({ ...options.connection, store, clock: this.clock }).client;
    } else throw new Error('OnlineCompany needs a QuickBooks Online client or connection settings');
    this.syncState = onlineSyncDoc(options.store, options.id);
    this.syncEveryMs = Math.max(0, options.syncEveryMinutes ?? 60) * 60_000;
    this.lingerMs = Math.max(0, options.lingerMs ?? 200);
    this.maxLingerMs = Math.max(this.lingerMs, options.maxLingerMs ?? 2000);
    this.retryDelayMs = Math.max(0, options.retryDelayMs ?? 60_000);
    this.closeTimeoutMs = Math.max(0, options.closeTimeoutMs ?? 10_000);
    this.sender = new OnlineSender(
      {
        client: this.client,
        outbox: this.outbox,
        mirror: this.mirror,
        matched: (job, qbId) => this.settleMatch(job, qbId),
        nameTaken: (job, existingId) => this.nameTaken(job, existingId),
        finished: (job) => this.jobFinished(job),
        reconnectNeeded: (err) => this.reconnectNeeded(err),
        imported: (page) => this.emit('imported', page),
        listImported: (entity) => this.emit('synced', { entities: [entity as MirrorEntity] }),
        closing: () => this.closed,
      },
      { batchSize: Math.min(30, Math.max(1, options.batchSize ?? 30)), concurrency: Math.max(1, options.concurrency ?? 10), retryBackoffMs: Math.max(0, options.retryDelayMs ?? 60_000) },
    );
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * Start-up: jobs left `sent` by the previous process become uncertain (looked up before any re-add);
   * then the mirror (a full load on first connect, with progress, else CDC from the stored cursor), the
   * sync schedule, and the sending of whatever is ready. Sync failures show in the status (never thrown).
   */
  async start(): Promise<void> {
    await this.outbox.recoverSent();
    this.started = true;
    if (this.closed) return;
    this.recoverTimer = setInterval(() => this.recoverDead(), this.store.instance.leaseMs);
    this.recoverTimer.unref();
    await this.shareLimits().catch(() => undefined);
    const state = await this.syncState.load();
    if (state.loaded) this.setStatus({ state: 'connected' });
    await this.sync(false).catch(() => undefined);
    if (this.syncEveryMs > 0 && !this.closed) {
      this.syncTimer = setInterval(() => {
        if (!this.reconnect) void this.sync(false).then(() => this.kick(), () => undefined);
      }, this.syncEveryMs);
      this.syncTimer.unref();
    }
    this.kick();
  }

  /** Refreshes the mirror now (CDC, or a full load with `{full: true}`), then sends what is ready. Throws what failed. */
  async resync(options: { full?: boolean } = {}): Promise<void> {
    await this.sync(options.full === true);
    this.kick();
  }

  /** After a person reconnected (new tokens stored in the client's TokenManager): sync and send again. */
  resume(): void {
    if (!this.reconnect) return;
    this.reconnect = undefined;
    this.setStatus({ state: 'connecting', progress: 'reconnected' });
    void this.sync(false).then(() => this.kick(), () => undefined);
  }

  /**
   * Stops the schedule, the timers and the send loop: nothing new starts; the requests in flight are
   * waited for up to `closeTimeoutMs` (a request held by Intuit's limits may take longer; its job stays
   * `sent` and is looked up after the next start, never sent blindly again).
   */
  async close(): Promise<void> {
    this.closed = true;
    this.stopStoreEvents();
    for (const t of [this.startTimer, this.retryTimer, this.syncRetryTimer]) if (t) clearTimeout(t);
    for (const t of [this.syncTimer, this.recoverTimer]) if (t) clearInterval(t);
    this.startTimer = this.retryTimer = this.syncTimer = this.syncRetryTimer = this.recoverTimer = undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.closeTimeoutMs)));
    await Promise.race([Promise.allSettled([this.loop, this.syncing, this.recovering]), timeout]);
    clearTimeout(timer);
    await this.store.state.remove({ _id: this.senderId() }).catch(() => undefined);
  }

  /** This instance's entry among the senders of the realm (the store's `state`). */
  private senderId(): string {
    return `qbo-realm:${this.client.realmId}|sender|${this.store.instance.id}`;
  }

  /**
   * Intuit's limits are the realm's, whichever instance sends: each instance notes that it sends for the
   * realm (every lease) and keeps to its share of the limits, 1/n of them with n the live instances
   * sending for it, so together they stay under Intuit's limits. Entries of dead instances are removed.
   */
  private async shareLimits(): Promise<void> {
    const me = this.store.instance.id;
    const realm = `qbo-realm:${this.client.realmId}`;
    await this.store.state.update({ _id: this.senderId() }, { _id: this.senderId(), company: realm, kind: 'qbo-sender', instance: me, at: new Date().toISOString() }, { upsert: true });
    const senders = (await this.store.state.find({ company: realm, kind: 'qbo-sender' })) as Array<{ _id: string; instance: string }>;
    const others = senders.filter((d) => d.instance !== me);
    const alive = await this.store.instance.alive(others.map((d) => d.instance));
    for (const d of others) if (!alive.has(d.instance)) await this.store.state.remove({ _id: d._id });
    this.client.throttle.setShares(1 + alive.size);
  }

  /**
   * Resolves when nothing is being sent or synced and no send is scheduled (jobs waiting for their
   * retry delay do not count unless `retries` is set).
   */
  async idle(options: { retries?: boolean } = {}): Promise<void> {
    for (;;) {
      if (this.syncing) await this.syncing.catch(() => undefined);
      else if (this.loop) await this.loop;
      else if (this.startTimer || (options.retries && (this.retryTimer || this.syncRetryTimer))) await realDelay(Math.max(5, this.lingerMs));
      else return;
    }
  }

  // ------------------------------------------------------------------ the company interface

  /** The write creating a missing item (NonInventory, General settings' accounts) or customer. */
  newRecord(kind: 'item' | 'customer', record: Record<string, unknown>): WritePayload {
    return kind === 'item' ? newItemPayload(record, this.settings) : newCustomerPayload(record);
  }

  /** Sends ready jobs soon (after `lingerMs`, so jobs arriving together share batches); one send loop at a time. */
  kick(): void {
    this.lastKickAt = Date.now();
    if (!this.started || this.closed || this.reconnect) return;
    this.wanted = true;
    if (this.loop || this.startTimer) return;
    this.startTimer = setTimeout(() => {
      this.startTimer = undefined;
      this.runLoop();
    }, this.lingerMs);
  }

  // ------------------------------------------------------------------ mirror

  /** One sync at a time: a second caller shares the running one (a full sync queues after it). */
  private sync(full: boolean): Promise<SyncOutcome | undefined> {
    if (this.syncing && !full) return this.syncing;
    const before = this.syncing ?? Promise.resolve(undefined);
    const run: Promise<SyncOutcome | undefined> = before
      .catch(() => undefined)
      .then(() => this.syncOnce(full))
      .finally(() => {
        if (this.syncing === run) this.syncing = undefined;
      });
    this.syncing = run;
    return run;
  }

  private async syncOnce(full: boolean): Promise<SyncOutcome | undefined> {
    if (this.closed) return undefined;
    if (this.reconnect) throw this.reconnect;
    const state = await this.syncState.load();
    const first = !state.loaded;
    if (first) this.setStatus({ state: 'connecting', progress: 'loading the QuickBooks lists' });
    try {
      const outcome = await syncMirror(this.client, this.mirror, state, {
        full,
        now: () => this.clock.now(),
        onProgress: first ? (p) => this.setStatus({ state: 'connecting', progress: `${plural(p.entity)} ${count(p.loaded)} / ${count(p.total ?? p.loaded)}` }) : undefined,
      });
      await this.syncState.save(state);
      if (this.status().state !== 'connected') this.setStatus({ state: 'connected' });
      this.emit('synced', { entities: LISTS });
      return outcome;
    } catch (err) {
      if (err instanceof QboError && err.code === 'RECONNECT_NEEDED') this.reconnectNeeded(err);
      else {
        this.setStatus({ state: 'error', message: `Syncing the QuickBooks lists failed: ${messageOf(err)}` });
        if (first) this.scheduleSyncRetry(); // the first load is needed for matching: try again soon
      }
      throw err;
    }
  }

  private scheduleSyncRetry(): void {
    if (this.syncRetryTimer || this.closed) return;
    this.syncRetryTimer = setTimeout(() => {
      this.syncRetryTimer = undefined;
      void this.sync(false).then(() => this.kick(), () => undefined);
    }, this.retryDelayMs);
  }

  private reconnectNeeded(err: QboError): void {
    if (!this.reconnect) {
      this.reconnect = err;
      this.setStatus({ state: 'reconnect-needed', message: err.message });
    }
  }

  // ------------------------------------------------------------------ sending

  /**
   * Every lease: jobs left `sent` by an instance that stopped answering (another Node-RED on the same
   * store) go back as uncertain (outbox.recoverSent), and are sent (after their look-up) at once. A
   * failed check (the store unreachable) is tried again at the next tick.
   */
  private recoverDead(): void {
    if (this.recovering || this.closed) return;
    void this.shareLimits().catch(() => undefined);
    this.recovering = this.outbox
      .recoverSent({ own: false })
      .then((n) => {
        if (n > 0) this.kick();
      }, () => undefined)
      .finally(() => (this.recovering = undefined));
  }

  private runLoop(): void {
    this.loop = (async () => {
      try {
        while (this.wanted && !this.closed && !this.reconnect) {
          this.wanted = false;
          const { retryLater, deferred } = await this.pass();
          if (retryLater) this.scheduleRetry();
          if (deferred && !this.closed) {
            this.wanted = true;
            await realDelay(Math.max(1, this.lingerMs));
          }
        }
      } catch (err) {
        this.setStatus({ state: 'error', message: `Sending to QuickBooks failed: ${messageOf(err)}` });
        this.scheduleRetry();
      } finally {
        this.loop = undefined;
      }
      if (this.wanted && !this.closed && !this.reconnect) this.kick();
    })();
  }

  /** Sends every ready job once (kinds in dependency order, reading ready jobs again as dependencies complete). */
  private async pass(): Promise<{ retryLater: boolean; deferred: boolean }> {
    const tried = new Set<string>();
    let retryLater = false;
    let deferred = false;
    for (;;) {
      if (this.closed || this.reconnect) break;
      if (!this.store.instance.canClaim()) {
        // The heartbeat is not going through: claim nothing (the others may take this instance for dead); try later.
        this.setStatus({ state: 'error', message: PAUSED });
        retryLater = true;
        break;
      }
      if (this.status().state === 'error' && this.status().message === PAUSED) this.setStatus({ state: 'connected' });
      const ready = (await this.outbox.ready()).filter((j) => !tried.has(`${j.key}#${j.version}`));
      if (ready.length === 0) break;
      for (const j of ready) tried.add(`${j.key}#${j.version}`);
      const groups = new Map<string, Job[]>();
      for (const j of ready) groups.set(j.kind, [...(groups.get(j.kind) ?? []), j]);
      const kinds = [...groups.keys()].sort((a, b) => (RANK[a as JobKind] ?? 9) - (RANK[b as JobKind] ?? 9));
      for (const kind of kinds) {
        if (this.closed || this.reconnect) break;
        const jobs = groups.get(kind) as Job[];
        const t0 = Date.now();
        const r = await this.sender.send(kind, jobs, (chunk) => this.holdBack(chunk));
        // Time spent sending (and waiting for Intuit's limits) does not count as lingering.
        const spent = Date.now() - t0;
        for (const [key, since] of this.heldSince) this.heldSince.set(key, since + spent);
        retryLater ||= r.retryLater;
        deferred ||= r.deferred > 0;
        // A lost claim is read again: gone when another instance sends it, tried when it only changed.
        for (const key of r.lost) for (const j of jobs) if (j.key === key) tried.delete(`${j.key}#${j.version}`);
        if (r.stop) break;
      }
    }
    // Jobs in error waiting for their automatic retry keep the retry timer going.
    if (!retryLater && !this.closed && (await this.outbox.nextRetryAt()) !== undefined) retryLater = true;
    return { retryLater, deferred };
  }

  /**
   * Whether a short last batch waits for more jobs: only while jobs keep arriving (a kick within the
   * linger time), and at most `maxLingerMs` from when the loop first held these jobs back (time spent
   * waiting for Intuit's limits does not count against it).
   */
  private holdBack(jobs: Job[]): boolean {
    const now = Date.now();
    if (this.lingerMs === 0 || now - this.lastKickAt >= this.lingerMs) {
      this.heldSince.clear();
      return false;
    }
    const since = Math.min(...jobs.map((j) => this.heldSince.get(j.key) ?? now));
    if (now - since >= this.maxLingerMs) {
      this.heldSince.clear();
      return false;
    }
    this.heldSince = new Map(jobs.map((j) => [j.key, this.heldSince.get(j.key) ?? now]));
    return true;
  }

  /** Sends again when the earliest automatic retry is due (jobs in error with a backoff), else after `retryDelayMs`. */
  private scheduleRetry(): void {
    if (this.retryTimer || this.closed) return;
    const set = (ms: number) => {
      if (this.retryTimer || this.closed) return;
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.kick();
      }, Math.max(1, ms));
    };
    set(this.retryDelayMs);
    void this.outbox.nextRetryAt().then((at) => {
      if (at === undefined || !this.retryTimer) return;
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      set(Math.min(Math.max(1, at - Date.now()), 2 ** 31 - 1));
    }, () => undefined);
  }
}

function plural(entity: QboEntity): string {
  return mirrorEntityOf(entity) ?? entity.toLowerCase();
}
