/**
 * The QuickBooks Desktop company: the company interface over the durable outbox, served to the
 * QuickBooks Web Connector as a `QbwcWorkSource`. In each Web Connector session it sends the approved
 * jobs in dependency order, one qbXML request per sendRequestXML, and reads QuickBooks' answers back
 * into the jobs, the mirror and the matches.
 *
 * Exactly once: a write job is marked `sent` (and the write awaited) before its request is returned to
 * the Web Connector. A job still `sent` when a session ends without its answer (crash, expiry, error) or
 * when the process starts is put back as `uncertain`; before adding it again the company looks it up in
 * QuickBooks (Name for lists, RefNumber for transactions) and, when found, completes the job with
 * `foundExisting` instead of adding a second record.
 */
import { messageOf } from '../../errors';
import { hasJobTag, resolveJobRefs, type ImportPayload, type Job, type JobError, type WritePayload, type WriteResult } from '../../jobs';
import { RANK } from '../../jobs';
import type { MirrorRecord } from '../../mirror';
import type { Store } from '../../store';
import { BaseCompany, count, dependencyResults, type StateDoc } from '../base';
import { nameOf, nameTakenAction, referencesHolder, type NameHolder } from '../name-taken';
import type { GeneralSettings, MirrorEntity } from '../types';
import { acceptPage, entityOfImport, firstPage, ImportProgressStore, isImportKind, type DesktopImportKind, type ImportProgress } from './desktop-import';
import { newCustomerPayload, newItemPayload } from './desktop-new-record';
import { DESKTOP_MIRROR_CODECS, textOf, toMirrorRecord, writeResultOf, type DesktopEntity } from './desktop-records';
import {
  isPaged,
  lookupRequest,
  pageRequest,
  nameCheckRequest,
  NEXT_NAME_STAGE,
  rereadRequest,
  writeRequest,
  type PageQuery,
} from './desktop-requests';
import { FULL_FROM, incrementalFrom, isConnected, RESYNC_ENTITIES, RESYNC_PREFIX, syncStateDoc, type SyncState } from './desktop-sync';
import { messageStatus, parseQbxml, type QbxmlRecord, type QbxmlResponseMessage } from './qbxml';
import { DesktopSessions, type InFlight, type Session, type SessionCounts, type Step } from './desktop-session';
import type { QbwcWorkSource, ReceivedResponse, SendRequestContext, SessionEndReason, SessionHome } from './work-source';

export interface DesktopCompanyOptions {
  id: string;
  store: Store;
  settings: GeneralSettings;
  /** Jobs are sent without an admin's approval (default: they wait in `queued`). */
  autoApprove?: boolean;
  /** Attempts before a retryable failure becomes an error (outbox default 5). */
  maxAttempts?: number;
  /** Company file the Web Connector opens ("" or undefined: the one open in QuickBooks). */
  companyFile?: string;
  /** MaxReturned of import pages (default 500). */
  pageSize?: number;
  /** Clock (tests). */
  clock?: () => Date;
}

/** One page of an import, as emitted with the `imported` event. */
export interface ImportedPage {
  job: Job;
  entity: DesktopEntity;
  records: MirrorRecord[];
  /** The last page of this import. */
  done: boolean;
  /** Records emitted by this import so far, and the total when QuickBooks told it (iteratorRemainingCount). */
  count: number;
  total?: number;
}

/** What `endSession` reports (also emitted as the `session` event). */
export interface SessionSummary {
  ticket: string;
  reason: SessionEndReason;
  summary: string;
}

const WRITE_ENTITY: Readonly<Record<string, DesktopEntity>> = {
  'customer.add': 'customers',
  'item.add': 'items',
  'invoice.upsert': 'invoices',
  'payment.add': 'payments',
};

const PARSE_ERROR_HRESULT = '0x80040400';

function asList(v: unknown): unknown[] {
  return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
}

export class DesktopCompany extends BaseCompany implements QbwcWorkSource {
  readonly companyFile?: string;
  readonly pageSize: number;
  private readonly clock: () => Date;
  /** The Web Connector sessions, in the store (any instance on it may answer a session's next call). */
  private readonly sessions: DesktopSessions;
  private readonly progress: ImportProgressStore;
  private readonly syncState: StateDoc<SyncState>;
  private closed = false;

  constructor(options: DesktopCompanyOptions) {
    super(options.id, 'qbd', options.store, options.settings, { autoApprove: options.autoApprove, maxAttempts: options.maxAttempts }, DESKTOP_MIRROR_CODECS);
    this.companyFile = options.companyFile;
    this.pageSize = options.pageSize ?? 500;
    this.clock = options.clock ?? (() => new Date());
    this.progress = new ImportProgressStore(options.store, options.id);
    this.syncState = syncStateDoc(options.store, options.id);
    this.sessions = new DesktopSessions(options.store, options.id, this.outbox, this.progress);
  }

  /** The service keeps its sessions beside the company's, in the store. */
  get sessionHome(): SessionHome {
    return { collection: this.store.state, scope: this.id, shared: this.store.backendKind === 'postgres' };
  }

  // ------------------------------------------------------------------ the company interface

  /**
   * Start-up: jobs left `sent` by the previous process become uncertain (looked up before any re-add),
   * and the status says whether the first full import of items and customers has completed. On a store
   * shared with other instances, not while a Web Connector session is in the store: its in-flight job
   * may be answered on another instance (the session's end, its expiry or the next session recovers it).
   */
  async start(): Promise<void> {
    if (!this.sessionHome.shared || !(await this.sessions.any())) await this.outbox.recoverSent();
    const sync = await this.syncState.load();
    if (isConnected(sync)) this.setStatus({ state: 'connected' });
    else if ((await this.openResyncJobs()).length > 0) this.setStatus({ state: 'connecting', progress: 'waiting for the Web Connector' });
  }

  /**
   * Queues (auto-approved) import jobs of items, customers, terms and accounts for the next Web Connector
   * run: a full import (from 1970-01-01) the first time or with `{full: true}`, else from the last
   * modification seen minus a small overlap. A list with a Re-sync still pending is not queued again.
   */
  async resync(options: { full?: boolean } = {}): Promise<void> {
    const sync = await this.syncState.load();
    const open = await this.openResyncJobs();
    const now = this.clock();
    const to = new Date(now.getTime() + 86_400_000).toISOString().slice(0, 10);
    for (const entity of RESYNC_ENTITIES) {
      const kind = `import.${entity}` as DesktopImportKind;
      if (open.some((j) => j.kind === kind)) continue;
      const last = sync.last[entity];
      const full = options.full === true || sync.full[entity] !== true || last === undefined;
      const from = full ? FULL_FROM : incrementalFrom(last);
      const key = `${RESYNC_PREFIX}${entity}:${full ? 'full' : 'since'}:${now.toISOString()}`;
      const payload: ImportPayload = { from, to, pageSize: this.pageSize };
      const { job } = await this.outbox.enqueue({ key, kind, rank: RANK[kind], payload, summary: `Re-sync ${entity}${full ? ' (full)' : ` since ${from}`}` });
      if (job.state === 'queued') await this.outbox.approve([key]);
    }
    if (!isConnected(sync)) this.setStatus({ state: 'connecting', progress: 'waiting for the Web Connector' });
  }

  /** The write creating a missing item (ItemNonInventoryAdd) or customer (CustomerAdd) for an app record. */
  newRecord(kind: 'item' | 'customer', record: Record<string, unknown>): WritePayload {
    return kind === 'item' ? newItemPayload(record, this.settings) : newCustomerPayload(record);
  }

  /** Nothing to do: QuickBooks Desktop work waits for the Web Connector's next run. */
  kick(): void {
    // Desktop is deferred: the Web Connector polls on its own schedule.
  }

  /** Stops taking up work. Its sessions stay in the store (another instance may carry them on; the service ends them otherwise). */
  async close(): Promise<void> {
    this.closed = true;
    this.stopStoreEvents();
  }

  // ------------------------------------------------------------------ QbwcWorkSource

  /** Approved jobs whose dependencies are complete (writes and unfinished imports alike). */
  async hasWork(): Promise<boolean> {
    if (this.closed) return false;
    return (await this.outbox.ready(1)).length > 0;
  }

  async beginSession(ticket: string): Promise<void> {
    // One session at a time per company (the service answers "busy" otherwise): anything still `sent`
    // belongs to a session that never ended properly.
    await this.outbox.recoverSent();
    await this.sessions.begin(ticket);
  }

  async nextRequest(ticket: string, context: SendRequestContext): Promise<string | null> {
    const s = await this.session(ticket);
    try {
      return await this.nextIn(s, context);
    } finally {
      await this.sessions.save(s);
    }
  }

  private async nextIn(s: Session, context: SendRequestContext): Promise<string | null> {
    if (context.qbXMLMajorVersion > 0) s.qbxmlVersion = `${Math.min(context.qbXMLMajorVersion, 13)}.0`;
    for (;;) {
      if (s.stopped || this.closed) return null;
      const followUp = s.next;
      s.next = undefined;
      const step = followUp ?? (await this.pickStep(s));
      if (!step) return null;
      if (followUp && step.kind !== 'import') {
        // Read the job again: an admin may have skipped it, or its source changed, since its last request.
        const fresh = await this.outbox.get(step.job.key);
        if (!fresh || (fresh.state !== 'approved' && fresh.state !== 'sent')) continue;
        step.job = fresh;
      }
      const requestID = String(++s.seq);
      let xml: string;
      try {
        xml = await this.buildStep(step, requestID, s);
      } catch (err) {
        await this.failJob(s, step.job, { code: 'invalid-request', message: `Could not build the qbXML request: ${messageOf(err)}` }, {});
        continue;
      }
      if (step.kind === 'write' || (step.kind === 'import' && step.job.state !== 'sent')) {
        // Awaited before the request leaves; a lost claim (another instance sends it) skips the job.
        const claimed = await this.outbox.markSent(step.job, { session: s.ticket });
        if (!claimed) continue;
        step.job = claimed;
        if (step.kind === 'write') s.sent++;
      }
      s.inflight = { ...step, requestID };
      return xml;
    }
  }

  async handleResponse(ticket: string, response: ReceivedResponse): Promise<{ percent: number }> {
    const s = await this.session(ticket);
    try {
      return await this.responseIn(s, response);
    } finally {
      await this.sessions.save(s);
    }
  }

  private async responseIn(s: Session, response: ReceivedResponse): Promise<{ percent: number }> {
    const f = s.inflight;
    s.inflight = undefined;
    if (!f) {
      s.lastError = 'A response arrived without a request.';
      return { percent: -1 };
    }
    if (response.hresult) {
      await this.onHresult(s, f, response);
      return { percent: s.stopped ? -1 : await this.percent(s) };
    }
    let msg: QbxmlResponseMessage | undefined;
    let single = false;
    try {
      const messages = parseQbxml(response.xml).messages;
      msg = messages.find((m) => m.requestID === f.requestID) ?? messages[0];
      single = messages.length === 1;
    } catch (err) {
      s.lastError = `Unreadable response to ${f.job.summary}: ${messageOf(err)}`;
    }
    if (!msg) {
      s.lastError ||= `QuickBooks returned no answer for ${f.job.summary}.`;
      await this.failJob(s, f.job, { code: 'no-response', message: s.lastError }, { retryable: true, uncertain: f.kind === 'write' || f.job.uncertain });
      return { percent: await this.percent(s) };
    }
    switch (f.kind) {
      case 'write':
        await this.onWrite(s, f, msg);
        break;
      case 'lookup':
        await this.onLookup(s, f, msg);
        break;
      case 'nameCheck':
        await this.onNameCheck(s, f, msg);
        break;
      case 'reread':
        await this.onReread(s, f, msg);
        break;
      case 'import':
        // A one-message page is kept in the mirror as QuickBooks sent it (read back by the qbxml codec).
        await this.onImport(s, f, msg, single ? response.xml : undefined);
        break;
    }
    return { percent: await this.percent(s) };
  }

  /** QuickBooks could not be opened: nothing was sent in this session; the work waits for the next run. */
  async connectionError(ticket: string, hresult: string, message: string): Promise<void> {
    const s = await this.sessions.load(ticket);
    if (!s) return;
    s.lastError = `QuickBooks could not be opened (${hresult || 'no hresult'}): ${message || 'no message'}`;
    s.stopped = true;
    await this.sessions.save(s);
  }

  /**
   * Ends a session. Whatever is still `sent` (its answer never came: a crash, an expiry) goes back to
   * `approved` as uncertain, to be looked up first next time; an import resumes from its watermark.
   * Returns a short summary such as "3 sent, 2 complete, 1 error".
   */
  async endSession(ticket: string, reason: SessionEndReason): Promise<string> {
    const s = await this.sessions.end(ticket);
    const left = await this.outbox.recoverSent({ session: ticket });
    let summary = s ? this.summary(s) : 'no session';
    if (left > 0) summary += `, ${left} unanswered (resumed next run)`;
    const event: SessionSummary = { ticket, reason, summary };
    this.emit('session', event);
    return summary;
  }

  async lastError(ticket: string): Promise<string> {
    return (await this.sessions.peek(ticket))?.lastError ?? '';
  }

  // ------------------------------------------------------------------ choosing and building requests

  private async session(ticket: string): Promise<Session> {
    const s = await this.sessions.load(ticket);
    if (!s) throw new Error(`no Desktop session for this ticket`);
    return s;
  }

  /** The next job's first request, in dependency order; each job at most once per session. */
  private async pickStep(s: Session): Promise<Step | undefined> {
    for (;;) {
      const job = (await this.outbox.ready()).find((j) => !s.tried.has(j.key));
      if (!job) return undefined;
      s.tried.add(job.key);
      if (isImportKind(job.kind)) {
        try {
          const progress = await this.progress.load(job);
          if (progress.max !== undefined || progress.count > 0) progress.restarts++;
          const page = firstPage(job, progress, this.pageSize);
          progress.startedFrom = page.from;
          await this.progress.save(progress);
          return { kind: 'import', job, page, progress };
        } catch (err) {
          await this.failJob(s, job, { code: 'invalid-import', message: messageOf(err) }, {});
          continue;
        }
      }
      if (!WRITE_ENTITY[job.kind]) {
        await this.failJob(s, job, { code: 'unknown-kind', message: `QuickBooks Desktop cannot run jobs of kind "${job.kind}"` }, {});
        continue;
      }
      const previous = job.result as WriteResult | undefined;
      if (job.kind === 'invoice.upsert' && previous?.qbId) {
        if (job.uncertain || !previous.version) return { kind: 'reread', job };
        return { kind: 'write', job, edit: { TxnID: previous.qbId, EditSequence: previous.version } };
      }
      return { kind: job.uncertain ? 'lookup' : 'write', job };
    }
  }

  private async buildStep(step: Step, requestID: string, s: Session): Promise<string> {
    const build = s.qbxmlVersion ? { version: s.qbxmlVersion } : {};
    switch (step.kind) {
      case 'lookup':
        return lookupRequest(step.job, requestID, build);
      case 'nameCheck':
        return nameCheckRequest(step.job, step.stage ?? 'own', requestID, build);
      case 'reread':
        return rereadRequest((step.job.result as unknown as WriteResult).qbId, requestID, build);
      case 'import':
        return pageRequest(step.page as PageQuery, requestID, build);
      case 'write':
        return writeRequest(step.job, await dependencyResults(this.outbox, step.job), requestID, { edit: step.edit, incomeAccountId: this.settings.incomeAccountId, build });
    }
  }

  // ------------------------------------------------------------------ answers

  private async onWrite(s: Session, f: InFlight, msg: QbxmlResponseMessage): Promise<void> {
    const st = messageStatus(msg);
    if (st.kind !== 'error') {
      const rec = msg.records[0];
      if (!rec) {
        const message = `QuickBooks answered ${st.code} without the record for ${f.job.summary}`;
        await this.failJob(s, f.job, { code: 'no-record', statusCode: st.code, message }, { retryable: true, uncertain: true });
        return;
      }
      const result = writeResultOf(rec);
      if (f.edit) result.updated = true;
      const note = st.kind === 'warning' ? `QuickBooks warning ${st.code}: ${st.message}` : undefined;
      await this.completeWrite(s, f.job, rec, result, note);
      return;
    }
    if (st.code === 3200 && f.edit && !f.retried) {
      s.next = { kind: 'reread', job: f.job, retried: true }; // stale EditSequence: read it again, retry once
      return;
    }
    const error: JobError = { code: st.reason, statusCode: st.code, message: st.message || `QuickBooks status ${st.code}` };
    if (st.code === 3100 && (f.job.kind === 'customer.add' || f.job.kind === 'item.add')) {
      s.next = { kind: 'nameCheck', job: f.job, refusal: error, stage: 'own' }; // who holds the name decides
      return;
    }
    await this.failJob(s, f.job, error, { retryable: st.retryable, uncertain: false });
  }

  /**
   * The name of a customer or item add is taken (3100): the record of that name (FullName query,
   * active or not). An active customer no other job owns is referenced (a BluBilling customer:
   * `matchedExisting`); otherwise the job is an error naming the holder and the action (no customer or
   * item of that name: VendorQuery, EmployeeQuery, OtherNameQuery in turn tell who holds it), and a BlueTrace record gets
   * its Duplicate Name issue.
   */
  private async onNameCheck(s: Session, f: InFlight, msg: QbxmlResponseMessage): Promise<void> {
    const st = messageStatus(msg);
    const refusal = f.refusal ?? { code: 'nameTaken', statusCode: 3100, message: 'The name is already in use.' };
    const stage = f.stage ?? 'own';
    const rec = st.kind === 'error' ? undefined : msg.records[0];
    const next = NEXT_NAME_STAGE[stage];
    if (!rec && st.kind !== 'error' && next && f.job.kind === 'customer.add') {
      s.next = { kind: 'nameCheck', job: f.job, refusal, stage: next }; // not there: ask the next list sharing the name space
      return;
    }
    const list = f.job.kind === 'item.add' ? 'item' : 'customer';
    const id = rec ? textOf(rec.data, 'ListID') : '';
    const holder: NameHolder | undefined = !rec
      ? undefined
      : stage === 'own' ? { kind: list, id, active: textOf(rec.data, 'IsActive') !== 'false' }
      : stage === 'other' ? { kind: 'other' }
      : { kind: stage, id };
    let owner: Job | null = null;
    if (rec && referencesHolder(f.job, holder)) {
      owner = await this.outbox.claimedBy(f.job.kind, holder.id, f.job.key);
      if (!owner) {
        s.found++;
        await this.completeWrite(s, f.job, rec, { ...writeResultOf(rec), matchedExisting: true }, `QuickBooks already had an active customer named '${nameOf(f.job)}': it is used (and remembered as the match), not added again`);
        return;
      }
    }
    await this.nameTaken(f.job, holder && 'id' in holder ? holder.id : undefined);
    await this.failJob(s, f.job, { code: 'name-taken', statusCode: refusal.statusCode, message: `${nameTakenAction(f.job, holder, owner ?? undefined)} (QuickBooks ${refusal.statusCode}: ${refusal.message})` }, {});
  }

  private async onLookup(s: Session, f: InFlight, msg: QbxmlResponseMessage): Promise<void> {
    const st = messageStatus(msg);
    if (st.kind === 'error') {
      await this.failJob(s, f.job, { code: st.reason, statusCode: st.code, message: `Look-up failed: ${st.message}` }, { retryable: true, uncertain: true });
      return;
    }
    const rec = await this.pickFound(f.job, msg.records);
    if (rec) {
      s.found++;
      await this.completeWrite(s, f.job, rec, { ...writeResultOf(rec), foundExisting: true }, 'found in QuickBooks by its look-up (its tag); not added again');
      return;
    }
    s.next = { kind: 'write', job: f.job }; // not in QuickBooks (status 1 or 500), or only look-alikes: add it now
  }

  /**
   * The looked-up record that is this job's own: it carries the job's tag (customer Notes, transaction
   * Memo; an item by its unique Name), a payment is applied to the job's invoice(s), and no other job owns
   * it. A look-alike (same name, customer, amount, date or reference) is never claimed.
   */
  private async pickFound(job: Job, records: QbxmlRecord[]): Promise<QbxmlRecord | undefined> {
    const list = job.kind === 'customer.add' || job.kind === 'item.add';
    let applied: string[] = [];
    if (job.kind === 'payment.add') {
      const fields = resolveJobRefs((job.payload as WritePayload).fields, await dependencyResults(this.outbox, job)) as Record<string, unknown>;
      applied = asList(fields.AppliedToTxnAdd).map((a) => String((a as Record<string, unknown>)?.TxnID ?? '')).filter(Boolean);
    }
    for (const r of records) {
      if (job.kind === 'customer.add' && !hasJobTag(textOf(r.data, 'Notes'), job.key)) continue;
      // Transactions: this job's tag (records written before tags named the job key carry `[qbsync <source id>]`).
      const memo = textOf(r.data, 'Memo');
      if (!list && !hasJobTag(memo, job.key) && !memo.includes(`[qbsync ${job.sourceId}]`)) continue;
      if (applied.length > 0) {
        const linked = asList(r.data.AppliedToTxnRet).map((a) => (a && typeof a === 'object' && !Array.isArray(a) ? textOf(a as never, 'TxnID') : ''));
        if (!applied.every((id) => linked.includes(id))) continue;
      }
      const id = textOf(r.data, list ? 'ListID' : 'TxnID');
      if (await this.outbox.claimedBy(job.kind, id, job.key)) continue;
      return r;
    }
    return undefined;
  }

  private async onReread(s: Session, f: InFlight, msg: QbxmlResponseMessage): Promise<void> {
    const st = messageStatus(msg);
    const txnId = (f.job.result as unknown as WriteResult).qbId;
    if (st.kind === 'error') {
      await this.failJob(s, f.job, { code: st.reason, statusCode: st.code, message: `Re-reading invoice ${txnId} failed: ${st.message}` }, { retryable: true });
      return;
    }
    const rec = msg.records[0];
    const editSequence = rec ? textOf(rec.data, 'EditSequence') : '';
    if (!rec || !editSequence) {
      const message = `Invoice ${txnId} is no longer in QuickBooks (${st.code}: ${st.message}); it cannot be updated.`;
      await this.failJob(s, f.job, { code: 'objectNotFound', statusCode: st.code, message }, {});
      return;
    }
    s.next = { kind: 'write', job: f.job, edit: { TxnID: txnId, EditSequence: editSequence }, retried: f.retried };
  }

  private async onImport(s: Session, f: InFlight, msg: QbxmlResponseMessage, pageXml?: string): Promise<void> {
    const st = messageStatus(msg);
    const job = f.job;
    const page = f.page as PageQuery;
    const progress = f.progress as ImportProgress;
    if (st.code === 3391) {
      // The iterator is gone (an old session's, or expired): resume from the watermark next session.
      await this.progress.save(progress);
      const resumeAt = progress.ordered && progress.max ? progress.max : page.from;
      await this.failJob(s, job, { code: st.reason, statusCode: st.code, message: `${st.message} The import resumes from ${resumeAt} in the next session.` }, { retryable: true });
      return;
    }
    if (st.kind === 'error') {
      await this.failJob(s, job, { code: st.reason, statusCode: st.code, message: st.message || `QuickBooks status ${st.code}` }, { retryable: st.retryable });
      return;
    }
    const entity = entityOfImport(job.kind as DesktopImportKind);
    const keyField = page.dateField === 'txn' ? 'TxnDate' : 'TimeModified';
    const idField = entity === 'invoices' ? 'TxnID' : 'ListID';
    // Every record of the page goes to the mirror (what the page's qbXML reads back as); the ones not
    // received before a restart are emitted.
    const pairs = msg.records.map((r) => ({ r, m: toMirrorRecord(entity, r) }));
    const fresh = acceptPage(progress, pairs, (p) => textOf(p.r.data, idField), (p) => textOf(p.r.data, keyField));
    const records = fresh.map((p) => p.m).filter((r): r is MirrorRecord => r !== undefined);
    const all = pairs.map((p) => p.m).filter((r): r is MirrorRecord => r !== undefined);
    const remaining = isPaged(page.kind) && msg.iteratorID && (msg.iteratorRemainingCount ?? 0) > 0 ? (msg.iteratorRemainingCount as number) : 0;
    const total = msg.iteratorRemainingCount !== undefined ? progress.count + remaining : undefined;
    const done = remaining === 0;
    // The list counts as synced (its age, cursor and size) when the import's last page is in.
    if (all.length > 0 || done) {
      await this.mirror.upsert(entity, all, done ? progress.max : undefined, pageXml !== undefined ? { format: 'qbxml', text: pageXml } : undefined);
    }
    await this.progress.save(progress);
    s.imported += records.length;
    s.importFraction = done || !total ? 0 : progress.count / total;
    const event: ImportedPage = { job, entity, records, done, count: progress.count, ...(total !== undefined ? { total } : {}) };
    this.emit('imported', event);
    this.showImportProgress(job, entity, progress.count, total);
    if (!done) {
      s.next = { kind: 'import', job, progress, page: { ...page, iteratorID: msg.iteratorID } };
      return;
    }
    await this.completeImport(s, job, progress, entity);
  }

  /** An hresult instead of a response: the request processor failed. A parse error means QuickBooks ran nothing. */
  private async onHresult(s: Session, f: InFlight, response: ReceivedResponse): Promise<void> {
    const parseError = response.hresult.toLowerCase() === PARSE_ERROR_HRESULT;
    const message = `${response.hresult}: ${response.message || 'the QuickBooks request processor failed'}`;
    const uncertain = f.kind === 'write' ? !parseError || f.job.uncertain : f.job.uncertain;
    await this.failJob(s, f.job, { code: 'hresult', message }, { retryable: true, uncertain });
    s.lastError = `${f.job.summary}: ${message}`;
    if (!parseError) s.stopped = true; // QuickBooks itself is in trouble: stop this session
  }

  // ------------------------------------------------------------------ job bookkeeping

  private async completeWrite(s: Session, job: Job, rec: QbxmlRecord, result: WriteResult, note?: string): Promise<void> {
    const entity = WRITE_ENTITY[job.kind];
    const mirrored = entity ? toMirrorRecord(entity, rec) : undefined;
    if (entity && mirrored) await this.mirror.upsert(entity, [mirrored]);
    const done = await this.outbox.complete(job, result as unknown as Record<string, unknown>, note);
    s.complete++;
    s.done++;
    await this.settleMatch(job, result.qbId);
    this.jobFinished(done);
  }

  private async completeImport(s: Session, job: Job, progress: ImportProgress, entity: DesktopEntity): Promise<void> {
    const payload = job.payload as ImportPayload;
    const result: Record<string, unknown> = { count: progress.count, from: payload.from, to: payload.to };
    if (progress.max !== undefined) result.watermark = progress.max;
    const done = await this.outbox.complete(job, result);
    await this.progress.remove(job);
    s.complete++;
    s.done++;
    s.importFraction = 0;
    if (entity !== 'invoices' && entity !== 'payments') {
      if (job.key.startsWith(RESYNC_PREFIX)) await this.recordResync(job, entity, progress);
      this.emit('synced', { entities: [entity] });
    }
    this.jobFinished(done);
  }

  private async recordResync(job: Job, entity: MirrorEntity, progress: ImportProgress): Promise<void> {
    const sync = await this.syncState.load();
    const before = sync.last[entity];
    if (progress.max !== undefined && (before === undefined || Date.parse(progress.max) > Date.parse(before))) sync.last[entity] = progress.max;
    if (job.key.startsWith(`${RESYNC_PREFIX}${entity}:full:`)) sync.full[entity] = true;
    await this.syncState.save(sync);
    if (isConnected(sync) && this.status().state !== 'connected') this.setStatus({ state: 'connected' });
  }

  /** Fails a job (retryable ones go back to `approved` until the attempts run out) and counts it. */
  private async failJob(s: Session, job: Job, error: JobError, options: { retryable?: boolean; uncertain?: boolean }): Promise<void> {
    const failed = await this.outbox.fail(job, error, options);
    s.done++;
    s.lastError = `${job.summary}: ${error.statusCode !== undefined ? `${error.statusCode} ` : ''}${error.message}`;
    if (failed.state === 'error') {
      s.errors++;
      this.jobFinished(failed);
    }
  }

  /** BlueTrace's "Connecting" progress while the first full import runs, e.g. "customers 1,500 / 50,000". */
  private showImportProgress(job: Job, entity: DesktopEntity, received: number, total: number | undefined): void {
    if (!job.key.startsWith(RESYNC_PREFIX) || this.status().state === 'connected') return;
    if (entity !== 'items' && entity !== 'customers') return;
    this.setStatus({ state: 'connecting', progress: `${entity} ${count(received)}${total !== undefined ? ` / ${count(total)}` : ''}` });
  }

  private async openResyncJobs(): Promise<Job[]> {
    const open = await this.outbox.list({ state: ['queued', 'approved', 'sent'] });
    return open.filter((j) => j.key.startsWith(RESYNC_PREFIX));
  }

  /**
   * Real progress: jobs finished in this session against jobs finished plus jobs still to do (the
   * current import counting by its share received); 100 only when nothing is left to send.
   */
  private async percent(s: Session): Promise<number> {
    const waiting = (await this.outbox.ready()).filter((j) => !s.tried.has(j.key)).length;
    const remaining = waiting + (s.next ? 1 : 0);
    if (remaining === 0) return 100;
    const share = s.next?.kind === 'import' ? s.importFraction : 0;
    return Math.max(0, Math.min(99, Math.floor((100 * (s.done + share)) / (s.done + remaining))));
  }

  private summary(s: SessionCounts): string {
    const parts = [`${s.sent} sent`, `${s.complete} complete`, `${s.errors} error${s.errors === 1 ? '' : 's'}`];
    if (s.found > 0) parts.push(`${s.found} found already in QuickBooks`);
    if (s.imported > 0) parts.push(`${count(s.imported)} records imported`);
    return parts.join(', ');
  }
}
