import type { Store } from '../store';

/**
 * queued → approved → sent → complete | error | skipped. A job waits in `queued` for an admin's
 * approval unless its queue approves by itself; `sent` is written (and awaited) before the request
 * leaves, so after a crash a `sent` job is known to have an unknown outcome.
 */
export type JobState = 'queued' | 'approved' | 'sent' | 'complete' | 'error' | 'skipped';

export interface JobError {
  code?: string;
  message: string;
  /** QuickBooks' own status code (qbXML statusCode or the QBO Fault code). */
  statusCode?: string | number;
}

export interface JobSpec {
  /** The idempotency key from the source record, e.g. "invoice:so-1001": one job per key, ever. */
  key: string;
  kind: string;
  /** Dependency order: lower ranks go first (lists 0, invoices 1, payments 2). */
  rank?: number;
  /** Keys of jobs that must be complete before this one is sent. */
  dependsOn?: string[];
  sourceId?: string;
  payload: unknown;
  /** Free text for the review queue, e.g. "Invoice SO-1001 for Oyster Bay Co". */
  summary?: string;
  /**
   * A changed payload re-opens a complete job (an update of the record it created, e.g. an order
   * changed before it is closed); its result (the QuickBooks id) is kept for the update.
   */
  reopenOnChange?: boolean;
  /**
   * Whether this job waits for an admin's approval: `true` approves it at once, `false` keeps it in
   * the review queue; unset follows the queue's default (e.g. BluBilling's exports always wait for
   * review even on a connection whose BlueTrace invoices go out by themselves).
   */
  autoApprove?: boolean;
  /** Said in the job's first history entry (e.g. what was cut to QuickBooks' length). */
  note?: string;
}

export interface Job extends Required<Omit<JobSpec, 'summary' | 'reopenOnChange' | 'autoApprove' | 'note'>> {
  _id: string;
  company: string;
  summary: string;
  state: JobState;
  attempts: number;
  /** Bumped each time the source record changes, so an update follows a create. */
  version: number;
  /** Sent without a known answer (crash, dropped session): look up before adding again. */
  uncertain: boolean;
  result?: Record<string, unknown>;
  error?: JobError;
  createdAt: string;
  /** Creation order (ties of `createdAt` within one millisecond keep the order they were queued in). */
  seq: number;
  updatedAt: string;
  sentAt?: string;
  completedAt?: string;
  /**
   * An `error` that is retried by itself at this time (an unknown outcome or a failure QuickBooks may get
   * over: the job shows as Error with its reason until then, and is looked up before it is sent again).
   */
  retryAt?: string;
  /**
   * The job cannot progress because a job it depends on (directly or through another) is in error or
   * skipped: that job's key and the reason, shown in the queue, the history and the needs-action output.
   * Cleared when that job is approved again, retried, changed or complete.
   */
  heldBy?: { key: string; reason: string };
  history: Array<{ at: string; state: JobState; note?: string }>;
}

const HISTORY_LIMIT = 20;
/** Longest wait between two automatic retries of a job in error (1 hour). */
export const MAX_BACKOFF_MS = 60 * 60_000;
const OPEN: JobState[] = ['queued', 'approved', 'error'];

function now(): string {
  return new Date().toISOString();
}

let lastSeq = 0;
/** A strictly increasing number per process (time-based), so jobs created in one millisecond keep their order. */
function nextSeq(): number {
  lastSeq = Math.max(lastSeq + 1, Date.now() * 1000);
  return lastSeq;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The durable queue of one company's writes and imports (the outbox), in the store's `jobs`
 * collection. Job ids are `<company>|<key>`, so the store itself refuses a second job for one source
 * record.
 */
export class Outbox {
  constructor(
    private readonly store: Store,
    readonly company: string,
    private readonly options: { autoApprove?: boolean; maxAttempts?: number } = {},
  ) {}

  private id(key: string): string {
    return `${this.company}|${key}`;
  }

  /**
   * Queues a job for a source record, once. A repeat of the same key returns the existing job; when its
   * payload changed and the job has not been sent yet, the payload is replaced (and its version bumped).
   */
  async enqueue(spec: JobSpec): Promise<{ job: Job; created: boolean; changed: boolean }> {
    const existing = (await this.store.jobs.findOne({ _id: this.id(spec.key) })) as Job | null;
    if (existing) {
      const reopen = spec.reopenOnChange === true && existing.state === 'complete';
      if (sameJson(existing.payload, spec.payload) || (!OPEN.includes(existing.state) && !reopen)) return { job: existing, created: false, changed: false };
      const fresh: JobState = (spec.autoApprove ?? this.options.autoApprove) ? 'approved' : 'queued';
      const state: JobState = existing.state === 'error' || reopen ? fresh : existing.state;
      const job = await this.update(existing, { payload: spec.payload, dependsOn: spec.dependsOn ?? existing.dependsOn, version: existing.version + 1, state, error: undefined, retryAt: undefined }, spec.note ? `source changed; ${spec.note}` : 'source changed');
      if (existing.state === 'error') await this.release(job.key);
      return { job, created: false, changed: true };
    }
    const at = now();
    const state: JobState = (spec.autoApprove ?? this.options.autoApprove) ? 'approved' : 'queued';
    const job: Job = {
      _id: this.id(spec.key), company: this.company, key: spec.key, kind: spec.kind, rank: spec.rank ?? 0,
      dependsOn: spec.dependsOn ?? [], sourceId: spec.sourceId ?? spec.key, payload: spec.payload,
      summary: spec.summary ?? spec.key, state, attempts: 0, version: 1, uncertain: false,
      createdAt: at, seq: nextSeq(), updatedAt: at, history: [{ at, state, ...(spec.note ? { note: spec.note } : {}) }],
    };
    try {
      await this.store.jobs.insert(job);
      return { job: await this.holdIfBlocked(job), created: true, changed: false };
    } catch (err) {
      if (!/unique constraint/i.test(String((err as Error).message))) throw err;
      return this.enqueue(spec); // lost a race with a concurrent enqueue of the same key
    }
  }

  async get(key: string): Promise<Job | null> {
    return (await this.store.jobs.findOne({ _id: this.id(key) })) as Job | null;
  }

  async list(filter: { state?: JobState | JobState[]; kind?: string } = {}): Promise<Job[]> {
    const query: Record<string, unknown> = { company: this.company };
    if (filter.state) query.state = Array.isArray(filter.state) ? { $in: filter.state } : filter.state;
    if (filter.kind) query.kind = filter.kind;
    return (await this.store.jobs.find(query).sort({ rank: 1, seq: 1, createdAt: 1 })) as Job[];
  }

  /** An admin approves queued jobs (or jobs in error, to retry them). Returns how many changed. */
  async approve(keys: string[]): Promise<number> {
    const n = await this.transition(keys, ['queued', 'error'], 'approved', 'approved');
    for (const key of keys) await this.release(key);
    return n;
  }

  /**
   * Marks every job waiting on `root` (directly or through another waiting job) as held by it, with the
   * reason; returns the jobs newly held. Jobs already held for the same reason are left alone.
   */
  async holdDependents(root: Job, reason: string): Promise<Job[]> {
    const held: Job[] = [];
    const seen = new Set<string>([root.key]);
    let frontier = [root.key];
    while (frontier.length) {
      const next: string[] = [];
      for (const key of frontier) {
        const deps = (await this.store.jobs.find({ company: this.company, dependsOn: key, state: { $in: ['queued', 'approved'] } })) as Job[];
        for (const d of deps) {
          if (seen.has(d.key)) continue;
          seen.add(d.key);
          next.push(d.key);
          if (d.heldBy?.key === root.key && d.heldBy.reason === reason) continue;
          held.push(await this.update(d, { heldBy: { key: root.key, reason } }, `held: waits for ${root.summary}: ${reason}`));
        }
      }
      frontier = next;
    }
    return held;
  }

  /** A new job whose dependency is already in error, skipped or held is held at once (it never waits silently). */
  private async holdIfBlocked(job: Job): Promise<Job> {
    for (const key of job.dependsOn) {
      const dep = await this.get(key);
      if (!dep) continue;
      const heldBy =
        dep.state === 'error' ? { key: dep.key, reason: `${dep.summary} needs action: ${dep.error?.message ?? 'it failed'}` }
        : dep.state === 'skipped' ? { key: dep.key, reason: `${dep.summary} was skipped, so it is not in QuickBooks: approve the skipped job or skip this one` }
        : dep.heldBy;
      if (heldBy) return this.update(job, { heldBy }, `held: ${heldBy.reason}`);
    }
    return job;
  }

  /** Jobs held by `key` can progress again (it was approved, retried, changed or completed). */
  async release(key: string): Promise<number> {
    const held = (await this.store.jobs.find({ company: this.company, 'heldBy.key': key })) as Job[];
    for (const j of held) await this.update(j, { heldBy: undefined }, `released: ${key} can go again`);
    return held.length;
  }

  /** The jobs held by `key`. */
  async heldBy(key: string): Promise<Job[]> {
    return (await this.store.jobs.find({ company: this.company, 'heldBy.key': key }).sort({ rank: 1, seq: 1 })) as Job[];
  }

  /**
   * Another job that already owns this QuickBooks record (its result names it): a look-up never claims
   * it for a second job.
   */
  async claimedBy(kind: string, qbId: string, exceptKey: string): Promise<Job | null> {
    if (!qbId) return null;
    const owner = (await this.store.jobs.findOne({ company: this.company, kind, 'result.qbId': qbId, key: { $ne: exceptKey } })) as Job | null;
    return owner;
  }

  /** Jobs in error whose automatic retry is due go back to `approved`; returns how many. */
  async releaseDue(at: number = Date.now()): Promise<number> {
    const waiting = (await this.store.jobs.find({ company: this.company, state: 'error', retryAt: { $exists: true } })) as Job[];
    let n = 0;
    for (const job of waiting) {
      if (!job.retryAt || Date.parse(job.retryAt) > at) continue;
      await this.update(job, { state: 'approved', retryAt: undefined }, `automatic retry (attempt ${job.attempts + 1})`);
      await this.release(job.key);
      n++;
    }
    return n;
  }

  /** When the next automatic retry of a job in error is due (ms since the epoch), if any. */
  async nextRetryAt(): Promise<number | undefined> {
    const waiting = (await this.store.jobs.find({ company: this.company, state: 'error', retryAt: { $exists: true } })) as Job[];
    const times = waiting.map((j) => Date.parse(j.retryAt as string)).filter((t) => Number.isFinite(t));
    return times.length ? Math.min(...times) : undefined;
  }

  /** An admin skips jobs that are not sent yet; they are never sent. */
  async skip(keys: string[]): Promise<number> {
    const n = await this.transition(keys, ['queued', 'approved', 'error'], 'skipped', 'skipped');
    for (const key of keys) {
      const job = await this.get(key);
      if (job?.state === 'skipped') await this.holdDependents(job, `${job.summary} was skipped, so it is not in QuickBooks: approve the skipped job or skip this one`);
    }
    return n;
  }

  private async transition(keys: string[], from: JobState[], to: JobState, note: string): Promise<number> {
    let n = 0;
    for (const key of keys) {
      const job = await this.get(key);
      if (!job || !from.includes(job.state)) continue;
      await this.update(job, { state: to, error: undefined, retryAt: undefined }, note);
      n++;
    }
    return n;
  }

  /**
   * Approved jobs whose dependencies are complete, in dependency order (rank, then age). A job whose
   * dependency failed or was skipped stays put until an admin acts.
   */
  async ready(limit = Number.POSITIVE_INFINITY): Promise<Job[]> {
    await this.releaseDue();
    const approved = (await this.store.jobs.find({ company: this.company, state: 'approved' }).sort({ rank: 1, seq: 1, createdAt: 1 })) as Job[];
    const depKeys = [...new Set(approved.flatMap((j) => j.dependsOn))];
    const deps = depKeys.length
      ? ((await this.store.jobs.find({ _id: { $in: depKeys.map((k) => this.id(k)) } })) as Job[])
      : [];
    const complete = new Set(deps.filter((d) => d.state === 'complete').map((d) => d.key));
    const out: Job[] = [];
    for (const job of approved) {
      if (job.dependsOn.every((k) => complete.has(k))) out.push(job);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Written and awaited before the request leaves: from here the outcome may be unknown. */
  async markSent(job: Job): Promise<Job> {
    return this.update(job, { state: 'sent', attempts: job.attempts + 1, sentAt: now() }, `attempt ${job.attempts + 1}`);
  }

  async complete(job: Job, result: Record<string, unknown>, note?: string): Promise<Job> {
    const done = await this.update(job, { state: 'complete', result, error: undefined, uncertain: false, retryAt: undefined, heldBy: undefined, completedAt: now() }, note);
    await this.release(job.key);
    return done;
  }

  /**
   * Records a failure. A retryable one goes back to `approved` (with `uncertain` when the request may
   * have been applied) until the attempts run out; anything else is an `error` for an admin.
   */
  async fail(job: Job, error: JobError, options: { retryable?: boolean; uncertain?: boolean; backoffMs?: number } = {}): Promise<Job> {
    const maxAttempts = this.options.maxAttempts ?? 5;
    const retry = options.retryable === true && job.attempts < maxAttempts;
    const uncertain = options.uncertain ?? job.uncertain;
    if (retry && options.backoffMs !== undefined) {
      // Error with its reason, retried by itself after a backoff that doubles per attempt.
      const wait = Math.min(MAX_BACKOFF_MS, Math.max(0, options.backoffMs) * 2 ** Math.max(0, job.attempts - 1));
      const retryAt = new Date(Date.now() + wait).toISOString();
      const failed = await this.update(job, { state: 'error', error, uncertain, retryAt }, `${error.message} (retried automatically at ${retryAt})`);
      await this.holdDependents(failed, `${job.summary} failed and is retried automatically at ${retryAt}: ${error.message}`);
      return failed;
    }
    const failed = await this.update(job, { state: retry ? 'approved' : 'error', error, uncertain, retryAt: undefined }, error.message);
    if (failed.state === 'error') await this.holdDependents(failed, `${job.summary} needs action: ${error.message}`);
    return failed;
  }

  /**
   * Start-up recovery: jobs left `sent` by a crash or a dropped session go back to `approved`, marked
   * uncertain, so the sender looks them up in QuickBooks before adding them again.
   */
  async recoverSent(): Promise<number> {
    const sent = (await this.store.jobs.find({ company: this.company, state: 'sent' })) as Job[];
    for (const job of sent) await this.update(job, { state: 'approved', uncertain: true }, 'outcome unknown; will look up before re-sending');
    return sent.length;
  }

  private async update(job: Job, changes: Partial<Job>, note?: string): Promise<Job> {
    const at = now();
    const next: Job = { ...job, ...changes, updatedAt: at };
    for (const k of Object.keys(changes) as Array<keyof Job>) if (changes[k] === undefined) delete next[k];
    if (changes.state && changes.state !== job.state || note) {
      next.history = [...job.history, { at, state: next.state, ...(note ? { note } : {}) }].slice(-HISTORY_LIMIT);
    }
    await this.store.jobs.update({ _id: job._id }, next);
    return next;
  }
}
