/**
 * The BlueTrace workload the invoice benchmarks share: a QuickBooks Online simulator company seeded with
 * customers and items, the match books that link BlueTrace's ids to them, and packed order number i.
 */
import type { Store } from '../nodes/lib/store';
import { MatchBook } from '../nodes/lib/matching';
import type { QboSimulator } from '../test/sim/qbo/server';

export const CUSTOMERS = 50;
export const ITEMS = 200;

/** Seeds the simulator's income account, customers and items; returns them. */
export function seedSimulator(sim: QboSimulator): { income: string; customers: Array<Record<string, any>>; items: Array<Record<string, any>> } {
  const income = sim.seed('Account', [{ Name: 'Sales of Product Income', AccountType: 'Income' }])[0].Id as string;
  const customers = sim.seed('Customer', Array.from({ length: CUSTOMERS }, (_, i) => ({ DisplayName: `Seafood Buyer ${i}`, PrimaryEmailAddr: { Address: `buyer${i}@example.com` } })));
  const items = sim.seed('Item', Array.from({ length: ITEMS }, (_, i) => ({ Name: `Product ${i}`, Sku: `SKU-${i}`, Type: 'NonInventory', IncomeAccountRef: { value: income } })));
  return { income, customers, items };
}

/** Links BlueTrace customers cu-i and items it-i to the seeded records in `company`'s match books. */
export async function seedMatches(store: Store, company: string, seeded: ReturnType<typeof seedSimulator>): Promise<void> {
  const cbook = new MatchBook(store, company, 'customer');
  await cbook.upsertApp(seeded.customers.map((c, i) => ({ appId: `cu-${i}`, appName: String(c.DisplayName), key: `buyer${i}@example.com`, record: {} })));
  await cbook.save(seeded.customers.map((c, i) => ({ appId: `cu-${i}`, key: `buyer${i}@example.com`, status: 'matched' as const, qbId: String(c.Id) })));
  const ibook = new MatchBook(store, company, 'item');
  await ibook.upsertApp(seeded.items.map((it, i) => ({ appId: `it-${i}`, appName: String(it.Name), key: `sku-${i}`, record: {} })));
  await ibook.save(seeded.items.map((it, i) => ({ appId: `it-${i}`, key: `sku-${i}`, status: 'matched' as const, qbId: String(it.Id) })));
}

/** Packed order number i (1–3 lines, quantities and prices that vary, always to the cent). */
export function packedOrder(i: number) {
  const lines = Array.from({ length: 1 + (i % 3) }, (_, l) => {
    const item = (i * 7 + l * 13) % ITEMS;
    return { lineId: `${i}-${l}`, itemId: `it-${item}`, sku: `SKU-${item}`, description: `Product ${item}`, quantity: 1 + ((i + l) % 5) * 0.5, unitPrice: Math.round((5 + ((i * 31 + l) % 400) / 7) * 100) / 100 };
  });
  return { id: `so-${i}`, orderNumber: `SO-${100000 + i}`, customerId: `cu-${i % CUSTOMERS}`, packedDate: '2026-11-20', status: 'packed', lines };
}

/** Invoices in the simulator, and how many DocNumbers it holds more than once. */
export function invoiceCensus(sim: QboSimulator): { invoices: number; duplicates: number } {
  const byDoc = new Map<string, number>();
  for (const inv of sim.all('Invoice')) byDoc.set(String(inv.DocNumber), (byDoc.get(String(inv.DocNumber)) ?? 0) + 1);
  let dup = 0;
  for (const n of byDoc.values()) if (n > 1) dup += n - 1;
  return { invoices: sim.all('Invoice').length, duplicates: dup };
}
