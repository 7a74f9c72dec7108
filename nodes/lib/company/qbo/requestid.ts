/**
 * Deterministic QBO `requestid` values (qbo.md §2.8): the same source record and content always give the same id, so
 * a resend after a lost answer is replayed by Intuit instead of creating a second record. ≤ 50 characters (≤ 36 for
 * batch).
 */
import { createHash } from 'node:crypto';

/** JSON with sorted keys, so equal content hashes equally whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
    .join(',')}}`;
}

export interface RequestIdParts {
  realmId: string;
  entity: string;
  /** The source record's key (e.g. "bluetrace:order:4711"). */
  sourceKey: string;
  /** The source record's content version; when absent a hash of the payload is used. */
  version?: string;
  payload?: unknown;
  /** 'create', 'update', … so an update never collides with the create of the same record. */
  operation?: string;
}

/** A 36-character id (fits batch's limit too): "q" + 35 base64url characters of SHA-256 over the parts. */
export function requestIdFor(p: RequestIdParts): string {
  const version = p.version ?? createHash('sha256').update(canonicalJson(p.payload ?? null)).digest('hex');
  const digest = createHash('sha256')
    .update(JSON.stringify([p.realmId, p.entity, p.operation ?? 'create', p.sourceKey, version]))
    .digest('base64url');
  return `q${digest.slice(0, 35)}`;
}
