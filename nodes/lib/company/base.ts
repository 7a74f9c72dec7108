import { EventEmitter } from 'node:events';
import { type Job, Outbox, type WritePayload } from '../jobs';
import { ActivityLog } from '../log';
import { MatchBook, type MatchKind } from '../matching';
import { Mirror, type MirrorCodecs } from '../mirror';
import type { Store } from '../store';
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
  }

  status(): CompanyStatus {
    return this.current;
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

  protected jobFinished(job: Job): void {
    this.emit('job', job);
  }

  abstract resync(options?: { full?: boolean }): Promise<void>;
  abstract kick(): void;
  abstract newRecord(kind: 'item' | 'customer', record: Record<string, unknown>): WritePayload;
  abstract close(): Promise<void>;
}
