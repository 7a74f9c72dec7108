import type { Store } from '../store';

/**
 * queued → approved → sent → complete | error | skipped. A job waits in `queued` for an admin's
 * approval unless its queue approves by itself; `sent` is written (and awaited) before the request
 * leaves, so after a crash a `sent` job is known to have an unknown outcome.
 *
 * Several instances (processes) may share the store (PostgreSQL): every write of a job is a
 * compare-and-set of its revision `rev`, so no instance overwrites what another wrote since it read the
 * job. `markSent` is the claim: of two instances sending one job, one gets it, the other is told (null)
 * and skips it. A `sent` job records its instance (`sentBy`); it is taken over (back to approved, looked
 * up before any re-add) only once that instance is dead (store.instance, instances.ts).
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
  /**
   * The revision: bumped by every write, each write conditional on the one it read (jobs written before
   * revisions have none), so concurrent writers of one job never lose each other's changes.
   */
  rev?: number;
  /** The instance (store.instance.id) that marked it `sent` last. */
  sentBy?: string;
  /**
   * The Web Connector session (ticket) it was sent in, when it was: the session's follow-up requests may
   * come to any instance, and its end puts back what it left unanswered whichever instance sent it.
   */
  sentIn?: string;
}

/** A change of a job: its fields (undefined removes one) and the note of its history entry. */
interface Change {
  changes: Partial<Job>;
  note?: string;
}

/** Tries of a read-modify-write before giving up (each lost try means another writer changed the job). */
const MAX_TRIES = 20;

const HISTORY_LIMIT = 20;
/** Longest wait between two automatic retries of a job in error (1 hour). */
export const MAX_BACKOFF_MS = 60 * 60_000;
const OPEN: JobState[] = ['queued', 'approved', 'error'];
/**
 * Every state but complete: a complete job is never held (complete clears `heldBy`), so the look-ups of
 * held jobs leave the finished ones unread (on PostgreSQL the `state` column narrows them in SQL).
 */
const UNFINISHED: JobState[] = ['queued', 'approved', 'sent', 'error', 'skipped'];

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
      // Decided again on the job as it is when another writer changed it meanwhile: a job sent since
      // is never put back (its payload waits for the next change, or reopens it once complete).
      let was = existing;
      const { job, changed } = await this.change(existing, (cur) => {
        was = cur;
        const reopen = spec.reopenOnChange === true && cur.state === 'complete';
        if (sameJson(cur.payload, spec.payload) || (!OPEN.includes(cur.state) && !reopen)) return null;
        const fresh: JobState = (spec.autoApprove ?? this.options.autoApprove) ? 'approved' : 'queued';
        const state: JobState = cur.state === 'error' || reopen ? fresh : cur.state;
        return {
          changes: { payload: spec.payload, dependsOn: spec.dependsOn ?? cur.dependsOn, version: cur.version + 1, state, error: undefined, retryAt: undefined },
          note: spec.note ? `source changed; ${spec.note}` : 'source changed',
        };
      });
      if (!job) return this.enqueue(spec);
      if (changed && was.state === 'error') await this.release(job.key);
      return { job, created: false, changed };
    }
    const at = now();
    const state: JobState = (spec.autoApprove ?? this.options.autoApprove) ? 'approved' : 'queued';
    const job: Job = {
      _id: this.id(spec.key), company: this.company, key: spec.key, kind: spec.kind, rank: spec.rank ?? 0,
      dependsOn: spec.dependsOn ?? [], sourceId: spec.sourceId ?? spec.key, payload: spec.payload,
      summary: spec.summary ?? spec.key, state, attempts: 0, version: 1, uncertain: false,
      createdAt: at, seq: nextSeq(), updatedAt: at, history: [{ at, state, ...(spec.note ? { note: spec.note } : {}) }], rev: 1,
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
          const r = await this.change(d, (cur) =>
            !['queued', 'approved'].includes(cur.state) || (cur.heldBy?.key === root.key && cur.heldBy.reason === reason) ? null
            : { changes: { heldBy: { key: root.key, reason } }, note: `held: waits for ${root.summary}: ${reason}` });
          if (r.changed && r.job) held.push(r.job);
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
      if (heldBy) return (await this.change(job, (cur) => (['queued', 'approved'].includes(cur.state) ? { changes: { heldBy }, note: `held: ${heldBy.reason}` } : null))).job ?? job;
    }
    return job;
  }

  /** Jobs held by `key` can progress again (it was approved, retried, changed or completed). */
  async release(key: string): Promise<number> {
    const held = (await this.store.jobs.find({ company: this.company, state: { $in: UNFINISHED }, 'heldBy.key': key })) as Job[];
    let n = 0;
    for (const j of held) {
      if ((await this.change(j, (cur) => (cur.heldBy?.key === key ? { changes: { heldBy: undefined }, note: `released: ${key} can go again` } : null))).changed) n++;
    }
    return n;
  }

  /** The jobs held by `key`. */
  async heldBy(key: string): Promise<Job[]> {
    return (await this.store.jobs.find({ company: this.company, state: { $in: UNFINISHED }, 'heldBy.key': key }).sort({ rank: 1, seq: 1 })) as Job[];
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
      // Of several instances finding it due, one moves it.
      const r = await this.change(job, (cur) =>
        cur.state !== 'error' || !cur.retryAt || Date.parse(cur.retryAt) > at ? null
        : { changes: { state: 'approved', retryAt: undefined }, note: `automatic retry (attempt ${cur.attempts + 1})` });
      if (!r.changed) continue;
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
      if (!job) continue;
      if ((await this.change(job, (cur) => (from.includes(cur.state) ? { changes: { state: to, error: undefined, retryAt: undefined }, note } : null))).changed) n++;
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

  /**
   * The claim, written and awaited before the request leaves (from here the outcome may be unknown): an
   * atomic compare-and-set that succeeds only while the job is as this instance read it (its revision),
   * `approved`, or `sent` by this instance or in the same Web Connector `session` (a follow-up request).
   * Null when the claim is lost (another instance claimed, or anyone changed the job since), or refused
   * because this instance's heartbeat has not gone through lately (`instance.canClaim`): the caller
   * skips the job.
   */
  async markSent(job: Job, options: { session?: string } = {}): Promise<Job | null> {
    if (!this.store.instance.canClaim()) return null;
    const me = this.store.instance.id;
    const followUp = job.state === 'sent' && (job.sentBy === me || (options.session !== undefined && job.sentIn === options.session));
    if (job.state !== 'approved' && !followUp) return null;
    const next = this.next(job, { changes: { state: 'sent', attempts: job.attempts + 1, sentAt: now(), sentBy: me, sentIn: options.session }, note: `attempt ${job.attempts + 1}` });
    return (await this.write(job, next)) ? next : null;
  }

  /**
   * Records the outcome QuickBooks gave. It is the truth even when the job changed since it was sent (taken
   * over after this instance was thought dead, skipped meanwhile): the job completes with its record. When
   * another writer completed it already, a different record is said in its history (a second record to
   * check in QuickBooks); a newer version of a reopenable invoice stays open, to follow as an update.
   */
  async complete(job: Job, result: Record<string, unknown>, note?: string): Promise<Job> {
    const done: Partial<Job> = { state: 'complete', result, error: undefined, uncertain: false, retryAt: undefined, heldBy: undefined, completedAt: now() };
    const r = await this.change(job, (cur) => {
      if (cur === job) return { changes: done, note };
      const qbId = (result as { qbId?: unknown }).qbId;
      if (cur.state === 'complete') {
        const had = (cur.result as { qbId?: unknown } | undefined)?.qbId;
        return sameJson(had, qbId) ? null : { changes: {}, note: `also answered as QuickBooks record ${String(qbId)} (attempt ${job.attempts}, ${job.sentBy ?? 'this instance'}): check QuickBooks for a second record` };
      }
      if (cur.version !== job.version && cur.kind === 'invoice.upsert' && OPEN.includes(cur.state)) {
        return { changes: { result, uncertain: false }, note: `version ${job.version} is in QuickBooks (${String(qbId)}); version ${cur.version} follows as an update` };
      }
      return { changes: done, note };
    });
    if (!r.job) throw new Error(`job ${job.key} is gone`);
    if (r.changed && r.job.state === 'complete') await this.release(job.key);
    return r.job;
  }

  /**
   * Records a failure. A retryable one goes back to `approved` (with `uncertain` when the request may
   * have been applied) until the attempts run out; anything else is an `error` for an admin. When the
   * job changed since this instance read it, the failure still applies to it while nobody else sends
   * it (approved, or still sent by this instance); a job another instance sends or completed is theirs.
   */
  async fail(job: Job, error: JobError, options: { retryable?: boolean; uncertain?: boolean; backoffMs?: number } = {}): Promise<Job> {
    const maxAttempts = this.options.maxAttempts ?? 5;
    const me = this.store.instance.id;
    let retryAt: string | undefined;
    const r = await this.change(job, (cur) => {
      if (cur !== job && cur.state !== 'approved' && !(cur.state === 'sent' && cur.sentBy === me)) return null;
      const retry = options.retryable === true && cur.attempts < maxAttempts;
      const uncertain = options.uncertain ?? cur.uncertain;
      retryAt = undefined;
      if (retry && options.backoffMs !== undefined) {
        // Error with its reason, retried by itself after a backoff that doubles per attempt.
        const wait = Math.min(MAX_BACKOFF_MS, Math.max(0, options.backoffMs) * 2 ** Math.max(0, cur.attempts - 1));
        retryAt = new Date(Date.now() + wait).toISOString();
        return { changes: { state: 'error', error, uncertain, retryAt }, note: `${error.message} (retried automatically at ${retryAt})` };
      }
      return { changes: { state: retry ? 'approved' : 'error', error, uncertain, retryAt: undefined }, note: error.message };
    });
    if (!r.job) throw new Error(`job ${job.key} is gone`);
    const failed = r.job;
    if (r.changed && failed.state === 'error') {
      await this.holdDependents(failed, retryAt ? `${job.summary} failed and is retried automatically at ${retryAt}: ${error.message}` : `${job.summary} needs action: ${error.message}`);
    }
    return failed;
  }

  /**
   * Jobs left `sent` by an instance that died (its heartbeat older than the lease; store.instance) or by
   * no known instance go back to `approved`, marked uncertain, so the sender looks them up in QuickBooks
   * before adding them again. `own` (the default) takes this instance's own `sent` jobs as well: at
   * start-up (a new company object: nothing of its own is in flight) and at a Web Connector session's
   * start and end; a periodic check passes `own: false`, as this instance may be sending them. A live
   * instance's jobs are never taken, except those sent in the ended Web Connector `session` (its
   * answers can no longer come). `keys` limits it to those jobs and `reason` says why in their history
   * (a send that stopped on an error before it recorded what QuickBooks did). Returns how many were taken.
   */
  async recoverSent(options: { own?: boolean; session?: string; keys?: string[]; reason?: string } = {}): Promise<number> {
    const me = this.store.instance.id;
    const query = options.keys ? { _id: { $in: options.keys.map((k) => this.id(k)) }, state: 'sent' } : { company: this.company, state: 'sent' };
    const sent = (await this.store.jobs.find(query)) as Job[];
    const others = sent.map((j) => j.sentBy).filter((id): id is string => !!id && id !== me);
    const alive = await this.store.instance.alive(others);
    let n = 0;
    for (const job of sent) {
      const by = job.sentBy;
      const ended = options.session !== undefined && job.sentIn === options.session;
      if (!ended && (by === me ? options.own === false : by !== undefined && alive.has(by))) continue;
      const note = options.reason && by === me ? `${options.reason}; outcome unknown, will look up before re-sending`
        : !by || by === me ? 'outcome unknown; will look up before re-sending'
        : alive.has(by) ? `sent by instance ${by} in a Web Connector session that ended without its answer; will look up before re-sending`
        : `instance ${by} stopped answering; will look up before re-sending`;
      const r = await this.change(job, (cur) => (cur.state === 'sent' && cur.sentBy === by ? { changes: { state: 'approved', uncertain: true }, note } : null));
      if (r.changed) n++;
    }
    return n;
  }

  /** `job` with a change applied: updated now, its revision bumped, the history entry added. */
  private next(job: Job, change: Change): Job {
    const { changes, note } = change;
    const at = now();
    const next: Job = { ...job, ...changes, updatedAt: at, rev: (job.rev ?? 0) + 1 };
    for (const k of Object.keys(changes) as Array<keyof Job>) if (changes[k] === undefined) delete next[k];
    if (changes.state && changes.state !== job.state || note) {
      next.history = [...job.history, { at, state: next.state, ...(note ? { note } : {}) }].slice(-HISTORY_LIMIT);
    }
    return next;
  }

  /** Replaces `job` by `next` only when the stored job is still at `job`'s revision (compare-and-set); whether it did. */
  private async write(job: Job, next: Job): Promise<boolean> {
    const n = await this.store.jobs.update({ _id: job._id, rev: job.rev ?? { $exists: false } }, next);
    return n === 1;
  }

  /**
   * A read-modify-write of one job that loses nothing to concurrent writers: `decide` says what to change
   * given the job (first the caller's copy; after a lost compare-and-set, the stored job read again), null
   * for nothing. Returns the job as written (or as found when nothing changed; null when it is gone).
   */
  private async change(job: Job, decide: (current: Job) => Change | null): Promise<{ job: Job | null; changed: boolean }> {
    let cur: Job | null = job;
    for (let tries = 0; tries < MAX_TRIES; tries++) {
      const change = decide(cur);
      if (!change) return { job: cur, changed: false };
      const next = this.next(cur, change);
      if (await this.write(cur, next)) return { job: next, changed: true };
      cur = await this.get(job.key);
      if (!cur) return { job: null, changed: false };
    }
    throw new Error(`job ${job.key} kept changing under other writers; try again`);
  }
}
