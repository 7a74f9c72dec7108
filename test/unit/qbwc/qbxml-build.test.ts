import { test } from 'node:test';
import assert from 'node:assert/strict';
import sax from 'sax';
import { buildQbxml, buildRequestElement, QbxmlBuildError } from '../../../nodes/lib/company/qbwc/qbxml';
import type { QbxmlRequest } from '../../../nodes/lib/company/qbwc/qbxml';
import {
  B1_REQUEST_CONTINUE,
  B1_REQUEST_START,
  C_CUSTOMER_ADD,
  C_INVOICE_ADD,
  C_INVOICE_QUERY,
  C_RECEIVE_PAYMENT_ADD,
  compact,
} from './qbxml-wire-fixtures';

/** Same object with its keys (recursively) in reverse order. */
function reversedKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reversedKeys) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).reverse()) out[k] = reversedKeys((value as Record<string, unknown>)[k]);
    return out as T;
  }
  return value;
}

/** Child element names of the first element called `parent`, in document order (via sax, independent of our parser). */
function childNames(xml: string, parent: string): string[] {
  const p = sax.parser(true);
  const names: string[] = [];
  let depth = -1;
  let level = 0;
  p.onopentag = (tag) => {
    level++;
    if (depth === -1 && tag.name === parent) depth = level;
    else if (depth !== -1 && level === depth + 1) names.push(tag.name);
  };
  p.onclosetag = () => {
    if (level === depth) depth = -2;
    level--;
  };
  p.write(xml).close();
  return names;
}

function textOf(xml: string, element: string): string {
  const m = new RegExp(`<${element}>([^<]*)</${element}>`).exec(xml);
  assert.ok(m, `no <${element}> in ${xml}`);
  return m[1] as string;
}

const invoiceRequest: QbxmlRequest = {
  type: 'InvoiceAdd',
  requestID: 'x-inv-78',
  data: {
    InvoiceLineAdd: [
      { Rate: 49.95, Quantity: 2, Desc: 'Widget Pro 2000, black', ItemRef: { ListID: '80000012-1690000002' } },
      { Amount: 5, ItemRef: { FullName: 'Shipping' } },
    ],
    Memo: 'Order 10077 from storefront',
    PONumber: 'PO-5531',
    RefNumber: 'WEB-10077',
    TxnDate: '2024-06-20',
    CustomerRef: { ListID: '80000004-1712345678' },
  },
};

test('InvoiceAdd given in scrambled key order equals wire example C', () => {
  assert.equal(buildQbxml(invoiceRequest), compact(C_INVOICE_ADD));
});

test('CustomerAdd equals wire example C whatever the key order', () => {
  const data = {
    Name: 'Baker & Sons (CRM-00917)',
    CompanyName: 'Baker & Sons LLC',
    FirstName: 'Dana',
    LastName: 'Baker',
    BillAddress: { Addr1: '12 Mill Road', City: 'Springfield', State: 'IL', PostalCode: '62701' },
    Phone: '217-555-0142',
    Email: 'ap@bakerandsons.example',
  };
  const expected = compact(C_CUSTOMER_ADD);
  assert.equal(buildQbxml({ type: 'CustomerAdd', requestID: 'x-cust-43', data }), expected);
  assert.equal(buildQbxml({ type: 'CustomerAdd', requestID: 'x-cust-43', data: reversedKeys(data) }), expected);
});

test('ReceivePaymentAdd equals wire example C', () => {
  const xml = buildQbxml({
    type: 'ReceivePaymentAdd',
    requestID: 'x-pay-12',
    data: reversedKeys({
      CustomerRef: { ListID: '80000004-1712345678' },
      TxnDate: '2024-06-21',
      RefNumber: 'CHK-8841',
      TotalAmount: 104.9,
      PaymentMethodRef: 'Check',
      Memo: 'Payment for WEB-10077',
      AppliedToTxnAdd: [{ PaymentAmount: '104.9', TxnID: '1A2F-1718900000' }],
    }),
  });
  assert.equal(xml, compact(C_RECEIVE_PAYMENT_ADD));
});

test('InvoiceQuery by modified-date window equals wire example C', () => {
  const xml = buildQbxml(
    {
      type: 'InvoiceQuery',
      requestID: 'q-inv-1',
      iterator: 'Start',
      data: {
        OwnerID: '0',
        IncludeLineItems: true,
        ModifiedDateRangeFilter: { ToModifiedDate: '2024-06-30T23:59:59', FromModifiedDate: '2024-06-01T00:00:00' },
        MaxReturned: 100,
      },
    },
    { onError: 'continueOnError' },
  );
  assert.equal(xml, compact(C_INVOICE_QUERY));
});

test('CustomerQuery iterator Start and Continue equal wire example B1 requests', () => {
  const data = {
    OwnerID: '0',
    ToModifiedDate: '2024-06-30T23:59:59',
    FromModifiedDate: '2024-06-01T00:00:00',
    ActiveStatus: 'All' as const,
    MaxReturned: 2,
  };
  assert.equal(buildQbxml({ type: 'CustomerQuery', requestID: 'q-cust-1', iterator: 'Start', data }), compact(B1_REQUEST_START));
  assert.equal(
    buildQbxml({
      type: 'CustomerQuery',
      requestID: 'q-cust-2',
      iterator: 'Continue',
      iteratorID: '{5d2f0c8e-71a4-4b39-a6e2-0f9b8c3d4e51}',
      data,
    }),
    compact(B1_REQUEST_CONTINUE),
  );
});

test('TermsQuery and AccountQuery: the list filters in schema order, no iterator, no OwnerID', () => {
  for (const type of ['TermsQuery', 'AccountQuery'] as const) {
    const xml = buildRequestElement({ type, data: { ToModifiedDate: '2024-06-30T23:59:59', ActiveStatus: 'All', FromModifiedDate: '2024-06-01T00:00:00' } });
    assert.deepEqual(childNames(xml, `${type}Rq`), ['ActiveStatus', 'FromModifiedDate', 'ToModifiedDate']);
    assert.throws(() => buildRequestElement({ type, iterator: 'Start', data: {} } as never), /only queries take an iterator/);
    assert.throws(() => buildRequestElement({ type, data: { OwnerID: '0' } } as never), /OwnerID/);
  }
});

test('ItemServiceAdd puts SalesOrPurchase last with Desc, Price, AccountRef in schema order', () => {
  const xml = buildRequestElement({
    type: 'ItemServiceAdd',
    data: {
      SalesOrPurchase: { AccountRef: 'Service Income', Price: 85, Desc: 'On-site installation' },
      SalesTaxCodeRef: 'Non',
      IsActive: true,
      Name: 'Install Labor',
    },
  });
  assert.deepEqual(childNames(xml, 'ItemServiceAdd'), ['Name', 'IsActive', 'SalesTaxCodeRef', 'SalesOrPurchase']);
  assert.deepEqual(childNames(xml, 'SalesOrPurchase'), ['Desc', 'Price', 'AccountRef']);
  assert.equal(textOf(xml, 'Price'), '85.00');
});

test('ItemNonInventoryAdd puts ManufacturerPartNumber after ParentRef and before SalesTaxCodeRef', () => {
  const xml = buildRequestElement({
    type: 'ItemNonInventoryAdd',
    data: {
      SalesAndPurchase: { ExpenseAccountRef: 'COGS', IncomeAccountRef: 'Sales', SalesPrice: 4 },
      SalesTaxCodeRef: 'Tax',
      ManufacturerPartNumber: 'GW-01',
      ParentRef: 'Wrapping',
      Name: 'Gift Wrap',
    },
  });
  assert.deepEqual(childNames(xml, 'ItemNonInventoryAdd'), [
    'Name',
    'ParentRef',
    'ManufacturerPartNumber',
    'SalesTaxCodeRef',
    'SalesAndPurchase',
  ]);
  assert.deepEqual(childNames(xml, 'SalesAndPurchase'), ['SalesPrice', 'IncomeAccountRef', 'ExpenseAccountRef']);
});

test('InvoiceMod starts with TxnID and EditSequence and orders its lines', () => {
  const xml = buildRequestElement({
    type: 'InvoiceMod',
    requestID: 'm1',
    data: {
      InvoiceLineMod: { Amount: 3, TxnLineID: '-1', ItemRef: { ListID: 'I1' } },
      Memo: 'changed',
      TermsRef: 'Net 30',
      EditSequence: '1718900000',
      TxnID: '1A2F-1718900000',
    },
  });
  assert.deepEqual(childNames(xml, 'InvoiceMod'), ['TxnID', 'EditSequence', 'TermsRef', 'Memo', 'InvoiceLineMod']);
  assert.deepEqual(childNames(xml, 'InvoiceLineMod'), ['TxnLineID', 'ItemRef', 'Amount']);
});

test('InvoiceAdd with TermsRef places it after PONumber and before Memo', () => {
  const xml = buildRequestElement({
    type: 'InvoiceAdd',
    data: { Memo: 'm', TermsRef: { FullName: 'Net 30' }, PONumber: 'P', TxnDate: '2024-01-02', CustomerRef: 'C' },
  });
  assert.deepEqual(childNames(xml, 'InvoiceAdd'), ['CustomerRef', 'TxnDate', 'PONumber', 'TermsRef', 'Memo']);
});

test('a Ref with both ListID and FullName writes ListID first', () => {
  const xml = buildRequestElement({ type: 'InvoiceAdd', data: { CustomerRef: { FullName: 'Baker', ListID: '8-1' } } });
  assert.match(xml, /<CustomerRef><ListID>8-1<\/ListID><FullName>Baker<\/FullName><\/CustomerRef>/);
});

test('list queries: FullName list, NameFilter and ActiveStatus are written in schema order', () => {
  const byName = buildRequestElement({ type: 'ItemQuery', data: { FullName: ['Shipping', 'Widgets:WID-2000'], OwnerID: '0' } });
  assert.equal(
    byName,
    '<ItemQueryRq><FullName>Shipping</FullName><FullName>Widgets:WID-2000</FullName><OwnerID>0</OwnerID></ItemQueryRq>',
  );
  const filtered = buildRequestElement({
    type: 'CustomerQuery',
    data: { NameFilter: { Name: 'Bak', MatchCriterion: 'StartsWith' }, ActiveStatus: 'All', MaxReturned: 50 },
  });
  assert.deepEqual(childNames(filtered, 'CustomerQueryRq'), ['MaxReturned', 'ActiveStatus', 'NameFilter']);
  assert.deepEqual(childNames(filtered, 'NameFilter'), ['MatchCriterion', 'Name']);
});

test('transaction queries: TxnDateRangeFilter, RefNumber and IncludeLineItems', () => {
  const byDate = buildRequestElement({
    type: 'ReceivePaymentQuery',
    data: { IncludeLineItems: true, TxnDateRangeFilter: { ToTxnDate: '2024-06-30', FromTxnDate: '2024-06-01' }, MaxReturned: 10 },
  });
  assert.equal(
    byDate,
    '<ReceivePaymentQueryRq><MaxReturned>10</MaxReturned><TxnDateRangeFilter><FromTxnDate>2024-06-01</FromTxnDate>' +
      '<ToTxnDate>2024-06-30</ToTxnDate></TxnDateRangeFilter><IncludeLineItems>true</IncludeLineItems></ReceivePaymentQueryRq>',
  );
  const byRef = buildRequestElement({ type: 'InvoiceQuery', data: { IncludeLineItems: false, RefNumber: 'WEB-10077' } });
  assert.equal(byRef, '<InvoiceQueryRq><RefNumber>WEB-10077</RefNumber><IncludeLineItems>false</IncludeLineItems></InvoiceQueryRq>');
});

test('several requests share one message set in the given order', () => {
  const xml = buildQbxml(
    [
      { type: 'CustomerAdd', requestID: '1', data: { Name: 'A' } },
      { type: 'CustomerQuery', requestID: '2', data: { FullName: 'A' } },
    ],
    { onError: 'continueOnError' },
  );
  assert.deepEqual(childNames(xml, 'QBXMLMsgsRq'), ['CustomerAddRq', 'CustomerQueryRq']);
  assert.match(xml, /<QBXMLMsgsRq onError="continueOnError">/);
  assert.ok(xml.startsWith('<?xml version="1.0" encoding="utf-8"?><?qbxml version="13.0"?><QBXML>'));
});

test('escapes & < > " \' in text and in the requestID attribute', () => {
  const xml = buildRequestElement({ type: 'CustomerAdd', requestID: 'a"<b>&\'', data: { Name: `Tom & "Jerry's" <Co>` } });
  assert.equal(textOf(xml, 'Name'), 'Tom &amp; &quot;Jerry&apos;s&quot; &lt;Co&gt;');
  assert.match(xml, /requestID="a&quot;&lt;b&gt;&amp;&apos;"/);
});

test('transliterates text to ISO-8859-1 and keeps Latin-1 letters', () => {
  const xml = buildRequestElement({ type: 'CustomerAdd', data: { Name: 'Škoda “Café” – Łódź ☃' } });
  assert.equal(textOf(xml, 'Name'), 'Skoda &quot;Café&quot; - Lódz ?');
});

test('over-long identity fields throw a QbxmlBuildError naming the field', () => {
  const name42 = 'x'.repeat(42);
  assert.throws(
    () => buildRequestElement({ type: 'CustomerAdd', data: { Name: name42 } }),
    (e: unknown) => e instanceof QbxmlBuildError && e.field === 'CustomerAdd.Name' && /at most 41/.test(e.message),
  );
  assert.doesNotThrow(() => buildRequestElement({ type: 'CustomerAdd', data: { Name: 'x'.repeat(41) } }));
  assert.throws(() => buildRequestElement({ type: 'ItemServiceAdd', data: { Name: 'y'.repeat(32) } }), /ItemServiceAdd\.Name.*at most 31/);
  assert.throws(
    () => buildRequestElement({ type: 'InvoiceAdd', data: { CustomerRef: 'C', RefNumber: 'WEB-1234567X' } }),
    /InvoiceAdd\.RefNumber.*at most 11/,
  );
  assert.throws(
    () => buildRequestElement({ type: 'InvoiceAdd', data: { CustomerRef: { FullName: 'z'.repeat(210) } } }),
    /InvoiceAdd\.CustomerRef\.FullName.*at most 209/,
  );
});

test('length is counted after transliteration', () => {
  // 39 letters + "…" (→ "...") = 42 characters in Latin-1
  assert.throws(() => buildRequestElement({ type: 'CustomerAdd', data: { Name: `${'a'.repeat(39)}…` } }), /is 42 characters/);
});

test('over-long descriptive text is truncated to its limit', () => {
  const xml = buildRequestElement({
    type: 'InvoiceAdd',
    data: {
      CustomerRef: 'C',
      Memo: 'm'.repeat(5000),
      BillAddress: { Addr1: 'a'.repeat(60) },
      InvoiceLineAdd: [{ Desc: 'd'.repeat(4100), Amount: 1 }],
    },
  });
  assert.equal(textOf(xml, 'Memo').length, 4095);
  assert.equal(textOf(xml, 'Addr1').length, 41);
  assert.equal(textOf(xml, 'Desc').length, 4095);
});

test('truncation never cuts an escape sequence', () => {
  const xml = buildRequestElement({ type: 'CustomerAdd', data: { Name: 'N', CompanyName: `${'c'.repeat(40)}&more` } });
  assert.equal(textOf(xml, 'CompanyName'), `${'c'.repeat(40)}&amp;`);
});

test('money is written with two decimals, rounded half away from zero', () => {
  const amount = (v: number | string): string =>
    textOf(buildRequestElement({ type: 'ReceivePaymentAdd', data: { CustomerRef: 'C', TotalAmount: v } }), 'TotalAmount');
  assert.equal(amount(104.9), '104.90');
  assert.equal(amount(1.005), '1.01');
  assert.equal(amount('12'), '12.00');
  assert.equal(amount(-2.5), '-2.50');
  assert.equal(amount(0), '0.00');
});

test('prices keep up to five decimals, quantities have no trailing zeros', () => {
  const xml = buildRequestElement({
    type: 'InvoiceAdd',
    data: { CustomerRef: 'C', InvoiceLineAdd: [{ Rate: 0.123456, Quantity: 1.5 }, { Rate: 85, Quantity: 2 }] },
  });
  assert.match(xml, /<Quantity>1\.5<\/Quantity><Rate>0\.12346<\/Rate>/);
  assert.match(xml, /<Quantity>2<\/Quantity><Rate>85\.00<\/Rate>/);
});

test('a non-numeric amount throws naming the field', () => {
  assert.throws(
    () => buildRequestElement({ type: 'InvoiceAdd', data: { CustomerRef: 'C', InvoiceLineAdd: [{ Amount: 1 }, { Amount: 'ten' }] } }),
    (e: unknown) => e instanceof QbxmlBuildError && e.field === 'InvoiceAdd.InvoiceLineAdd[1].Amount',
  );
});

test('unknown fields are rejected with their path', () => {
  assert.throws(
    () => buildRequestElement({ type: 'CustomerAdd', data: { Name: 'A', Mobile: '1' } as never }),
    /CustomerAdd\.Mobile: unknown field/,
  );
});

test('missing required fields are rejected', () => {
  assert.throws(() => buildRequestElement({ type: 'InvoiceMod', data: { TxnID: 'T' } as never }), /InvoiceMod\.EditSequence: is required/);
  assert.throws(() => buildRequestElement({ type: 'InvoiceAdd', data: {} as never }), /InvoiceAdd\.CustomerRef: is required/);
});

test('schema alternatives cannot be mixed', () => {
  assert.throws(
    () => buildRequestElement({ type: 'CustomerQuery', data: { ListID: '8-1', MaxReturned: 5 } }),
    /MaxReturned: cannot be combined with ListID/,
  );
  assert.throws(
    () =>
      buildRequestElement({
        type: 'InvoiceQuery',
        data: { ModifiedDateRangeFilter: { FromModifiedDate: '2024-01-01' }, TxnDateRangeFilter: { FromTxnDate: '2024-01-01' } },
      }),
    /TxnDateRangeFilter: cannot be combined with ModifiedDateRangeFilter/,
  );
  assert.throws(
    () => buildRequestElement({ type: 'InvoiceAdd', data: { CustomerRef: 'C', InvoiceLineAdd: { Rate: 1, RatePercent: 5 } } }),
    /RatePercent: cannot be combined with Rate/,
  );
});

test('iterator attributes are validated', () => {
  assert.throws(() => buildRequestElement({ type: 'CustomerQuery', iterator: 'Continue' }), /iteratorID: is required/);
  assert.throws(
    () => buildRequestElement({ type: 'CustomerAdd', iterator: 'Start', data: { Name: 'A' } } as never),
    /only queries take an iterator/,
  );
});

test('dates and date-times are validated and normalised', () => {
  assert.throws(() => buildRequestElement({ type: 'InvoiceAdd', data: { CustomerRef: 'C', TxnDate: '2024-02-30' } }), /TxnDate: expected a date/);
  const q = buildRequestElement({
    type: 'CustomerQuery',
    data: { FromModifiedDate: '2024-06-01T00:00:00Z', ToModifiedDate: new Date(Date.UTC(2024, 5, 30, 23, 59, 59)) },
  });
  assert.equal(textOf(q, 'FromModifiedDate'), '2024-06-01T00:00:00+00:00');
  assert.equal(textOf(q, 'ToModifiedDate'), '2024-06-30T23:59:59+00:00');
  const withOffset = buildRequestElement({ type: 'ItemQuery', data: { FromModifiedDate: '2024-06-01T08:02-05:00' } });
  assert.equal(textOf(withOffset, 'FromModifiedDate'), '2024-06-01T08:02:00-05:00');
});

test('enum values are checked', () => {
  assert.throws(() => buildRequestElement({ type: 'CustomerQuery', data: { ActiveStatus: 'Everything' as never } }), /ActiveOnly\|InactiveOnly\|All/);
});

test('a non-repeating field given an array is rejected', () => {
  assert.throws(() => buildRequestElement({ type: 'CustomerAdd', data: { Name: ['A', 'B'] as never } }), /does not repeat/);
});

test('NameFilter and NameRangeFilter cannot be combined', () => {
  assert.throws(
    () => buildRequestElement({ type: 'ItemQuery', data: { NameFilter: { MatchCriterion: 'Contains', Name: 'a' }, NameRangeFilter: { FromName: 'a' } } }),
    /NameRangeFilter: cannot be combined with NameFilter/,
  );
});

test('output is identical for 50 random key orders of a nested InvoiceAdd', () => {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const shuffle = <T>(value: T): T => {
    if (Array.isArray(value)) return value.map(shuffle) as T;
    if (value && typeof value === 'object') {
      const keys = Object.keys(value).sort(() => rand() - 0.5);
      const out: Record<string, unknown> = {};
      for (const k of keys) out[k] = shuffle((value as Record<string, unknown>)[k]);
      return out as T;
    }
    return value;
  };
  const expected = buildQbxml(invoiceRequest);
  for (let i = 0; i < 50; i++) assert.equal(buildQbxml(shuffle(invoiceRequest)), expected);
});
