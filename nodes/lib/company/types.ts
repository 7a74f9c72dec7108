/**
 * The company interface: one QuickBooks company reached through one connection config node, either
 * QuickBooks Online (`qbo-connection`: REST, immediate) or QuickBooks Desktop (`qbwc-server`: qbXML
 * through the Web Connector, deferred until its next run). Every other node works with either.
 */
import type { EventEmitter } from 'node:events';
import type { Job, Outbox, WritePayload } from '../jobs';
import type { ActivityLog } from '../log';
import type { MatchBook, MatchKind } from '../matching';
import type { Mirror, MirrorRecord } from '../mirror';
import type { QuarantineReport, StoreEvents } from '../store';

export type Edition = 'qbo' | 'qbd';

/** The lists a company mirrors. */
export type MirrorEntity = 'items' | 'customers' | 'terms' | 'accounts';

/** The connection states shown as node status (BlueTrace: Connecting → Connected). */
export type ConnectionState = 'connecting' | 'connected' | 'reconnect-needed' | 'error' | 'idle';

export interface CompanyStatus {
  state: ConnectionState;
  /** e.g. "customers 12,400 / 50,000" during the first load. */
  progress?: string;
  message?: string;
}

/** Per-edition names of the default rules in rules/. */
export interface EditionRules {
  itemKey: string;
  customerKey: string;
  invoice: string;
}

export const EDITION_RULES: Readonly<Record<Edition, EditionRules>> = Object.freeze({
  qbo: { itemKey: 'item-key.qbo', customerKey: 'customer-key.qbo', invoice: 'invoice.qbo' },
  qbd: { itemKey: 'item-key.qbd', customerKey: 'customer-key.qbd', invoice: 'invoice.qbd' },
});

/** BlueTrace's General tab. */
export interface GeneralSettings {
  /** Used only when the QuickBooks customer has no terms. */
  defaultTermsId?: string;
  /** Accounts new items need (QBO: income, expense, asset; QBD: the sales account). */
  incomeAccountId?: string;
  expenseAccountId?: string;
  assetAccountId?: string;
  invoiceCreation: boolean;
}

/**
 * What a node sees of a company. Events: `status` (CompanyStatus), `synced` ({entities}), `job` (a job
 * that reached complete, error or skipped).
 */
export interface CompanyEvents {
  status: [CompanyStatus];
  synced: [{ entities: MirrorEntity[] }];
  job: [Job];
  matches: [{ kind: MatchKind; appIds: string[] }];
  /** An admin linked (or unlinked) an app record by hand (admin route): matchers re-match. */
  linked: [{ kind: MatchKind; appId: string }];
  /** A page of an import job (QuickBooks Desktop: one iterator page; Online: one query page). */
  imported: [{ job: Job; entity: string; records: MirrorRecord[]; done: boolean; count: number; total?: number }];
}

export interface Company extends EventEmitter {
  readonly id: string;
  readonly edition: Edition;
  readonly rules: EditionRules;
  readonly settings: GeneralSettings;
  readonly mirror: Mirror;
  readonly outbox: Outbox;
  status(): CompanyStatus;
  /** The persisted matches of one kind (shared by every node using this company). */
  matches(kind: MatchKind): MatchBook;
  /** The activity log of one kind ("invoice", "export", "import"). */
  log(kind: string): ActivityLog;
  /** Tells every listener that matches changed (a matcher ran), so held work can retry. */
  matchesChanged(kind: MatchKind, appIds: string[]): void;
  /** Resolves once the mirror has been loaded at least once (the first connect). */
  ready(): Promise<void>;
  /** Refreshes the mirror now (QBO: CDC or full load; QBD: import jobs for the next Web Connector run). */
  resync(options?: { full?: boolean }): Promise<void>;
  /** Sends approved jobs now where the edition can (QBO); QBD sends them in the next Web Connector session. */
  kick(): void;
  /**
   * The write that creates a missing QuickBooks item or customer for an app record, in the edition's
   * shape, using the General settings' accounts (option "create missing … in QuickBooks").
   */
  newRecord(kind: 'item' | 'customer', record: Record<string, unknown>): WritePayload;
  /** Corrupt lines of the company's store kept aside in quarantine files (empty when all is well). */
  quarantined(): QuarantineReport[];
  /** The messages between the instances sharing its store (store/events.ts). */
  readonly storeEvents: StoreEvents;
}
