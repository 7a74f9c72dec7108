/**
 * Production qbXML builder → simulated QuickBooks company → production qbXML parser.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildQbxml,
  MESSAGES,
  messageStatus,
  type FieldSpec,
  type MessageType,
  parseQbxml,
  type QbxmlObject,
  type QbxmlRequest,
} from '../../../nodes/lib/company/qbwc/qbxml';
import { newCompany } from './testkit';
import type { QbdCompany } from './company';

function send(company: QbdCompany, requests: QbxmlRequest | QbxmlRequest[], ticket = 'T', onError: 'stopOnError' | 'continueOnError' = 'stopOnError') {
  return parseQbxml(company.processRequest(buildQbxml(requests, { onError }), ticket)).messages;
}

test('round trip: customer, items, invoice, payment and a paged import all pass the simulator', () => {
  const { company, clock } = newCompany({
    seed: { items: [{ type: 'ItemInventory', Name: 'WID-2000', Price: 49.95, Desc: 'Widget Pro 2000, black' }] },
  });

  const [cust] = send(company, {
    type: 'CustomerAdd',
    requestID: 'x-cust-43',
    data: {
      Email: 'ap@bakerandsons.example',
      BillAddress: { PostalCode: '62701', City: 'Springfield', Addr1: '12 Mill Road' },
      Name: 'Baker & Sons (CRM-00917)',
      CompanyName: 'Baker & Sons LLC',
      TermsRef: 'Net 30',
    },
  });
  assert.equal(messageStatus(cust!).kind, 'ok');
  const customerId = cust!.records[0]!.data.ListID as string;

  const items = send(company, [
    { type: 'ItemServiceAdd', requestID: 'i1', data: { SalesOrPurchase: { AccountRef: 'Service Income', Price: 85 }, Name: 'Install Labor' } },
    {
      type: 'ItemNonInventoryAdd',
      requestID: 'i2',
      data: { Name: 'Gift Wrap', ManufacturerPartNumber: 'GW-01', SalesOrPurchase: { Price: 4, AccountRef: { FullName: 'Merchandise Sales' } } },
    },
  ]);
  assert.deepEqual(items.map((m) => [m.requestID, m.statusCode, m.records[0]?.type]), [
    ['i1', 0, 'ItemServiceRet'],
    ['i2', 0, 'ItemNonInventoryRet'],
  ]);

  const [inv] = send(company, {
    type: 'InvoiceAdd',
    requestID: 'x-inv-78',
    data: {
      InvoiceLineAdd: [
        { Rate: 49.95, Quantity: 2, ItemRef: { FullName: 'WID-2000' } },
        { ItemRef: 'Install Labor', Quantity: 1.5 },
      ],
      RefNumber: 'WEB-10077',
      TxnDate: '2024-06-20',
      CustomerRef: { ListID: customerId },
      Memo: 'Order 10077 – “storefront”',
    },
  });
  assert.equal(inv!.statusCode, 0);
  const invoice = inv!.records[0]!.data;
  assert.equal(invoice.Subtotal, '227.40');
  assert.equal(invoice.Memo, 'Order 10077 - "storefront"');
  assert.equal((invoice.InvoiceLineRet as QbxmlObject[]).length, 2);
  assert.equal((invoice.InvoiceLineRet as QbxmlObject[])[1]!.Rate, '85.00');

  const [pay] = send(company, {
    type: 'ReceivePaymentAdd',
    requestID: 'x-pay-12',
    data: {
      AppliedToTxnAdd: [{ TxnID: invoice.TxnID as string, PaymentAmount: 227.4 }],
      TotalAmount: 227.4,
      PaymentMethodRef: 'Check',
      RefNumber: 'CHK-8841',
      CustomerRef: { ListID: customerId },
      TxnDate: '2024-06-21',
    },
  });
  assert.equal(pay!.statusCode, 0);
  assert.equal(company.get('Invoice', invoice.TxnID as string)?.IsPaid, true);

  // Paid invoice, modified by the payment: InvoiceMod with the old EditSequence is stale (3200).
  clock.advance(5);
  const [stale] = send(company, {
    type: 'InvoiceMod',
    requestID: 'm1',
    data: { TxnID: invoice.TxnID as string, EditSequence: invoice.EditSequence as string, Memo: 'x' },
  });
  assert.equal(messageStatus(stale!).reason, 'editSequenceOutOfDate');

  // Paged import with the production builder's iterator requests.
  company.seedCustomers(25, { prefix: 'Bulk' });
  const seen: string[] = [];
  let page = send(company, { type: 'CustomerQuery', requestID: 'q1', iterator: 'Start', data: { MaxReturned: 10, ActiveStatus: 'All', OwnerID: '0' } })[0]!;
  seen.push(...page.records.map((r) => r.data.ListID as string));
  while ((page.iteratorRemainingCount ?? 0) > 0) {
    page = send(company, {
      type: 'CustomerQuery',
      requestID: 'q2',
      iterator: 'Continue',
      iteratorID: page.iteratorID as string,
      data: { MaxReturned: 10, ActiveStatus: 'All', OwnerID: '0' },
    })[0]!;
    seen.push(...page.records.map((r) => r.data.ListID as string));
  }
  assert.equal(seen.length, 26);
  assert.equal(new Set(seen).size, 26);
});

test('round trip: errors come back with code, severity and message through the production parser', () => {
  const { company } = newCompany({ seed: { customers: [{ Name: 'Baker & Sons' }] } });
  const msgs = send(
    company,
    [
      { type: 'CustomerAdd', requestID: 'dup', data: { Name: 'baker & sons' } },
      { type: 'InvoiceAdd', requestID: 'bad-item', data: { CustomerRef: 'Baker & Sons', InvoiceLineAdd: { ItemRef: 'WID-9000', Amount: 1 } } },
      { type: 'CustomerQuery', requestID: 'none', data: { FullName: 'Zed Unknown' } },
    ],
    'T',
    'continueOnError',
  );
  assert.deepEqual(
    msgs.map((m) => [m.requestID, m.statusCode, messageStatus(m).kind]),
    [
      ['dup', 3100, 'error'],
      ['bad-item', 3140, 'error'],
      ['none', 500, 'warning'],
    ],
  );
  assert.equal(msgs[0]!.statusMessage, 'The name "baker & sons" of the list element is already in use.');
});

test('round trip: every builder query type is accepted by the simulator in schema order', () => {
  const { company } = newCompany();
  const msgs = send(
    company,
    [
      { type: 'ItemQuery', data: { NameFilter: { Name: 'W', MatchCriterion: 'StartsWith' }, ActiveStatus: 'All', MaxReturned: 5 } },
      { type: 'InvoiceQuery', data: { OwnerID: '0', IncludeLinkedTxns: true, IncludeLineItems: true, PaidStatus: 'All', TxnDateRangeFilter: { ToTxnDate: '2024-06-30', FromTxnDate: '2024-06-01' }, MaxReturned: 10 } },
      { type: 'ReceivePaymentQuery', data: { IncludeLineItems: true, ModifiedDateRangeFilter: { FromModifiedDate: new Date('2024-06-01T00:00:00Z') }, EntityFilter: { FullName: 'X' } } },
      { type: 'InvoiceQuery', data: { RefNumber: ['A', 'B'] } },
    ],
    'T',
    'continueOnError',
  );
  assert.deepEqual(msgs.map((m) => m.statusCode), [1, 1, 1, 1]);
});

/** A request using every field the builder knows for `type` (one alternative per schema choice). */
function everyField(fields: readonly FieldSpec[]): Record<string, unknown> {
  const altCount = new Map<string, Map<string, number>>();
  for (const f of fields) {
    if (f.choice === undefined) continue;
    const m = altCount.get(f.choice) ?? new Map<string, number>();
    m.set(f.alt as string, (m.get(f.alt as string) ?? 0) + 1);
    altCount.set(f.choice, m);
  }
  const chosen = new Map([...altCount].map(([c, m]) => [c, [...m].sort((a, b) => b[1] - a[1])[0]![0]]));
  const usedExclusive = new Set<string>();
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    if (f.choice !== undefined && chosen.get(f.choice) !== f.alt) continue;
    if (f.exclusive !== undefined) {
      if (usedExclusive.has(f.exclusive)) continue;
      usedExclusive.add(f.exclusive);
    }
    switch (f.kind) {
      case 'text':
        out[f.name] = f.name === 'TxnLineID' ? '-1' : 'X';
        break;
      case 'id':
        out[f.name] = f.name === 'TxnLineID' ? '-1' : '1';
        break;
      case 'money':
      case 'price':
      case 'quantity':
      case 'int':
        out[f.name] = 1;
        break;
      case 'bool':
        out[f.name] = true;
        break;
      case 'date':
        out[f.name] = '2024-06-20';
        break;
      case 'datetime':
        out[f.name] = '2024-06-20T00:00:00';
        break;
      case 'enum':
        out[f.name] = f.name === 'ActiveStatus' ? 'All' : f.values![0];
        break;
      case 'ref':
        out[f.name] = { FullName: 'X' };
        break;
      case 'aggregate':
        out[f.name] = everyField(f.children!);
        break;
    }
  }
  return out;
}

test('round trip: a request with every field the builder knows passes the simulator’s independent order tables', () => {
  const { company } = newCompany();
  for (const type of Object.keys(MESSAGES) as MessageType[]) {
    const data = everyField(MESSAGES[type].fields);
    const xml = buildQbxml({ type, requestID: type, data } as QbxmlRequest);
    assert.doesNotThrow(() => company.processRequest(xml, 'T'), `${type}: ${xml}`);
  }
});
