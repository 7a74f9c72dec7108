/**
 * What both editions' "create the missing record" payloads share: reading an app record's text
 * fields, mapping its billing address onto the edition's address field names, and the match the
 * created record settles.
 */
import type { WritePayload } from '../jobs';

/** A trimmed non-empty text (numbers as their decimal text), else undefined. */
export function appText(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : typeof value === 'number' ? String(value) : undefined;
}

/** The edition's names for BlueTrace's billing address fields. */
export interface AddressNames {
  line1: string;
  line2: string;
  city: string;
  region: string;
  postalCode: string;
  country: string;
}

/** The billing address in the edition's field names, or undefined when it holds nothing. */
export function addressOf(address: unknown, names: AddressNames): Record<string, string> | undefined {
  if (!address || typeof address !== 'object') return undefined;
  const a = address as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const [field, name] of Object.entries(names) as Array<[keyof AddressNames, string]>) {
    const text = appText(a[field]);
    if (text) out[name] = text;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The match a created record settles (the app record's kind and id). */
export function matchOf(kind: 'item' | 'customer', record: Record<string, unknown>): Pick<WritePayload, 'match'> {
  const id = appText(record.id);
  return id ? { match: { kind, appId: id } } : {};
}
