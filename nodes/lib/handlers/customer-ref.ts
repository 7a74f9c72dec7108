/**
 * Whether a BluBilling customer is already in QuickBooks (imported from it, BluBilling "Step 2"), so it
 * is referenced instead of added again. Names decide first: QuickBooks customer names are unique
 * regardless of case, so the name the customer would be added under (trimmed, inner spaces collapsed,
 * case ignored) finds at most one active customer, and adding it would fail anyway. Else the email:
 * exactly one active QuickBooks customer with the same address (case ignored; a Desktop Email field may
 * hold several addresses separated by "," or ";") is the customer; several are ambiguous.
 */
import type { MirrorRecord } from '../mirror';
import { normalizeEmail, normalizeKey } from '../util/text';

export type ImportedCustomer =
  | { found: 'one'; qbId: string; by: 'name' | 'email' }
  | { found: 'none' }
  | { found: 'several'; candidates: string[] };

/** The addresses of a mirrored customer (QBO PrimaryEmailAddr.Address, QBD Email and Cc). */
export function emailsOf(data: Record<string, unknown>): string[] {
  const out: string[] = [];
  const primary = data.PrimaryEmailAddr as { Address?: unknown } | undefined;
  for (const v of [primary?.Address, data.Email, data.Cc]) {
    if (typeof v !== 'string') continue;
    for (const part of v.split(/[,;]/)) {
      const e = normalizeEmail(part);
      if (e) out.push(e);
    }
  }
  return out;
}

function add(map: Map<string, string[]>, key: string, id: string): void {
  const ids = map.get(key);
  if (!ids) map.set(key, [id]);
  else if (!ids.includes(id)) ids.push(id);
}

/** The active mirrored QuickBooks customers indexed by name and by email, built once per export. */
export class CustomerIndex {
  private readonly byName = new Map<string, string[]>();
  private readonly byEmail = new Map<string, string[]>();

  constructor(customers: readonly MirrorRecord[] = []) {
    this.index(customers);
  }

  /** The index of a list read a page at a time (only the keys and ids are kept, never the records). */
  static async from(pages: AsyncIterable<MirrorRecord[]>): Promise<CustomerIndex> {
    const index = new CustomerIndex();
    for await (const page of pages) index.index(page);
    return index;
  }

  private index(customers: readonly MirrorRecord[]): void {
    for (const c of customers) {
      if (!c.active) continue;
      const name = normalizeKey(c.name);
      if (name) add(this.byName, name, c.id);
      for (const e of emailsOf(c.data)) add(this.byEmail, e, c.id);
    }
  }

  /** The QuickBooks customer a BluBilling customer already is: by the name it would get, then by email. */
  find(name: string, email: string | null | undefined): ImportedCustomer {
    const named = this.byName.get(normalizeKey(name)) ?? [];
    if (named.length === 1) return { found: 'one', qbId: named[0], by: 'name' };
    if (named.length > 1) return { found: 'several', candidates: [...named] };
    const mailed = this.byEmail.get(normalizeEmail(email)) ?? [];
    if (mailed.length === 1) return { found: 'one', qbId: mailed[0], by: 'email' };
    if (mailed.length > 1) return { found: 'several', candidates: [...mailed] };
    return { found: 'none' };
  }
}
