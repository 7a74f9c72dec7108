import type { GeneralSettings } from '../company/types';
import { type IssueCode, type MatchBook } from '../matching';
import type { Mirror } from '../mirror';

/** A BlueTrace packed order (validated by the `bluetrace-packed-order` schema). */
export interface PackedOrder {
  id: string | number;
  orderNumber: string | number;
  customerId: string | number;
  customerName?: string | null;
  packedDate: string;
  status?: 'open' | 'packed' | 'closed';
  memo?: string | null;
  lines: Array<{ lineId?: string | number; itemId: string | number; sku?: string | null; description?: string | null; quantity: number; unitPrice: number }>;
}

/** One problem that keeps an order from becoming an invoice, in words an admin acts on. */
export interface InvoiceAction {
  kind: 'customer' | 'item';
  appId: string;
  name: string;
  reason: IssueCode | 'not-received' | 'pending';
  message: string;
}

/** The document the invoice rule reads (see rules/invoice.*.jsonata). */
export interface InvoiceRuleInput {
  order: PackedOrder;
  customer: { id: string; name: string; termsId?: string };
  defaults: { termsId?: string };
  lines: Array<PackedOrder['lines'][number] & { item: { id: string; name: string } }>;
}

const SHORT_REASON: Record<InvoiceAction['reason'], string> = {
  'missing-sku': 'missing SKU',
  'duplicate-sku': 'duplicate SKU in BlueTrace',
  'item-not-found': 'not found in QuickBooks',
  'ambiguous-sku': 'several QuickBooks items share the SKU',
  'duplicate-item-name': 'duplicate item name in QuickBooks',
  'missing-email': 'missing billing email',
  'customer-not-found': 'not found in QuickBooks',
  'duplicate-customer-name': 'duplicate name in QuickBooks',
  'duplicate-match': 'duplicate match in QuickBooks',
  'missing-price-code': 'missing Price Code',
  'unmapped-charge': 'no QuickBooks item named as the Price Code',
  'not-received': 'not received from BlueTrace yet',
  pending: 'not matched yet',
};

function action(kind: InvoiceAction['kind'], appId: string, name: string, reason: InvoiceAction['reason']): InvoiceAction {
  const label = kind === 'customer' ? 'Customer' : 'Item';
  return { kind, appId, name, reason, message: `${label} '${name}' has no QuickBooks match: ${SHORT_REASON[reason]}` };
}

/**
 * Resolves an order's customer and items through the persisted matches. Either everything resolves
 * (the rule input) or the order gets one action per problem, and nothing is sent.
 */
export async function resolveOrder(
  order: PackedOrder,
  deps: { customers: MatchBook; items: MatchBook; mirror: Mirror; settings: GeneralSettings },
): Promise<{ input: InvoiceRuleInput; actions: [] } | { input?: undefined; actions: InvoiceAction[] }> {
  const actions: InvoiceAction[] = [];
  const customerId = String(order.customerId);
  const c = await deps.customers.get(customerId);
  let customer: InvoiceRuleInput['customer'] | undefined;
  if (!c) actions.push(action('customer', customerId, order.customerName || customerId, 'not-received'));
  else if (c.status !== 'matched' || !c.qbId) actions.push(action('customer', customerId, c.appName, c.issue ?? 'pending'));
  else {
    const qb = await deps.mirror.get('customers', c.qbId);
    customer = { id: c.qbId, name: qb?.name ?? c.appName, ...(qb?.termsId ? { termsId: qb.termsId } : {}) };
  }

  const lines: InvoiceRuleInput['lines'] = [];
  const reported = new Set<string>();
  for (const line of order.lines) {
    const itemId = String(line.itemId);
    const m = await deps.items.get(itemId);
    if (m && m.status === 'matched' && m.qbId) {
      const qb = await deps.mirror.get('items', m.qbId);
      lines.push({ ...line, item: { id: m.qbId, name: qb?.name ?? m.appName } });
      continue;
    }
    if (reported.has(itemId)) continue;
    reported.add(itemId);
    const name = m?.appName ?? line.description ?? line.sku ?? itemId;
    actions.push(action('item', itemId, name, m ? (m.issue ?? 'pending') : 'not-received'));
  }
  if (actions.length > 0 || !customer) return { actions };
  return { input: { order, customer, defaults: deps.settings.defaultTermsId ? { termsId: deps.settings.defaultTermsId } : {}, lines }, actions: [] };
}
