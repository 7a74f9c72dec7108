/**
 * Intuit's throttles per realm (qbo.md §2.7): requests per minute, concurrent requests, batch requests per minute.
 * Sliding windows on an injectable clock so tests never wait a minute.
 */

export interface LimitOptions {
  /** Requests per window per realm (Intuit: 500 a minute). */
  perWindow?: number;
  /** Requests in flight per realm (Intuit: 10). */
  concurrent?: number;
  /** Batch requests per window per realm (Intuit: 40 a minute). */
  batchPerWindow?: number;
  /** Window length in ms (60 000). */
  windowMs?: number;
  /** Send Retry-After (seconds until the window frees) on rate-window 429s. Default true. */
  retryAfter?: boolean;
}

export type Admission = { ok: true; release: () => void } | { ok: false; reason: 'rate' | 'batch' | 'concurrency'; retryAfterSec?: number };

class Window {
  private readonly times: number[] = [];
  private head = 0;

  constructor(private readonly limit: number, private readonly windowMs: number) {}

  private prune(now: number): void {
    while (this.head < this.times.length && this.times[this.head] <= now - this.windowMs) this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times.splice(0, this.head);
      this.head = 0;
    }
  }

  full(now: number): boolean {
    this.prune(now);
    return this.times.length - this.head >= this.limit;
  }

  /** Seconds until one slot frees (rounded up, at least 1). */
  waitSec(now: number): number {
    return Math.max(1, Math.ceil((this.times[this.head] + this.windowMs - now) / 1000));
  }

  add(now: number): void {
    this.times.push(now);
  }
}

interface RealmState {
  inFlight: number;
  rate: Window;
  batch: Window;
}

export class Limits {
  private readonly realms = new Map<string, RealmState>();
  private readonly o: Required<LimitOptions>;
  /** The most requests ever in flight at once, per realm. */
  readonly maxInFlight = new Map<string, number>();

  constructor(private readonly now: () => number, opts: LimitOptions = {}) {
    this.o = { perWindow: 500, concurrent: 10, batchPerWindow: 40, windowMs: 60_000, retryAfter: true, ...opts };
  }

  private state(realm: string): RealmState {
    let s = this.realms.get(realm);
    if (!s) {
      s = { inFlight: 0, rate: new Window(this.o.perWindow, this.o.windowMs), batch: new Window(this.o.batchPerWindow, this.o.windowMs) };
      this.realms.set(realm, s);
    }
    return s;
  }

  inFlight(realm: string): number {
    return this.state(realm).inFlight;
  }

  /** Admits a request or says why not. Rejected requests do not count toward the windows. */
  admit(realm: string, isBatch: boolean): Admission {
    const s = this.state(realm);
    const now = this.now();
    if (s.inFlight >= this.o.concurrent) return { ok: false, reason: 'concurrency' };
    if (s.rate.full(now)) return { ok: false, reason: 'rate', retryAfterSec: this.o.retryAfter ? s.rate.waitSec(now) : undefined };
    if (isBatch && s.batch.full(now)) return { ok: false, reason: 'batch', retryAfterSec: this.o.retryAfter ? s.batch.waitSec(now) : undefined };
    s.rate.add(now);
    if (isBatch) s.batch.add(now);
    s.inFlight += 1;
    this.maxInFlight.set(realm, Math.max(this.maxInFlight.get(realm) ?? 0, s.inFlight));
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        s.inFlight -= 1;
      },
    };
  }
}
