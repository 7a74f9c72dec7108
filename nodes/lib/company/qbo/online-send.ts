/**
 * How the Online company sends one group of ready jobs of one kind: list adds and invoice creates in
 * batches (≤ 30 per request, through `QboClient.createMany`), invoice updates (re-read for the current
 * SyncToken, then a sparse update), payments (single creates with their requestid), and imports.
 *
 * Exactly once: each job is marked `sent` (awaited) before its request or batch leaves; that mark is the
 * claim among instances sharing the store (Outbox.markSent), and a job whose claim is lost (another
 * instance sends it) is left out of the request and reported in `GroupResult.lost`. A job that is
 * `uncertain` (its earlier attempt's outcome is unknown) is first looked up in QuickBooks by the same
 * natural key the client uses after its own unknown outcomes (Item Name, Customer DisplayName, Invoice
 * DocNumber; a payment by customer, reference and amount); when found, the job completes with
 * `foundExisting` instead of adding a second record.
 */
import { messageOf } from '../../errors';
import type { Job, JobError, Outbox, WritePayload, WriteResult } from '../../jobs';
import { resolveJobRefs } from '../../jobs';
import type { Mirror } from '../../mirror';
import { dependencyResults } from '../base';
import type { Condition, CreateManyResult, QboClient, QboEntity, QboRecord } from './client';
import { naturalKeyOf, ownsRecord, TAG_FIELD } from './client';
import { withJobTag } from '../../jobs/tag';
import { nameOf, nameTakenAction, referencesHolder, type NameHolder } from '../name-taken';
import { QboError } from './errors';
import { isImportKind, runImport, type OnlineImportedPage } from './online-import';
import { mirrorEntityOf, text, toMirrorRecords, writeResultOf } from './online-records';

/** What the sender needs from its company. */
export interface SendHost {
  readonly client: QboClient;
  readonly outbox: Outbox;
  readonly mirror: Mirror;
  /** An item.add or customer.add created its record: settle the app record's match. */
  matched(job: Job, qbId: string): Promise<void>;
  /** QuickBooks refused an item.add or customer.add as a name already taken: the duplicate-name issue. */
  nameTaken(job: Job, existingId?: string): Promise<void>;
  /** A job reached complete or error. */
  finished(job: Job): void;
  /** Intuit refused the refresh token: stop sending until a person reconnects. */
  reconnectNeeded(error: QboError): void;
  imported(page: OnlineImportedPage): void;
  /** A list import completed (the mirror has it). */
  listImported(entity: string): void;
  /** The company is closing: start nothing new. */
  closing(): boolean;
}

export interface SendOptions {
  /** Operations per batch request (≤ 30). */
  batchSize: number;
  /** Batches (or single requests) prepared at once; the client's throttle keeps ≤ 10 in flight. */
  concurrency: number;
  /**
   * First wait (ms) before a job the client gave up on (throttled, server errors, network) is tried
   * again; doubled per attempt. Until then the job shows as Error with the reason.
   */
  retryBackoffMs: number;
}

export interface GroupResult {
  /** Some job failed in a way worth retrying later (throttled, server error, network). */
  retryLater: boolean;
  /** Sending must stop (reconnect needed). */
  stop: boolean;
  /** Jobs held back to fill a later batch. */
  deferred: number;
  /** Keys of jobs whose claim was lost (another instance sends them, or they changed since they were read). */
  lost: string[];
}

const ENTITY_OF_KIND: Readonly<Record<string, QboEntity>> = {
  'customer.add': 'Customer',
  'item.add': 'Item',
  'invoice.upsert': 'Invoice',
  'payment.add': 'Payment',
};

const DUPLICATE_NAME = '6240';
const STALE = '5010';

interface Prepared {
  job: Job;
  entity: QboEntity;
  record: QboRecord;
  /** The natural key value (as the client looks it up), when the record has one. */
  key?: string;
  /** What the job's history says about how the record was built (e.g. a payment method QuickBooks lacks). */
  notes?: string[];
}


function isReconnect(err: unknown): err is QboError {
  return err instanceof QboError && (err.name === 'ReconnectNeededError' || err.code === 'RECONNECT_NEEDED');
}

/** The invoice Ids a payment is applied to (its lines' LinkedTxn of type Invoice). */
function linkedInvoices(payment: QboRecord): string[] {
  const out: string[] = [];
  for (const line of Array.isArray(payment.Line) ? payment.Line : []) {
    for (const l of Array.isArray(line?.LinkedTxn) ? line.LinkedTxn : []) if (l?.TxnType === 'Invoice' && l.TxnId !== undefined) out.push(text(l.TxnId));
  }
  return out;
}

function chunks<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** Runs `work` over `items` with at most `limit` running at once. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  // Every worker ends before an error is passed on: nothing is still in flight when the caller reacts to it.
  const settled = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

export class OnlineSender {
  private stopped = false;
  private retry = false;
  private lost: string[] = [];
  /** Keys of the jobs this send claimed (marked sent), for the put-back when it stops on an error. */
  private claimed: string[] = [];
  /** Payment method Ids by lower-cased name, for one send ("" when QuickBooks has none of that name). */
  private methods = new Map<string, string>();

  constructor(
    private readonly host: SendHost,
    private readonly options: SendOptions,
  ) {}

  /**
   * Sends one group of ready jobs of one kind. A last batch short of `batchSize` is held back for a
   * later pass when `holdBack` says so for its jobs (more jobs are arriving to fill it).
   */
  async send(kind: string, jobs: Job[], holdBack?: (jobs: Job[]) => boolean): Promise<GroupResult> {
    this.stopped = false;
    this.retry = false;
    this.lost = [];
    this.claimed = [];
    this.methods = new Map();
    try {
      return await this.sendKind(kind, jobs, holdBack);
    } catch (err) {
      // Stopped on an error (the store, a bug) with jobs claimed: those not settled go back as uncertain
      // at once, looked up before any re-send, instead of staying `sent` while this instance lives.
      await this.host.outbox.recoverSent({ keys: this.claimed, reason: `sending stopped: ${messageOf(err)}` }).catch(() => undefined);
      throw err;
    }
  }

  private async sendKind(kind: string, jobs: Job[], holdBack?: (jobs: Job[]) => boolean): Promise<GroupResult> {
    let deferred = 0;
    if (isImportKind(kind)) {
      for (const job of jobs) {
        if (this.stopped || this.host.closing()) break;
        await this.importJob(job);
      }
    } else if (!ENTITY_OF_KIND[kind]) {
      for (const job of jobs) await this.error(job, { code: 'unknown-kind', message: `QuickBooks Online cannot run jobs of kind "${kind}"` });
    } else {
      const updates = kind === 'invoice.upsert' ? jobs.filter((j) => !!(j.result as WriteResult | undefined)?.qbId) : [];
      const creates = jobs.filter((j) => !updates.includes(j));
      deferred = await this.creates(kind, creates, holdBack);
      await pool(updates, this.options.concurrency, (job) => this.update(job));
    }
    return { retryLater: this.retry, stop: this.stopped, deferred, lost: this.lost };
  }

  // ------------------------------------------------------------------ creates

  private async creates(kind: string, jobs: Job[], holdBack?: (jobs: Job[]) => boolean): Promise<number> {
    const prepared: Prepared[] = [];
    for (const job of jobs) {
      const p = await this.prepare(kind, job);
      if (p) prepared.push(p);
    }
    const fresh: Prepared[] = [];
    const uncertain = prepared.filter((p) => p.job.uncertain);
    fresh.push(...prepared.filter((p) => !p.job.uncertain));
    if (uncertain.length > 0) fresh.push(...(await this.lookUp(uncertain)));
    if (this.stopped) return 0;
    const groups = chunks(fresh, this.options.batchSize);
    let deferred = 0;
    const last = groups[groups.length - 1];
    if (holdBack && last && last.length < this.options.batchSize && holdBack(last.map((p) => p.job))) {
      deferred = (groups.pop() as Prepared[]).length;
    }
    await pool(groups, this.options.concurrency, (group) => this.createGroup(group));
    return deferred;
  }

  /** The job's QBO record with its job references resolved; undefined (job failed) when it cannot be built. */
  private async prepare(kind: string, job: Job): Promise<Prepared | undefined> {
    const payload = job.payload as WritePayload | undefined;
    const entity = ENTITY_OF_KIND[kind];
    if (!payload || typeof payload.fields !== 'object' || payload.fields === null || payload.entity !== entity) {
      await this.error(job, { code: 'invalid-request', message: `job "${job.key}" needs a payload {entity: "${entity}", fields, lookup}` });
      return undefined;
    }
    try {
      const record = resolveJobRefs(payload.fields, await dependencyResults(this.host.outbox, job)) as QboRecord;
      const tag = TAG_FIELD[entity];
      if (tag) record[tag.field] = withJobTag(record[tag.field], job.key, tag.max); // the look-up finds this job's own record
      const key = naturalKeyOf(entity, record);
      const notes = entity === 'Payment' ? await this.paymentMethod(record) : [];
      return { job, entity, record, ...(key ? { key } : {}), ...(notes.length ? { notes } : {}) };
    } catch (err) {
      if (err instanceof QboError) await this.failed(job, err, { sent: false }); // a look-up (payment method) failed
      else await this.error(job, { code: 'invalid-reference', message: messageOf(err) });
      return undefined;
    }
  }

  /**
   * A payment's method by name (`PaymentMethodRef: {name}`) becomes the reference of QuickBooks' payment
   * method of that name; a name QuickBooks does not have is left out and said in the job's history.
   */
  private async paymentMethod(record: QboRecord): Promise<string[]> {
    const ref = record.PaymentMethodRef;
    if (!ref || typeof ref !== 'object' || ref.value !== undefined) return [];
    const name = text(ref.name).trim();
    delete record.PaymentMethodRef;
    if (!name) return [];
    let id = this.methods.get(name.toLowerCase());
    if (id === undefined) {
      const hit = (await this.host.client.findByNaturalKeys('PaymentMethod', [name])).get(name.toLowerCase());
      id = hit && hit.Active !== false ? text(hit.Id) : '';
      this.methods.set(name.toLowerCase(), id);
    }
    if (id) {
      record.PaymentMethodRef = { value: id, name };
      return [];
    }
    return [`QuickBooks has no active payment method named '${name}': the payment was recorded without one (add it in QuickBooks to have it next time)`];
  }

  /**
   * Uncertain jobs: the job's own record, when QuickBooks has it, completes the job as found; the rest is
   * returned to create. A record is the job's own only when it carries the job's tag (Invoice and Payment
   * PrivateNote, Customer Notes; an Item by its unique Name), a payment is applied to the job's invoice,
   * and no other job already owns it: a look-alike (same customer, amount, date, reference) is never claimed.
   */
  private async lookUp(list: Prepared[]): Promise<Prepared[]> {
    const missing: Prepared[] = [];
    const entity = list[0].entity;
    try {
      if (entity === 'Payment') {
        for (const p of list) {
          const hit = await this.findPayment(p);
          if (hit) await this.succeeded(p.job, entity, hit, { foundExisting: true }, 'found in QuickBooks by its look-up (its tag); not added again');
          else missing.push(p);
        }
        return missing;
      }
      const keyed = list.filter((p) => p.key);
      missing.push(...list.filter((p) => !p.key)); // no natural key: the deterministic requestid replays
      const found = await this.host.client.findByNaturalKeys(entity, keyed.map((p) => p.key as string));
      for (const p of keyed) {
        const hit = found.get((p.key as string).toLowerCase());
        if (hit && (await this.owns(p, hit))) await this.succeeded(p.job, entity, hit, { foundExisting: true }, 'found in QuickBooks by its look-up (its tag); not added again');
        else missing.push(p); // not there, or another record with the same key: QuickBooks decides (6140 / 6240)
      }
      return missing;
    } catch (err) {
      for (const p of list) await this.failed(p.job, err, { sent: false });
      return [];
    }
  }

  /** The record carries the job's tag and no other job owns it. */
  private async owns(p: Prepared, hit: QboRecord): Promise<boolean> {
    if (!ownsRecord(p.entity, p.record, hit)) return false;
    return !(await this.host.outbox.claimedBy(p.job.kind, text(hit.Id), p.job.key));
  }

  /**
   * The job's own payment: same customer (and date), the job's tag in PrivateNote, applied to the same
   * invoice(s), and not owned by another job. PrivateNote is not queryable (qbo.md §2.3): the customer's
   * payments of that date are read and compared here.
   */
  private async findPayment(p: Prepared): Promise<QboRecord | undefined> {
    const record = p.record;
    const customer = text(record.CustomerRef?.value);
    if (!customer) return undefined;
    const where: Condition[] = [{ field: 'CustomerRef', value: customer }];
    if (record.TxnDate) where.push({ field: 'TxnDate', value: text(record.TxnDate) });
    const rows = await this.host.client.queryAll('Payment', { where });
    const invoices = linkedInvoices(record);
    for (const r of rows) {
      if (!ownsRecord('Payment', record, r)) continue;
      const linked = linkedInvoices(r);
      if (!invoices.every((id) => linked.includes(id))) continue;
      if (await this.owns(p, r)) return r;
    }
    return undefined;
  }

  /** One batch (or, for records without a natural key, single creates with their requestid). */
  private async createGroup(group: Prepared[]): Promise<void> {
    if (this.stopped || this.host.closing()) return;
    const sent: Prepared[] = [];
    for (const p of group) {
      const job = await this.claim(p.job); // before the request leaves
      if (job) sent.push({ ...p, job });
    }
    if (sent.length === 0) return;
    let results: CreateManyResult[];
    try {
      results = await this.host.client.createMany(
        group[0].entity,
        sent.map((p) => ({ sourceKey: p.job.key, version: String(p.job.version), record: p.record })),
      );
    } catch (err) {
      // A look-up after an unknown outcome failed: what the batch did is not known.
      for (const p of sent) await this.failed(p.job, err, { sent: true, uncertain: true });
      return;
    }
    for (let i = 0; i < sent.length; i++) {
      const p = sent[i];
      const r = results[i];
      if (r?.ok) {
        const notes = [...(r.recovered ? ['outcome unknown; found in QuickBooks by its look-up, not added again'] : []), ...(p.notes ?? [])];
        await this.succeeded(p.job, p.entity, r.record, r.recovered ? { foundExisting: true } : {}, notes.length ? notes.join('; ') : undefined);
      } else {
        await this.failed(p.job, r ? r.error : new QboError({ code: 'MISSING', message: 'no answer for this record' }), { sent: true });
      }
    }
  }

  // ------------------------------------------------------------------ invoice updates

  /** A reopened invoice job: read the invoice's current SyncToken, then update it (once more after a stale 5010). */
  private async update(job: Job): Promise<void> {
    if (this.stopped || this.host.closing()) return;
    const p = await this.prepare('invoice.upsert', job);
    if (!p) return;
    const qbId = (job.result as unknown as WriteResult).qbId;
    const sent = await this.claim(job);
    if (!sent) return;
    try {
      for (let attempt = 1; ; attempt++) {
        const current = await this.host.client.get('Invoice', qbId);
        try {
          const r = await this.host.client.update('Invoice', { ...p.record, Id: current.Id, SyncToken: current.SyncToken }, { sparse: true, sourceKey: `${job.key}#${job.version}` });
          await this.succeeded(sent, 'Invoice', r.record, { updated: true });
          return;
        } catch (err) {
          if (err instanceof QboError && err.code === STALE && attempt < 2) continue;
          throw err;
        }
      }
    } catch (err) {
      await this.failed(sent, err, { sent: true });
    }
  }

  // ------------------------------------------------------------------ imports

  private async importJob(job: Job): Promise<void> {
    const sent = await this.claim(job);
    if (!sent) return;
    try {
      const count = await runImport(this.host.client, this.host.mirror, sent, (page) => this.host.imported(page));
      const payload = job.payload as { from: string; to: string };
      const done = await this.host.outbox.complete(sent, { count, from: payload.from, to: payload.to });
      const entity = job.kind.slice('import.'.length);
      if (entity !== 'invoices') this.host.listImported(entity);
      this.host.finished(done);
    } catch (err) {
      await this.failed(sent, err, { sent: false }); // a read: nothing to be uncertain about
    }
  }

  // ------------------------------------------------------------------ a name QuickBooks already has

  /**
   * 6240 on a customer or item add: who holds the name? An active customer no other job owns is
   * referenced (a BluBilling customer: the job completes with it, `matchedExisting`); otherwise the job is
   * an error whose message names the holder and the action (an inactive customer, a vendor, an employee…),
   * and a BlueTrace record gets its Duplicate Name issue.
   */
  private async nameTaken(job: Job, error: JobError, existingId?: string): Promise<void> {
    const entity = ENTITY_OF_KIND[job.kind];
    const name = nameOf(job);
    let holder: NameHolder | undefined;
    let record: QboRecord | undefined;
    try {
      record = name ? (await this.host.client.findByNaturalKeys(entity, [name])).get(name.toLowerCase()) : undefined;
      if (record) holder = { kind: entity === 'Item' ? 'item' : 'customer', id: text(record.Id), active: record.Active !== false };
      else if (entity === 'Customer' && name) {
        for (const other of ['Vendor', 'Employee'] as const) {
          const hit = (await this.host.client.findByNaturalKeys(other, [name])).get(name.toLowerCase());
          if (hit) {
            holder = { kind: other === 'Vendor' ? 'vendor' : 'employee', id: text(hit.Id) };
            break;
          }
        }
      }
    } catch {
      // The look-up failed: the refusal is reported without naming the holder.
    }
    let owner: Job | null = null;
    if (record && referencesHolder(job, holder)) {
      owner = await this.host.outbox.claimedBy(job.kind, holder.id, job.key);
      if (!owner) {
        await this.succeeded(job, entity, record, { matchedExisting: true }, `QuickBooks already had an active customer named '${name}': it is used (and remembered as the match), not added again`);
        return;
      }
    }
    await this.host.nameTaken(job, holder && 'id' in holder ? holder.id : existingId);
    await this.error(job, { code: 'name-taken', statusCode: error.statusCode, message: `${nameTakenAction(job, holder, owner ?? undefined)} (QuickBooks ${error.statusCode}: ${error.message})` });
  }

  // ------------------------------------------------------------------ outcomes

  /** Marks the job sent (the claim among instances); null, and the job counted as lost, when another got it. */
  private async claim(job: Job): Promise<Job | null> {
    const sent = await this.host.outbox.markSent(job);
    if (!sent) this.lost.push(job.key);
    else this.claimed.push(job.key);
    return sent;
  }

  private async succeeded(job: Job, entity: QboEntity, rec: QboRecord, extra: Partial<WriteResult>, note?: string): Promise<void> {
    const result: WriteResult = { ...writeResultOf(entity, rec), ...extra };
    const target = mirrorEntityOf(entity);
    if (target) await this.host.mirror.upsert(target, toMirrorRecords(target, [rec])); // matching sees it at once
    const done = await this.host.outbox.complete(job, result as unknown as Record<string, unknown>, note);
    await this.host.matched(job, result.qbId);
    this.host.finished(done);
  }

  /** A job that will not be sent again without an admin. */
  private async error(job: Job, error: JobError): Promise<void> {
    this.host.finished(await this.host.outbox.fail(job, error, {}));
  }

  /**
   * Sorts a failure: reconnect needed → the job stays approved and sending stops; throttling, server
   * errors and network failures → retried later (uncertain when the request may have been applied);
   * anything else (QuickBooks validation: 6240, 6070, 2500, 610, …) → an error with QuickBooks' code
   * and message. 6240 on an item or customer add also becomes the duplicate-name match issue.
   */
  private async failed(job: Job, err: unknown, o: { sent: boolean; uncertain?: boolean }): Promise<void> {
    if (isReconnect(err)) {
      this.stopped = true;
      if (job.state === 'sent') {
        const back = await this.host.outbox.fail(job, { code: err.code, message: err.message }, { retryable: true, uncertain: job.uncertain || o.uncertain === true });
        if (back.state === 'error') await this.host.outbox.approve([job.key]);
      }
      this.host.reconnectNeeded(err);
      return;
    }
    if (!(err instanceof QboError)) {
      await this.error(job, { code: 'invalid-request', message: messageOf(err) });
      return;
    }
    // QuickBooks' own code and words (the QboError message without its "QuickBooks <code>: " prefix).
    const error: JobError = { code: err.code, statusCode: err.code, message: err.message.replace(/^QuickBooks (?:\S+: )?/, '') };
    if (err.transient || o.uncertain) {
      // The client gave up: Error with the reason, retried by itself after a backoff; an unknown outcome is
      // looked up (by the job's tag) before anything is sent again, and never completes without its own record.
      const uncertain = job.uncertain || o.uncertain === true || (o.sent && err.unknownOutcome);
      if (uncertain) error.message += ' The outcome is unknown: QuickBooks is searched for this record (by its tag) before it is sent again.';
      const failed = await this.host.outbox.fail(job, error, { retryable: true, uncertain, backoffMs: this.options.retryBackoffMs });
      if (failed.state === 'error') this.host.finished(failed);
      if (failed.state !== 'error' || failed.retryAt) this.retry = true;
      return;
    }
    if (err.code === DUPLICATE_NAME && (job.kind === 'customer.add' || job.kind === 'item.add')) {
      await this.nameTaken(job, error, err.existingId);
      return;
    }
    await this.error(job, error);
  }
}
