/**
 * A Web Connector session of the QuickBooks Desktop company, kept in the store (`state` collection,
 * `_id` `<company>|qbd-session|<ticket>`, kind `qbd-session`) rather than in process memory: with
 * several Node-RED instances behind a load balancer each SOAP call of one session may reach a different
 * instance, and each call reads the session here and writes it back before answering (the calls of one
 * session are sequential, so no lock is needed).
 *
 * The document holds the jobs' keys, never copies of them: a step's job is read again from the outbox
 * when the session is loaded (a copy could be stale: every outbox update writes the whole job back), and
 * an import step's progress from its own document (desktop-import.ts), which is saved after every page.
 */
import type { Job, JobError, Outbox } from '../../jobs';
import type { Store } from '../../store';
import type { ImportProgress, ImportProgressStore } from './desktop-import';
import type { EditTarget, NameStage, PageQuery } from './desktop-requests';

export type StepKind = 'lookup' | 'write' | 'reread' | 'import' | 'nameCheck';

export interface Step {
  kind: StepKind;
  job: Job;
  /** Invoice update target. */
  edit?: EditTarget;
  /** A stale EditSequence (3200) was already re-read once. */
  retried?: boolean;
  page?: PageQuery;
  progress?: ImportProgress;
  /** nameCheck: QuickBooks' refusal (3100) of the add, and which list is asked now. */
  refusal?: JobError;
  stage?: NameStage;
}

export interface InFlight extends Step {
  requestID: string;
}

/** What a session counts (its summary), as stored. */
export interface SessionCounts {
  /** Jobs finished (or put off to the next session) in this session. */
  done: number;
  sent: number;
  complete: number;
  errors: number;
  found: number;
  imported: number;
  lastError: string;
}

export interface Session extends SessionCounts {
  ticket: string;
  /** Jobs taken up in this session (each at most once, apart from its own follow-up requests). */
  tried: Set<string>;
  /** The same job's next request (look-up → add, re-read → update, next import page). */
  next?: Step;
  inflight?: InFlight;
  seq: number;
  /** Share of the current import received (for the percent). */
  importFraction: number;
  stopped: boolean;
  qbxmlVersion?: string;
}

/** A step as stored: the job by its key (`progress` lives in its own document). */
interface StepDoc extends Omit<Step, 'job' | 'progress'> {
  job: string;
  requestID?: string;
}

/** The session document (the shape in the store). */
export interface SessionDoc extends SessionCounts {
  _id: string;
  company: string;
  kind: 'qbd-session';
  ticket: string;
  tried: string[];
  next?: StepDoc;
  inflight?: StepDoc & { requestID: string };
  seq: number;
  importFraction: number;
  stopped: boolean;
  qbxmlVersion?: string;
}

const KIND = 'qbd-session';

/** The object without its undefined fields (a stored document has none). */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function stepDoc(step: Step): StepDoc {
  const { job, progress: _progress, ...rest } = step as Step & { requestID?: string };
  return defined({ ...rest, job: job.key });
}

export class DesktopSessions {
  constructor(
    private readonly store: Store,
    private readonly company: string,
    private readonly outbox: Outbox,
    private readonly progress: ImportProgressStore,
  ) {}

  private id(ticket: string): string {
    return `${this.company}|${KIND}|${ticket}`;
  }

  /**
   * A new session. It starts while it holds the company's running-session lock (operations.ts), so any
   * other session document of the company is one whose end never ran (its instance died): removed.
   */
  async begin(ticket: string): Promise<void> {
    await this.store.state.remove({ company: this.company, kind: KIND }, { multi: true });
    const s: Session = {
      ticket, tried: new Set(), seq: 0, done: 0, importFraction: 0, sent: 0, complete: 0, errors: 0, found: 0, imported: 0,
      lastError: '', stopped: false,
    };
    await this.store.state.insert(this.docOf(s));
  }

  /** Whether a session of the company is in the store (running on some instance, or left by one that died). */
  async any(): Promise<boolean> {
    return (await this.store.state.count({ company: this.company, kind: KIND })) > 0;
  }

  /** The session as stored, without reading its jobs (summary, lastError); undefined when unknown. */
  async peek(ticket: string): Promise<SessionDoc | undefined> {
    return ((await this.store.state.findOne({ _id: this.id(ticket) })) as SessionDoc | null) ?? undefined;
  }

  /** The session with its steps' jobs read again from the outbox; undefined when unknown or ended. */
  async load(ticket: string): Promise<Session | undefined> {
    const doc = await this.peek(ticket);
    if (!doc) return undefined;
    const next = doc.next ? await this.stepOf(doc.next) : undefined;
    const inflight = doc.inflight ? await this.stepOf(doc.inflight) : undefined;
    return {
      ticket: doc.ticket, tried: new Set(doc.tried), seq: doc.seq, done: doc.done, importFraction: doc.importFraction,
      sent: doc.sent, complete: doc.complete, errors: doc.errors, found: doc.found, imported: doc.imported,
      lastError: doc.lastError, stopped: doc.stopped,
      ...(next ? { next } : {}),
      ...(inflight && doc.inflight ? { inflight: { ...inflight, requestID: doc.inflight.requestID } } : {}),
      ...(doc.qbxmlVersion ? { qbxmlVersion: doc.qbxmlVersion } : {}),
    };
  }

  /** Writes the session back (never brings back one that has ended meanwhile). */
  async save(s: Session): Promise<void> {
    await this.store.state.update({ _id: this.id(s.ticket) }, this.docOf(s));
  }

  /** Ends the session's document: the stored session when this call removed it, else undefined. */
  async end(ticket: string): Promise<SessionDoc | undefined> {
    const doc = await this.peek(ticket);
    if (!doc) return undefined;
    return (await this.store.state.remove({ _id: this.id(ticket) })) === 1 ? doc : undefined;
  }

  private async stepOf(doc: StepDoc): Promise<Step | undefined> {
    const job = await this.outbox.get(doc.job);
    if (!job) return undefined; // the job is gone: nothing to continue
    const { requestID: _requestID, job: _key, ...rest } = doc;
    const step: Step = { ...rest, job };
    if (step.kind === 'import') step.progress = await this.progress.load(job);
    return step;
  }

  private docOf(s: Session): SessionDoc {
    return defined({
      _id: this.id(s.ticket), company: this.company, kind: KIND, ticket: s.ticket, tried: [...s.tried],
      next: s.next ? stepDoc(s.next) : undefined,
      inflight: s.inflight ? { ...stepDoc(s.inflight), requestID: s.inflight.requestID } : undefined,
      seq: s.seq, done: s.done, importFraction: s.importFraction, sent: s.sent, complete: s.complete, errors: s.errors,
      found: s.found, imported: s.imported, lastError: s.lastError, stopped: s.stopped, qbxmlVersion: s.qbxmlVersion,
    });
  }
}
