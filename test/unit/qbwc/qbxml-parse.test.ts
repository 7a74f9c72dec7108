import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQbxml, QbxmlParseError } from '../../../nodes/lib/company/qbwc/qbxml';
import type { QbxmlObject } from '../../../nodes/lib/company/qbwc/qbxml';
import {
  B1_CUSTOMER_EMPTY,
  B1_CUSTOMER_LAST_PAGE,
  B1_CUSTOMER_PAGE1,
  B1_CUSTOMER_STALE_ITERATOR,
  B2_ITEM_MIXED,
  B3_CUSTOMER_ADD_3100,
  B3_INVOICE_ADD_3140,
  B3_INVOICE_ADD_OK,
  WRAPPED_500_AND_3200,
} from './qbxml-wire-fixtures';

/** Plain-prototype deep copy, so deepEqual can compare with literals. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

function only<T>(items: readonly T[]): T {
  assert.equal(items.length, 1);
  return items[0] as T;
}

test('B1 page 1: status, iterator attributes and two CustomerRet records', () => {
  const msg = only(parseQbxml(B1_CUSTOMER_PAGE1).messages);
  assert.equal(msg.name, 'CustomerQueryRs');
  assert.equal(msg.requestID, 'q-cust-1');
  assert.equal(msg.statusCode, 0);
  assert.equal(msg.statusSeverity, 'Info');
  assert.equal(msg.statusMessage, 'Status OK');
  assert.equal(msg.iteratorRemainingCount, 1);
  assert.equal(msg.iteratorID, '{5d2f0c8e-71a4-4b39-a6e2-0f9b8c3d4e51}');
  assert.deepEqual(
    msg.records.map((r) => [r.type, r.data.Name]),
    [
      ['CustomerRet', 'Baker & Sons'],
      ['CustomerRet', 'Northwind Cafe'],
    ],
  );
});

test('B1 page 1: nested aggregates become objects, values stay strings, DataExtRet is an array', () => {
  const baker = parseQbxml(B1_CUSTOMER_PAGE1).messages[0]?.records[0]?.data as QbxmlObject;
  assert.deepEqual(plain(baker.BillAddress), {
    Addr1: 'Baker & Sons LLC',
    Addr2: '12 Mill Road',
    City: 'Springfield',
    State: 'IL',
    PostalCode: '62701',
  });
  assert.equal(baker.Balance, '125.00');
  assert.equal(baker.TimeModified, '2024-06-01T08:02:11-05:00');
  assert.deepEqual(plain(baker.DataExtRet), [
    { OwnerID: '0', DataExtName: 'ExternalRef', DataExtType: 'STR255TYPE', DataExtValue: 'CRM-00917' },
  ]);
  assert.equal('toString' in baker, false, 'record objects inherit no keys');
});

test('B1 last page: iteratorRemainingCount 0 and one record', () => {
  const msg = only(parseQbxml(B1_CUSTOMER_LAST_PAGE).messages);
  assert.equal(msg.iteratorRemainingCount, 0);
  assert.equal(only(msg.records).data.FullName, 'Zoe Martinez');
});

test('B1 empty result: status 1, Info, no records', () => {
  const msg = only(parseQbxml(B1_CUSTOMER_EMPTY).messages);
  assert.equal(msg.statusCode, 1);
  assert.equal(msg.statusSeverity, 'Info');
  assert.equal(msg.records.length, 0);
  assert.equal(msg.iteratorID, undefined);
});

test('B1 stale iterator: 3391 with the &quot; in the message decoded', () => {
  const msg = only(parseQbxml(B1_CUSTOMER_STALE_ITERATOR).messages);
  assert.equal(msg.statusCode, 3391);
  assert.equal(msg.statusSeverity, 'Error');
  assert.equal(msg.statusMessage, 'The iteratorID "{5d2f0c8e-71a4-4b39-a6e2-0f9b8c3d4e51}" is not valid.');
});

test('B2 mixed item types keep document order and their own shapes', () => {
  const msg = only(parseQbxml(B2_ITEM_MIXED).messages);
  assert.deepEqual(
    msg.records.map((r) => r.type),
    ['ItemServiceRet', 'ItemInventoryRet', 'ItemNonInventoryRet', 'ItemOtherChargeRet', 'ItemDiscountRet'],
  );
  const [service, inventory, nonInventory] = msg.records.map((r) => r.data);
  assert.equal((service?.SalesOrPurchase as QbxmlObject).Price, '85.00');
  assert.deepEqual(plain((service?.SalesOrPurchase as QbxmlObject).AccountRef), {
    ListID: '8000001A-1690000000',
    FullName: 'Service Income',
  });
  assert.equal(inventory?.SalesPrice, '49.95');
  assert.equal(inventory?.FullName, 'Widgets:WID-2000');
  assert.equal((inventory?.ParentRef as QbxmlObject).FullName, 'Widgets');
  assert.equal(nonInventory?.IsActive, 'false');
  assert.equal(nonInventory?.ManufacturerPartNumber, 'GW-01');
});

test('B3 CustomerAdd 3100: self-closing Rs with decoded message', () => {
  const msg = only(parseQbxml(B3_CUSTOMER_ADD_3100).messages);
  assert.equal(msg.name, 'CustomerAddRs');
  assert.equal(msg.requestID, 'x-cust-42');
  assert.equal(msg.statusCode, 3100);
  assert.equal(msg.statusMessage, 'The name "Baker & Sons" of the list element is already in use.');
  assert.equal(msg.records.length, 0);
});

test('B3 InvoiceAdd 3140', () => {
  const msg = only(parseQbxml(B3_INVOICE_ADD_3140).messages);
  assert.equal(msg.statusCode, 3140);
  assert.match(msg.statusMessage, /invalid reference to QuickBooks Item "WID-9000"/);
});

test('B3 500 Warn and 3200 Error in one message set', () => {
  const msgs = parseQbxml(WRAPPED_500_AND_3200).messages;
  assert.deepEqual(
    msgs.map((m) => [m.name, m.requestID, m.statusCode, m.statusSeverity]),
    [
      ['CustomerQueryRs', 'q-find-3', 500, 'Warn'],
      ['CustomerModRs', 'x-mod-5', 3200, 'Error'],
    ],
  );
  assert.match(msgs[0]?.statusMessage as string, /\("Zed Unknown"\)/);
});

test('B3 successful InvoiceAdd: InvoiceRet with its line as an array', () => {
  const msg = only(parseQbxml(B3_INVOICE_ADD_OK).messages);
  const inv = only(msg.records);
  assert.equal(inv.type, 'InvoiceRet');
  assert.equal(inv.data.TxnID, '1A2F-1718900000');
  assert.equal(inv.data.EditSequence, '1718900000');
  assert.equal((inv.data.CustomerRef as QbxmlObject).FullName, 'Baker & Sons');
  assert.deepEqual(plain(inv.data.InvoiceLineRet), [
    {
      TxnLineID: '1A31-1718900000',
      ItemRef: { ListID: '80000012-1690000002', FullName: 'Widgets:WID-2000' },
      Desc: 'Widget Pro 2000, black',
      Quantity: '2',
      Rate: '49.95',
      Amount: '99.90',
    },
  ]);
});

test('repeated elements become arrays in document order', () => {
  const xml =
    '<QBXML><QBXMLMsgsRs><InvoiceQueryRs statusCode="0" statusSeverity="Info" statusMessage="Status OK">' +
    '<InvoiceRet><TxnID>T</TxnID><Note>a</Note><Note>b</Note><Note>c</Note></InvoiceRet></InvoiceQueryRs></QBXMLMsgsRs></QBXML>';
  const rec = only(only(parseQbxml(xml).messages).records);
  assert.deepEqual(plain(rec.data.Note), ['a', 'b', 'c']);
});

test('attributes inside records are kept as @name, numeric character references decoded, CDATA kept raw', () => {
  const xml =
    '<QBXML><QBXMLMsgsRs><CustomerQueryRs statusCode="0" statusSeverity="Info" statusMessage="">' +
    '<CustomerRet><Name>Caf&#233; &#xE9;</Name><Notes><![CDATA[a < b & c]]></Notes><X unit="kg">5</X><Empty/></CustomerRet>' +
    '</CustomerQueryRs></QBXMLMsgsRs></QBXML>';
  const data = only(only(parseQbxml(xml).messages).records).data;
  assert.equal(data.Name, 'Café é');
  assert.equal(data.Notes, 'a < b & c');
  assert.deepEqual(plain(data.X), { '@unit': 'kg', '#text': '5' });
  assert.equal(data.Empty, '');
});

test('comments, the XML declaration, a BOM and CRLF line ends are accepted', () => {
  const xml = '\uFEFF<?xml version="1.0" ?>\r\n<!-- hi -->\r\n<QBXML>\r\n<QBXMLMsgsRs>\r\n<ItemQueryRs statusCode="1" statusSeverity="Info" statusMessage="none"/>\r\n</QBXMLMsgsRs>\r\n</QBXML>\r\n';
  assert.equal(only(parseQbxml(xml).messages).statusCode, 1);
});

test('a DOCTYPE is rejected outright', () => {
  const xml = '<?xml version="1.0"?><!DOCTYPE QBXML SYSTEM "file:///etc/passwd"><QBXML><QBXMLMsgsRs/></QBXML>';
  assert.throws(() => parseQbxml(xml), (e: unknown) => e instanceof QbxmlParseError && /DOCTYPE and ENTITY declarations are not allowed/.test(e.message) && e.position === 21);
});

test('an entity bomb (billion laughs) is rejected before any expansion', () => {
  const xml =
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n' +
    ' <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">\n]>\n<QBXML><QBXMLMsgsRs><CustomerQueryRs statusCode="0" statusMessage="&lol3;"/></QBXMLMsgsRs></QBXML>';
  assert.throws(() => parseQbxml(xml), /line 2, column 1 .*DOCTYPE and ENTITY declarations are not allowed/);
});

test('an undeclared entity reference is rejected with its position', () => {
  const xml = '<QBXML><QBXMLMsgsRs><CustomerQueryRs statusCode="0"><CustomerRet><Name>&lol3;</Name></CustomerRet></CustomerQueryRs></QBXMLMsgsRs></QBXML>';
  assert.throws(() => parseQbxml(xml), (e: unknown) => e instanceof QbxmlParseError && e.position === xml.indexOf('&lol3;') && /unknown entity &lol3;/.test(e.message));
});

test('a bare & in text is rejected', () => {
  const xml = '<QBXML><QBXMLMsgsRs><CustomerQueryRs statusCode="0"><CustomerRet><Name>A & B</Name></CustomerRet></CustomerQueryRs></QBXMLMsgsRs></QBXML>';
  assert.throws(() => parseQbxml(xml), QbxmlParseError);
});

test('an invalid numeric character reference is rejected', () => {
  const xml = '<QBXML><QBXMLMsgsRs><CustomerQueryRs statusCode="0"><CustomerRet><Name>&#0;</Name></CustomerRet></CustomerQueryRs></QBXMLMsgsRs></QBXML>';
  assert.throws(() => parseQbxml(xml), /invalid character reference &#0;/);
});

test('a mismatched closing tag is rejected with line and column', () => {
  const xml = '<QBXML>\n<QBXMLMsgsRs>\n<CustomerQueryRs statusCode="0">\n<CustomerRet><Name>x</Nam></CustomerRet>\n</CustomerQueryRs></QBXMLMsgsRs></QBXML>';
  assert.throws(
    () => parseQbxml(xml),
    (e: unknown) => e instanceof QbxmlParseError && e.line === 4 && e.column === 21 && /<\/Nam> does not match <Name>/.test(e.message),
  );
});

test('truncated input is rejected', () => {
  const cut = B1_CUSTOMER_PAGE1.slice(0, 600);
  assert.throws(() => parseQbxml(cut), /unexpected end of input|unterminated/);
});

test('unquoted attributes, duplicate attributes and text outside the root are rejected', () => {
  assert.throws(() => parseQbxml('<QBXML><QBXMLMsgsRs><XRs statusCode=0/></QBXMLMsgsRs></QBXML>'), /must be quoted/);
  assert.throws(() => parseQbxml('<QBXML><QBXMLMsgsRs><XRs statusCode="0" statusCode="1"/></QBXMLMsgsRs></QBXML>'), /duplicate attribute/);
  assert.throws(() => parseQbxml('junk<QBXML><QBXMLMsgsRs/></QBXML>'), /text outside the root element/);
  assert.throws(() => parseQbxml('<QBXML><QBXMLMsgsRs/></QBXML><QBXML/>'), /second root/);
});

test('a response message without statusCode and a non-QBXML root are rejected', () => {
  assert.throws(() => parseQbxml('<QBXML><QBXMLMsgsRs><CustomerQueryRs/></QBXMLMsgsRs></QBXML>'), /has no statusCode/);
  assert.throws(() => parseQbxml('<html><body/></html>'), /root element must be <QBXML>/);
  assert.throws(() => parseQbxml(''), /no <QBXML> root element/);
});

test('__proto__ and constructor element names are rejected and nothing is polluted', () => {
  const xml = '<QBXML><QBXMLMsgsRs><CustomerQueryRs statusCode="0"><CustomerRet><__proto__><polluted>yes</polluted></__proto__></CustomerRet></CustomerQueryRs></QBXMLMsgsRs></QBXML>';
  assert.throws(() => parseQbxml(xml), /the name "__proto__" is not allowed/);
  assert.throws(
    () => parseQbxml('<QBXML><QBXMLMsgsRs><CustomerQueryRs statusCode="0"><CustomerRet><constructor>1</constructor></CustomerRet></CustomerQueryRs></QBXMLMsgsRs></QBXML>'),
    /"constructor" is not allowed/,
  );
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('input longer than maxLength is refused before parsing', () => {
  assert.throws(() => parseQbxml(B1_CUSTOMER_PAGE1, { maxLength: 100 }), /characters; the limit is 100/);
});

test('nesting deeper than maxDepth is refused', () => {
  const deep = `<QBXML><QBXMLMsgsRs><XRs statusCode="0"><R>${'<a>'.repeat(100)}${'</a>'.repeat(100)}</R></XRs></QBXMLMsgsRs></QBXML>`;
  assert.throws(() => parseQbxml(deep), /nested deeper than 64/);
});

test('a page of 500 customers parses into 500 records', () => {
  const rets: string[] = [];
  for (let i = 0; i < 500; i++) {
    rets.push(
      `<CustomerRet><ListID>8000${i.toString(16).toUpperCase()}-1712345678</ListID><TimeModified>2024-06-01T08:02:11-05:00</TimeModified>` +
        `<EditSequence>${1717246931 + i}</EditSequence><Name>Customer ${i} &amp; Co</Name><FullName>Customer ${i} &amp; Co</FullName>` +
        `<IsActive>true</IsActive><BillAddress><Addr1>${i} Main St</Addr1><City>Springfield</City></BillAddress>` +
        `<Email>c${i}@example.com</Email><Balance>${i}.00</Balance></CustomerRet>`,
    );
  }
  const xml = `<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><CustomerQueryRs requestID="p" statusCode="0" statusSeverity="Info" statusMessage="Status OK" iteratorRemainingCount="99500" iteratorID="{x}">${rets.join('\n')}</CustomerQueryRs></QBXMLMsgsRs></QBXML>`;
  const msg = only(parseQbxml(xml).messages);
  assert.equal(msg.records.length, 500);
  assert.equal(msg.iteratorRemainingCount, 99500);
  const last = msg.records[499]?.data as QbxmlObject;
  assert.equal(last.Name, 'Customer 499 & Co');
  assert.equal((last.BillAddress as QbxmlObject).Addr1, '499 Main St');
});

test('a leaf keeps white space-only text; layout white space between elements is dropped', () => {
  const xml = '<QBXML><QBXMLMsgsRs><InvoiceQueryRs statusCode="0">\n<InvoiceRet>\n  <Memo>  </Memo>\n  <Other></Other>\n</InvoiceRet>\n</InvoiceQueryRs></QBXMLMsgsRs></QBXML>';
  const data = only(only(parseQbxml(xml).messages).records).data;
  assert.deepEqual(plain(data), { Memo: '  ', Other: '' });
});

test('the Host/Company/Preferences response of wire example A4 parses, SupportedQBXMLVersion as an array', () => {
  const hcp =
    '<?xml version="1.0" ?>\n<QBXML>\n<QBXMLMsgsRs>\n<HostQueryRs requestID="0" statusCode="0" statusSeverity="Info" statusMessage="Status OK">\n' +
    '<HostRet><ProductName>QuickBooks Premier 2019</ProductName><MajorVersion>29</MajorVersion><MinorVersion>0</MinorVersion><Country>US</Country><SupportedQBXMLVersion>12.0</SupportedQBXMLVersion><SupportedQBXMLVersion>13.0</SupportedQBXMLVersion><IsAutomaticLogin>false</IsAutomaticLogin><QBFileMode>SingleUser</QBFileMode></HostRet>\n' +
    '</HostQueryRs>\n<CompanyQueryRs requestID="1" statusCode="0" statusSeverity="Info" statusMessage="Status OK">\n' +
    '<CompanyRet><IsSampleCompany>false</IsSampleCompany><CompanyName>Acme Tools &amp; Supply</CompanyName><DataExtRet><OwnerID>{3B1E6A52-0C4F-4D6B-9E1A-7F20C5D8A913}</OwnerID><DataExtName>FileID</DataExtName><DataExtType>STR255TYPE</DataExtType><DataExtValue>{C0D9A2E4-5B71-4F3A-8E26-91B4D7F0A6C2}</DataExtValue></DataExtRet></CompanyRet>\n' +
    '</CompanyQueryRs>\n</QBXMLMsgsRs>\n</QBXML>\n';
  const [host, company] = parseQbxml(hcp).messages;
  assert.deepEqual(plain(host?.records[0]?.data.SupportedQBXMLVersion), ['12.0', '13.0']);
  assert.equal(company?.records[0]?.data.CompanyName, 'Acme Tools & Supply');
  assert.equal(((company?.records[0]?.data.DataExtRet as QbxmlObject[])[0] as QbxmlObject).DataExtValue, '{C0D9A2E4-5B71-4F3A-8E26-91B4D7F0A6C2}');
});

test('random corruptions of a wire example either parse or fail with QbxmlParseError, never anything else', () => {
  let seed = 42;
  const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  const alphabet = '<>/&;"\'=!?[]-# aZ\n';
  for (let i = 0; i < 3000; i++) {
    const chars = [...B2_ITEM_MIXED];
    for (let k = 0, edits = 1 + rand(4); k < edits; k++) {
      const at = rand(chars.length);
      const op = rand(3);
      if (op === 0) chars.splice(at, 1);
      else if (op === 1) chars.splice(at, 0, alphabet[rand(alphabet.length)] as string);
      else chars[at] = alphabet[rand(alphabet.length)] as string;
    }
    try {
      parseQbxml(chars.join(''));
    } catch (e) {
      assert.ok(e instanceof QbxmlParseError, `iteration ${i}: ${String(e)}`);
    }
  }
});
