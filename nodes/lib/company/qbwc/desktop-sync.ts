/**
 * BlueTrace's Re-sync on QuickBooks Desktop: which lists have had their first full import (Connecting →
 * Connected) and the last modification time seen per list, kept in the store's `state` collection.
 */
import type { MirrorEntity } from '../types';
import type { Store } from '../../store';
import { StateDoc } from '../base';
import { timeOf } from './desktop-records';

export const RESYNC_ENTITIES: readonly MirrorEntity[] = ['items', 'customers', 'terms', 'accounts'];

/** Lists that must have been fully imported once before the company is "connected". */
export const CONNECT_ENTITIES: readonly MirrorEntity[] = ['items', 'customers'];

/** Start of a full import: earlier than any QuickBooks company. */
export const FULL_FROM = '1970-01-01';

/** Re-imports go back this far before the last modification seen (clock skew, same-second edits). */
export const RESYNC_OVERLAP_MS = 10 * 60 * 1000;

export interface SyncState {
  _id: string;
  /** Lists whose full import has completed. */
  full: Partial<Record<MirrorEntity, boolean>>;
  /** Greatest TimeModified imported per list, as QuickBooks wrote it. */
  last: Partial<Record<MirrorEntity, string>>;
}

/** The company's Re-sync state document (no list imported yet until the first save). */
export function syncStateDoc(store: Store, company: string): StateDoc<SyncState> {
  return new StateDoc<SyncState>(store, `${company}|qbd-sync`, (_id) => ({ _id, full: {}, last: {} }));
}

/** The job key prefix of Re-sync imports (so a Re-sync does not queue a second one while one is pending). */
export const RESYNC_PREFIX = 'resync:';

/** Lower bound of an incremental Re-sync: the last modification seen minus the overlap (UTC). */
export function incrementalFrom(last: string): string {
  const t = timeOf(last);
  if (!Number.isFinite(t)) return FULL_FROM;
  return new Date(t - RESYNC_OVERLAP_MS).toISOString().slice(0, 19) + '+00:00';
}

/** Whether every list needed to be "connected" has had its full import. */
export function isConnected(state: SyncState): boolean {
  return CONNECT_ENTITIES.every((e) => state.full[e] === true);
}
