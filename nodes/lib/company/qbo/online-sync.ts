/**
 * The Online mirror's sync (BlueTrace's hourly QuickBooks cache and its Re-sync): a full load of items,
 * customers, terms and accounts on first connect, afterwards Change Data Capture from the stored cursor,
 * with a full reload when the gap passed 29 days or an answer was saturated. The cursor is the server
 * time of QuickBooks' answer (kept in the store's `state` collection), never the local clock.
 */
import type { Mirror, MirrorReplacement } from '../../mirror';
import type { Store } from '../../store';
import { StateDoc } from '../base';
import type { MirrorEntity } from '../types';
import type { Progress, QboClient, QboEntity, QboRecord } from './client';
import { MIRROR_LISTS, mirrorEntityOf, toMirrorRecords } from './online-records';
import { changesSince, fullLoad } from './sync';

export interface OnlineSyncState {
  _id: string;
  /** The first full load has completed: the company is "connected" from then on. */
  loaded: boolean;
  /** Server time (UTC, Z) from which the next CDC asks for changes. */
  cursor?: string;
  lastFullAt?: string;
  lastSyncAt?: string;
}

/** The company's sync state document (not loaded yet until the first save). */
export function onlineSyncDoc(store: Store, company: string): StateDoc<OnlineSyncState> {
  return new StateDoc<OnlineSyncState>(store, `${company}|qbo-sync`, (_id) => ({ _id, loaded: false }));
}

export interface SyncOutcome {
  kind: 'full' | 'incremental';
  /** Why a full load ran: the first connect, a request, a CDC gap past 29 days, or a saturated CDC answer. */
  reason?: 'first' | 'requested' | 'gap' | 'saturated';
  /** Records received per list (a full load: the whole list; CDC: the changes). */
  counts: Partial<Record<MirrorEntity, number>>;
  cursor: string;
}

const QBO_LISTS: QboEntity[] = MIRROR_LISTS.map((l) => l.qbo);

/**
 * Loads every list fully (inactive records included) and replaces the mirror's copy of each, a page at
 * a time (Mirror.replacing: on PostgreSQL nothing holds a whole list); each list is replaced when its
 * last page is in, then every list is marked synced at the load's cursor.
 */
export async function loadAll(client: QboClient, mirror: Mirror, now: () => number, onProgress?: (p: Progress) => void): Promise<{ cursor: string; counts: Partial<Record<MirrorEntity, number>> }> {
  const counts: Partial<Record<MirrorEntity, number>> = {};
  let current: { entity: MirrorEntity; writer: MirrorReplacement } | undefined;
  const finish = async () => {
    if (!current) return;
    const done = current;
    current = undefined;
    await done.writer.commit();
  };
  let result: Awaited<ReturnType<typeof fullLoad>>;
  try {
    result = await fullLoad(
      client,
      QBO_LISTS,
      async (entity: QboEntity, rows: QboRecord[]) => {
        const target = mirrorEntityOf(entity) as MirrorEntity;
        if (current?.entity !== target) {
          await finish();
          current = { entity: target, writer: await mirror.replacing(target) };
        }
        const records = toMirrorRecords(target, rows);
        await current.writer.add(records);
        counts[target] = (counts[target] ?? 0) + records.length;
      },
      onProgress,
      now,
    );
    await finish();
  } catch (err) {
    await current?.writer.abort().catch(() => undefined);
    throw err;
  }
  for (const { mirror: entity } of MIRROR_LISTS) {
    if (counts[entity] === undefined) {
      counts[entity] = 0;
      await mirror.replace(entity, [], result.cursor); // an empty list
    } else {
      await mirror.upsert(entity, [], result.cursor); // marks it synced at the load's cursor
    }
  }
  return { cursor: result.cursor, counts };
}

/**
 * One sync: a full load when asked, on first connect, or when CDC cannot cover the gap; else the
 * changes since the stored cursor. Updates `state` in place (the caller saves it).
 */
export async function syncMirror(
  client: QboClient,
  mirror: Mirror,
  state: OnlineSyncState,
  options: { full?: boolean; now: () => number; onProgress?: (p: Progress) => void },
): Promise<SyncOutcome> {
  let reason: SyncOutcome['reason'] = !state.loaded || !state.cursor ? 'first' : options.full ? 'requested' : undefined;
  if (!reason) {
    const changes = await changesSince(client, QBO_LISTS, state.cursor as string, options.now);
    if (!changes.fullReloadNeeded) {
      const counts: Partial<Record<MirrorEntity, number>> = {};
      for (const list of MIRROR_LISTS) {
        const c = changes.changes[list.qbo] ?? { upserts: [], deleted: [] };
        if (c.deleted.length > 0) await mirror.delete(list.mirror, c.deleted);
        const records = toMirrorRecords(list.mirror, c.upserts);
        await mirror.upsert(list.mirror, records, changes.cursor);
        counts[list.mirror] = records.length + c.deleted.length;
      }
      state.cursor = changes.cursor;
      state.lastSyncAt = new Date(options.now()).toISOString();
      return { kind: 'incremental', counts, cursor: changes.cursor };
    }
    reason = changes.reason;
  }
  const { cursor, counts } = await loadAll(client, mirror, options.now, options.onProgress);
  state.loaded = true;
  state.cursor = cursor;
  state.lastFullAt = state.lastSyncAt = new Date(options.now()).toISOString();
  return { kind: 'full', reason, counts, cursor };
}
