import { EventEmitter } from 'node:events';
import { type Job, jobRefsIn, Outbox, type WritePayload, type WriteResult } from '../jobs';
import { ActivityLog } from '../log';
import { MatchBook, type MatchKind } from '../matching';
import { Mirror, type MirrorCodecs } from '../mirror';
import { companyTopic, type QuarantineReport, type Store, type StoreEvents, type StoreMessage } from '../store';
import { EDITION_RULES, type Company, type CompanyStatus, type Edition, type EditionRules, type GeneralSettings } from './types';

/**
 * What both editions share: the store-backed mirror, outbox, matches and logs of one company, its
 * status, and the events nodes listen to. The editions add how the mirror is loaded and how jobs are
 * sent.
 */
export abstract class BaseCompany extends EventEmitter implements Company {
  readonly rules: EditionRules;
  readonly mirror: Mirror;
  readonly outbox: Outbox;
  private readonly books = new Map<MatchKind, MatchBook>();
  private readonly logs = new Map<string, ActivityLog>();
  private current: CompanyStatus = { state: 'idle' };
  private readonly readyPromise: Promise<void>;
  private resolveReady!: () => void;
  private readonly unsubscribe: Array<() => void>;

  constructor(
    readonly id: string,
    readonly edition: Edition,
    protected readonly store: Store,
    readonly settings: GeneralSettings,
    outboxOptions: { autoApprove?: boolean; maxAttempts?: number } = {},
    mirrorCodecs?: MirrorCodecs,
  ) {
    super();
    this.setMaxListeners(100);
    this.rules = EDITION_RULES[edition];
    this.mirror = new Mirror(store, id, mirrorCodecs);
    this.outbox = new Outbox(store, id, outboxOptions);
    this.readyPromise = new Promise((resolve) => (this.resolveReady = resolve));
    this.unsubscribe = [
      store.events.subscribe(companyTopic('mirror', id), (m) => this.changedElsewhere(m)),
      store.events.subscribe(companyTopic('matches', id), (m) => this.changedElsewhere(m)),
    ];
  }

  /** The messages of the instances sharing this company's store (the console relays its live events through them). */
  get storeEvents(): StoreEvents {
    return this.store.events;
  }

  /**
   * Another instance wrote this company's mirror or matches: the copies in memory are dropped and read
   * again on next use (all of them after a gap or a message without its payload). No event is emitted:
   * the instance that wrote has emitted its own (synced, matches…), and its nodes have reacted to it
   * against the shared store; emitting here too would run the same re-match or invoice retry twice and
   * send its messages twice. The consoles hear of it through the console's own relay (console-routes).
   */
  private changedElsewhere(m: StoreMessage): void {
    if (m.own) return;
    const name = (field: string) => (typeof m.payload?.[field] === 'string' ? (m.payload[field] as string) : undefined);
    if (m.topic === companyTopic('mirror', this.id)) {
      this.mirror.invalidate(name('entity'));
      return;
    }
    const kind = name('kind');
    for (const [k, book] of this.books) if (!kind || k === kind) book.invalidate();
  }

  /** Stops hearing the other instances (an edition's close calls it). */
  protected stopStoreEvents(): void {
    for (const stop of this.unsubscribe.splice(0)) stop();
  }

  status(): CompanyStatus {
    return this.current;
  }

  quarantined(): QuarantineReport[] {
    return this.store.quarantined();
  }

  protected setStatus(status: CompanyStatus): void {
    this.current = status;
    if (status.state === 'connected') this.resolveReady();
    this.emit('status', status);
  }

  ready(): Promise<void> {
    return this.readyPromise;
  }

  matches(kind: MatchKind): MatchBook {
    let book = this.books.get(kind);
    if (!book) this.books.set(kind, (book = new MatchBook(this.store, this.id, kind)));
    return book;
  }

  log(kind: string): ActivityLog {
    let log = this.logs.get(kind);
    if (!log) this.logs.set(kind, (log = new ActivityLog(this.store, this.id, kind)));
    return log;
  }

  matchesChanged(kind: MatchKind, appIds: string[]): void {
    if (appIds.length) this.emit('matches', { kind, appIds });
  }

  /**
   * A job reached complete, error or skipped: the `job` event, then one for each job now held by it (its
   * dependents show their reason in the queue and the needs-action output instead of waiting silently).
   */
  protected jobFinished(job: Job): void {
    this.emit('job', job);
    if (job.state === 'error' || job.state === 'skipped') {
      void this.outbox.heldBy(job.key).then((held) => {
        for (const j of held) this.emit('job', j);
      }, () => undefined);
    }
  }

  /** An item.add or customer.add job created its record: the app record it was for is matched to it. */
  protected async settleMatch(job: Job, qbId: string): Promise<void> {
    const match = (job.payload as WritePayload).match;
    if (!match || !qbId) return;
    const book = this.matches(match.kind);
    const changed = await book.save([{ appId: match.appId, key: (await book.get(match.appId))?.key ?? '', status: 'matched', qbId }]);
    this.matchesChanged(match.kind, changed);
  }

  /** QuickBooks refused an item.add or customer.add as a name already taken: the app record gets the duplicate-name issue. */
  protected async nameTaken(job: Job, existingId?: string): Promise<void> {
    const match = (job.payload as WritePayload).match;
    if (!match || (job.kind !== 'item.add' && job.kind !== 'customer.add')) return;
    await this.matches(match.kind).setIssue(match.appId, match.kind === 'item' ? 'duplicate-item-name' : 'duplicate-customer-name', existingId ? [existingId] : undefined);
    this.matchesChanged(match.kind, [match.appId]);
  }

  abstract resync(options?: { full?: boolean }): Promise<void>;
  abstract kick(): void;
  abstract newRecord(kind: 'item' | 'customer', record: Record<string, unknown>): WritePayload;
  abstract close(): Promise<void>;
}

/**
 * What a write job's `{ jobRef }` placeholders resolve from (jobs/refs.ts): the results of the jobs it
 * depends on (its `dependsOn` and the jobs its fields refer to) that are complete; undefined otherwise.
 */
export async function dependencyResults(outbox: Outbox, job: Job): Promise<(key: string) => WriteResult | undefined> {
  const results = new Map<string, WriteResult>();
  for (const key of new Set([...job.dependsOn, ...jobRefsIn((job.payload as WritePayload | undefined)?.fields)])) {
    const dep = await outbox.get(key);
    if (dep?.state === 'complete' && dep.result) results.set(key, dep.result as unknown as WriteResult);
  }
  return (key) => results.get(key);
}

/**
 * One document of the store's `state` collection, read and written whole (a sync cursor, which lists
 * have been loaded); `fresh` is what `load` gives before the first save.
 */
export class StateDoc<T extends { _id: string }> {
  constructor(
    private readonly store: Store,
    readonly id: string,
    private readonly fresh: (id: string) => T,
  ) {}

  async load(): Promise<T> {
    const doc = (await this.store.state.findOne({ _id: this.id })) as T | null;
    return doc ?? this.fresh(this.id);
  }

  async save(doc: T): Promise<void> {
    await this.store.state.update({ _id: doc._id }, doc, { upsert: true });
  }
}

/** A count as status text, e.g. "12,400" ("customers 12,400 / 50,000" while the first load runs). */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}
