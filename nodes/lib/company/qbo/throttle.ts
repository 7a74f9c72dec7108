/**
 * Per-realm request throttle under Intuit's limits (qbo.md §2.7): at most 10 in flight, 500 requests and 40 batch
 * requests per sliding minute, and a shared pause after a 429. Waiters are served first come, first served, except
 * that a request blocked only by the batch window does not hold up plain requests behind it.
 */
import type { Clock } from './clock';

export interface ThrottleLimits {
  concurrent: number;
  perMinute: number;
  batchPerMinute: number;
  /** Window length (60 000 ms). */
  windowMs: number;
  /** Extra time a slot is held after the window, for clock skew between us and Intuit (250 ms). */
  marginMs: number;
}

export const INTUIT_LIMITS: ThrottleLimits = { concurrent: 10, perMinute: 500, batchPerMinute: 40, windowMs: 60_000, marginMs: 250 };

interface Waiter {
  batch: boolean;
  resolve: (release: () => void) => void;
}

export interface ThrottleStats {
  /** Requests started. */
  started: number;
  maxInFlight: number;
  /** Times a waiter slept for a window or a pause. */
  waits: number;
}

export class RealmThrottle {
  private inFlight = 0;
  private readonly sent: number[] = [];
  private readonly batches: number[] = [];
  private pausedUntil = 0;
  private readonly queue: Waiter[] = [];
  private pumping = false;
  private slotFreed?: () => void;
  /** Aborts the pump's current sleep so a newly queued request is looked at at once. */
  private wake?: AbortController;
  readonly stats: ThrottleStats = { started: 0, maxInFlight: 0, waits: 0 };
  /** Instances sending for this realm (this one included): each keeps to its share of Intuit's limits. */
  private shares = 1;

  constructor(private readonly clock: Clock, readonly limits: ThrottleLimits = INTUIT_LIMITS) {}

  /**
   * `n` instances send for this realm (several Node-RED instances on one store): Intuit's limits are the
   * realm's, so this one keeps to 1/n of each (at least one request of each kind), and together they stay
   * under Intuit's limits instead of drawing 429s.
   */
  setShares(n: number): void {
    const shares = Math.max(1, Math.floor(n) || 1);
    if (shares === this.shares) return;
    this.shares = shares;
    this.wake?.abort();
    this.slotFreed?.();
  }

  /** How many instances share this realm's limits. */
  get sharedBy(): number {
    return this.shares;
  }

  /** This instance's part of one of Intuit's limits. */
  private part(limit: number): number {
    return Math.max(1, Math.floor(limit / this.shares));
  }

  /** Waits for a slot; call the returned function when the response (or failure) has arrived. */
  acquire(batch = false): Promise<() => void> {
    return new Promise((resolve) => {
      this.queue.push({ batch, resolve });
      this.wake?.abort();
      void this.pump();
    });
  }

  /** After a 429: nobody on this realm starts a request before `ms` from now. */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
    this.wake?.abort();
  }

  private prune(list: number[], now: number): void {
    const horizon = now - this.limits.windowMs - this.limits.marginMs;
    while (list.length > 0 && list[0] <= horizon) list.shift();
  }

  /** Milliseconds until a request of this kind may start (0 = now), ignoring concurrency. */
  private waitFor(batch: boolean, now: number): number {
    this.prune(this.sent, now);
    this.prune(this.batches, now);
    let wait = Math.max(0, this.pausedUntil - now);
    // the oldest entries that must leave the window before one more fits this instance's part
    const over = (list: number[], limit: number) => list[list.length - this.part(limit)] as number;
    const untilRoom = (list: number[], limit: number) => over(list, limit) + this.limits.windowMs + this.limits.marginMs - now + 1;
    if (this.sent.length >= this.part(this.limits.perMinute)) wait = Math.max(wait, untilRoom(this.sent, this.limits.perMinute));
    if (batch && this.batches.length >= this.part(this.limits.batchPerMinute)) wait = Math.max(wait, untilRoom(this.batches, this.limits.batchPerMinute));
    return wait;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        if (this.inFlight >= this.part(this.limits.concurrent)) {
          await new Promise<void>((r) => (this.slotFreed = r));
          continue;
        }
        const now = this.clock.now();
        let best = Infinity;
        const index = this.queue.findIndex((w) => {
          const wait = this.waitFor(w.batch, now);
          best = Math.min(best, wait);
          return wait === 0;
        });
        if (index < 0) {
          this.stats.waits += 1;
          this.wake = new AbortController();
          await this.clock.sleep(best, this.wake.signal);
          this.wake = undefined;
          continue;
        }
        const [w] = this.queue.splice(index, 1);
        this.sent.push(now);
        if (w.batch) this.batches.push(now);
        this.inFlight += 1;
        this.stats.started += 1;
        this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.inFlight);
        let released = false;
        w.resolve(() => {
          if (released) return;
          released = true;
          this.inFlight -= 1;
          const wake = this.slotFreed;
          this.slotFreed = undefined;
          wake?.();
        });
      }
    } finally {
      this.pumping = false;
    }
  }
}

const registry = new Map<string, RealmThrottle>();

/** The shared throttle of one realm (every client of the realm in this process uses the same one). */
export function throttleFor(realmId: string, clock: Clock, limits?: Partial<ThrottleLimits>): RealmThrottle {
  let t = registry.get(realmId);
  if (!t) {
    t = new RealmThrottle(clock, { ...INTUIT_LIMITS, ...limits });
    registry.set(realmId, t);
  }
  return t;
}
