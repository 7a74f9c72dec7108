/**
 * Mirror helpers (qbo.md §2.10, §5): a full load of some entities page by page, and the changes since a cursor through
 * Change Data Capture. The caller stores what it gets; these only fetch and shape.
 */
import type { Progress, QboClient, QboEntity, QboRecord } from './client';
import { NAME_LISTS } from './client';

/** CDC looks back at most 30 days; past 29 we reload instead (margin for clock differences). */
export const MAX_CDC_GAP_DAYS = 29;
/** A CDC answer holds at most 1000 objects; a full one is not a safe checkpoint. */
export const CDC_MAX_OBJECTS = 1000;

const DAY_MS = 24 * 3600 * 1000;

function utc(time: string | undefined, fallback: number): string {
  const ms = time ? Date.parse(time) : NaN;
  return new Date(Number.isNaN(ms) ? fallback : ms).toISOString();
}

export interface FullLoadResult {
  /** Server time (UTC, Z) taken before the first page: the cursor for the next changesSince. */
  cursor: string;
  counts: Partial<Record<QboEntity, number>>;
}

/**
 * Loads every record of each entity (inactive name-list records included) page by page. `onProgress` gets
 * "customers 12,400 / 50,000"-style figures from a COUNT(*) made first.
 */
export async function fullLoad(
  client: QboClient,
  entities: QboEntity[],
  onPage: (entity: QboEntity, rows: QboRecord[]) => void | Promise<void>,
  onProgress?: (p: Progress) => void,
  now: () => number = Date.now,
): Promise<FullLoadResult> {
  let cursor: string | undefined;
  const counts: Partial<Record<QboEntity, number>> = {};
  for (const entity of entities) {
    const includeInactive = NAME_LISTS.has(entity);
    const { count, time } = await client.countWithTime(entity, { includeInactive });
    cursor = cursor ?? utc(time, now());
    let loaded = 0;
    onProgress?.({ entity, loaded, total: count });
    for await (const page of client.pages(entity, { includeInactive })) {
      await onPage(entity, page);
      loaded += page.length;
      onProgress?.({ entity, loaded, total: count });
    }
    counts[entity] = loaded;
  }
  return { cursor: cursor ?? new Date(now()).toISOString(), counts };
}

export interface EntityChanges {
  /** Created or changed records (inactive name-list records come as full records with Active:false). */
  upserts: QboRecord[];
  /** Ids reported as deleted. */
  deleted: string[];
}

export interface ChangeSet {
  /** True when the caller must reload fully instead of applying these changes as a complete delta. */
  fullReloadNeeded: boolean;
  reason?: 'gap' | 'saturated';
  /** Next cursor (server time of the answer, UTC Z); unchanged when nothing was asked. */
  cursor: string;
  changes: Partial<Record<QboEntity, EntityChanges>>;
  /** Objects in the answer. */
  total: number;
}

/** The changes since `since`; flags a full reload when the gap is past 29 days or the answer was saturated. */
export async function changesSince(client: QboClient, entities: QboEntity[], since: Date | string, now: () => number = Date.now): Promise<ChangeSet> {
  const sinceMs = typeof since === 'string' ? Date.parse(since) : since.getTime();
  if (Number.isNaN(sinceMs)) throw new Error(`changesSince: not a time: ${String(since)}`);
  const sinceIso = new Date(sinceMs).toISOString();
  if (now() - sinceMs > MAX_CDC_GAP_DAYS * DAY_MS) return { fullReloadNeeded: true, reason: 'gap', cursor: sinceIso, changes: {}, total: 0 };
  const data = await client.changeDataCapture(entities, sinceIso);
  const changes: Partial<Record<QboEntity, EntityChanges>> = {};
  for (const e of entities) changes[e] = { upserts: [], deleted: [] };
  let total = 0;
  for (const block of (data.CDCResponse ?? []) as QboRecord[]) {
    for (const qr of (block.QueryResponse ?? []) as QboRecord[]) {
      for (const e of entities) {
        for (const row of (qr[e] ?? []) as QboRecord[]) {
          total += 1;
          const bucket = changes[e] as EntityChanges;
          if (row.status === 'Deleted') bucket.deleted.push(String(row.Id));
          else bucket.upserts.push(row);
        }
      }
    }
  }
  const saturated = total >= CDC_MAX_OBJECTS;
  return { fullReloadNeeded: saturated, reason: saturated ? 'saturated' : undefined, cursor: utc(data.time, now()), changes, total };
}
