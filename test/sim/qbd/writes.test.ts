import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ask1, customerAdd, newCompany, val } from './testkit';
import type { QbdCompany } from './company';

const SEED = {
  customers: [{ Name: 'Baker & Sons', TermsName: 'Net 30' }, { Name: 'Northwind Cafe' }],
  items: [
    { type: 'ItemInventory' as const, Name: 'WID-2000', Price: 49.95, Desc: 'Widget Pro 2000, black' },
    { type: 'ItemOtherCharge' as const, Name: 'Shipping' },
  ],
};

function invoiceAdd(company: QbdCompany, lines: string, header = '<TxnDate>2024-06-20</TxnDate><RefNumber>WEB-10077</RefNumber>') {
  return ask1(company, `<InvoiceAddRq requestID="x-inv"><InvoiceAdd><CustomerRef><FullName>Baker &amp; Sons</FullName></CustomerRef>${header}${lines}</InvoiceAdd></InvoiceAddRq>`);
}
const WIDGET_LINES =
  '<InvoiceLineAdd><ItemRef><FullName>WID-2000</FullName></ItemRef><Quantity>2</Quantity><Rate>49.95</Rate></InvoiceLineAdd>' +
  '<InvoiceLineAdd><ItemRef><FullName>Shipping</FullName></ItemRef><Amount>5.00</Amount></InvoiceLineAdd>';

test('CustomerAdd returns CustomerRet with ListID, EditSequence, FullName and stores it', () => {
  const { company } = newCompany();
  const rs = ask1(company, customerAdd('Baker &amp; Sons (CRM-00917)', '<CompanyName>Baker &amp; Sons LLC</CompanyName><BillAddress><Addr1>12 Mill Road</Addr1><City>Springfield</City></BillAddress><Email>ap@b.example</Email>', 'x-cust-43'));
  assert.equal(rs.code, 0);
  assert.equal(rs.attrs.requestID, 'x-cust-43');
  assert.equal(val(rs.records[0], 'FullName'), 'Baker & Sons (CRM-00917)');
  assert.equal(val(rs.records[0], 'BillAddress/City'), 'Springfield');
  assert.equal(company.count('Customer'), 1);
  assert.equal(company.all('Customer')[0]?.Email, 'ap@b.example');
});

test('CustomerAdd with a name already in use, in another case, gives 3100 and adds nothing', () => {
  const { company } = newCompany({ seed: { customers: [{ Name: 'Baker & Sons' }] } });
  const rs = ask1(company, customerAdd('BAKER &amp; sons', '', 'x-cust-42'));
  assert.equal(rs.code, 3100);
  assert.equal(rs.attrs.statusSeverity, 'Error');
  assert.equal(rs.attrs.statusMessage, 'The name "BAKER & sons" of the list element is already in use.');
  assert.equal(rs.records.length, 0);
  assert.equal(company.count('Customer'), 1);
});

test('customer names share one name space with vendors, employees and other names (3100)', () => {
  const { company } = newCompany({ seed: { otherNames: ['Acme Supplies'] } });
  assert.equal(ask1(company, customerAdd('acme supplies')).code, 3100);
});

test('a job under a customer may reuse a name that exists elsewhere in the tree', () => {
  const { company } = newCompany({ seed: { customers: [{ Name: 'Baker' }, { Name: 'Kitchen' }] } });
  const rs = ask1(company, customerAdd('Kitchen', '<ParentRef><FullName>Baker</FullName></ParentRef>'));
  assert.equal(rs.code, 0);
  assert.equal(val(rs.records[0], 'FullName'), 'Baker:Kitchen');
  assert.equal(val(rs.records[0], 'Sublevel'), '1');
});

test('a string longer than its limit gives 3070 (never truncated)', () => {
  const { company } = newCompany();
  const rs = ask1(company, customerAdd('x'.repeat(42)));
  assert.equal(rs.code, 3070);
  assert.match(rs.attrs.statusMessage as string, /field "Name" is too long/);
  assert.equal(company.count('Customer'), 0);
  assert.equal(ask1(company, customerAdd('x'.repeat(41))).code, 0);
});

test('RefNumber longer than 11 gives 3070 on InvoiceAdd', () => {
  const { company } = newCompany({ seed: SEED });
  assert.equal(invoiceAdd(company, WIDGET_LINES, '<RefNumber>WEB-1234567X</RefNumber>').code, 3070);
  assert.equal(company.count('Invoice'), 0);
});

test('ItemServiceAdd and ItemNonInventoryAdd; a duplicate item name gives 3100 across item types', () => {
  const { company } = newCompany({ seed: SEED });
  const svc = ask1(company, '<ItemServiceAddRq><ItemServiceAdd><Name>Install Labor</Name><SalesOrPurchase><Desc>Per hour</Desc><Price>85.00</Price><AccountRef><FullName>Service Income</FullName></AccountRef></SalesOrPurchase></ItemServiceAdd></ItemServiceAddRq>');
  assert.equal(svc.code, 0);
  assert.equal(svc.records[0]?.name, 'ItemServiceRet');
  assert.equal(val(svc.records[0], 'SalesOrPurchase/Price'), '85.00');
  const dup = ask1(company, '<ItemNonInventoryAddRq><ItemNonInventoryAdd><Name>wid-2000</Name><SalesOrPurchase><AccountRef><FullName>Merchandise Sales</FullName></AccountRef></SalesOrPurchase></ItemNonInventoryAdd></ItemNonInventoryAddRq>');
  assert.equal(dup.code, 3100);
});

test('an item whose AccountRef does not exist gives 3140', () => {
  const { company } = newCompany();
  const rs = ask1(company, '<ItemServiceAddRq><ItemServiceAdd><Name>Labor</Name><SalesOrPurchase><AccountRef><FullName>Nope</FullName></AccountRef></SalesOrPurchase></ItemServiceAdd></ItemServiceAddRq>');
  assert.equal(rs.code, 3140);
  assert.match(rs.attrs.statusMessage as string, /invalid reference to QuickBooks Account "Nope"/);
});

test('InvoiceAdd computes line amounts, Subtotal and BalanceRemaining, and due date from terms', () => {
  const { company } = newCompany({ seed: SEED });
  const rs = invoiceAdd(company, WIDGET_LINES);
  assert.equal(rs.code, 0);
  const inv = rs.records[0];
  assert.equal(val(inv, 'Subtotal'), '104.90');
  assert.equal(val(inv, 'BalanceRemaining'), '104.90');
  assert.equal(val(inv, 'IsPaid'), 'false');
  assert.equal(val(inv, 'TermsRef/FullName'), 'Net 30');
  assert.equal(val(inv, 'DueDate'), '2024-07-20');
  const lines = inv?.children.filter((c) => c.name === 'InvoiceLineRet') ?? [];
  assert.deepEqual(lines.map((l) => val(l, 'Amount')), ['99.90', '5.00']);
  assert.equal(val(lines[0], 'Desc'), 'Widget Pro 2000, black');
  assert.equal(company.get('Customer', 'Baker & Sons')?.Balance, 104.9);
});

test('InvoiceAdd referencing a missing item gives 3140 naming the item, and adds nothing', () => {
  const { company } = newCompany({ seed: SEED });
  const rs = invoiceAdd(company, '<InvoiceLineAdd><ItemRef><FullName>WID-9000</FullName></ItemRef><Quantity>1</Quantity></InvoiceLineAdd>');
  assert.equal(rs.code, 3140);
  assert.match(rs.attrs.statusMessage as string, /^There is an invalid reference to QuickBooks Item "WID-9000" in the Invoice line\./);
  assert.equal(company.count('Invoice'), 0);
});

test('InvoiceAdd for a missing customer gives 3140', () => {
  const { company } = newCompany({ seed: SEED });
  const rs = ask1(company, '<InvoiceAddRq><InvoiceAdd><CustomerRef><ListID>80000099-1</ListID></CustomerRef></InvoiceAdd></InvoiceAddRq>');
  assert.equal(rs.code, 3140);
  assert.match(rs.attrs.statusMessage as string, /QuickBooks Customer "80000099-1"/);
});

test('InvoiceMod with the current EditSequence changes the invoice and issues a new EditSequence', () => {
  const { company, clock } = newCompany({ seed: SEED });
  const inv = invoiceAdd(company, WIDGET_LINES).records[0];
  const txnId = val(inv, 'TxnID') as string;
  const seq = val(inv, 'EditSequence') as string;
  clock.advance(60);
  const lineId = val(inv, 'InvoiceLineRet/TxnLineID') as string;
  const rs = ask1(company, `<InvoiceModRq><InvoiceMod><TxnID>${txnId}</TxnID><EditSequence>${seq}</EditSequence><Memo>changed</Memo><InvoiceLineMod><TxnLineID>${lineId}</TxnLineID><Quantity>3</Quantity></InvoiceLineMod></InvoiceMod></InvoiceModRq>`);
  assert.equal(rs.code, 0);
  assert.equal(val(rs.records[0], 'Memo'), 'changed');
  assert.equal(val(rs.records[0], 'Subtotal'), '149.85', 'shipping line dropped, widget line 3 × 49.95');
  assert.notEqual(val(rs.records[0], 'EditSequence'), seq);
  assert.equal(val(rs.records[0], 'TimeModified'), '2024-06-20T16:41:00-05:00');
});

test('InvoiceMod with a stale EditSequence gives 3200 and changes nothing', () => {
  const { company, clock } = newCompany({ seed: SEED });
  const inv = invoiceAdd(company, WIDGET_LINES).records[0];
  const txnId = val(inv, 'TxnID') as string;
  const seq = val(inv, 'EditSequence') as string;
  const mod = (es: string, memo: string) =>
    ask1(company, `<InvoiceModRq requestID="x-mod-5"><InvoiceMod><TxnID>${txnId}</TxnID><EditSequence>${es}</EditSequence><Memo>${memo}</Memo></InvoiceMod></InvoiceModRq>`);
  assert.equal(mod(seq, 'first').code, 0);
  clock.advance(1);
  const stale = mod(seq, 'second');
  assert.equal(stale.code, 3200);
  assert.equal(stale.attrs.statusMessage, `The provided edit sequence "${seq}" is out-of-date.`);
  assert.equal(company.get('Invoice', txnId)?.Memo, 'first');
});

test('InvoiceMod of an unknown TxnID gives 3120', () => {
  const { company } = newCompany({ seed: SEED });
  assert.equal(ask1(company, '<InvoiceModRq><InvoiceMod><TxnID>FFFF-1</TxnID><EditSequence>1</EditSequence></InvoiceMod></InvoiceModRq>').code, 3120);
});

test('ReceivePaymentAdd applies to the invoice: BalanceRemaining falls, IsPaid when settled', () => {
  const { company } = newCompany({ seed: SEED });
  const txnId = val(invoiceAdd(company, WIDGET_LINES).records[0], 'TxnID') as string;
  const pay = (amount: string) =>
    ask1(company, `<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Baker &amp; Sons</FullName></CustomerRef><TxnDate>2024-06-21</TxnDate><RefNumber>CHK-8841</RefNumber><TotalAmount>${amount}</TotalAmount><PaymentMethodRef><FullName>Check</FullName></PaymentMethodRef><AppliedToTxnAdd><TxnID>${txnId}</TxnID><PaymentAmount>${amount}</PaymentAmount></AppliedToTxnAdd></ReceivePaymentAdd></ReceivePaymentAddRq>`);
  const first = pay('100.00');
  assert.equal(first.code, 0);
  assert.equal(val(first.records[0], 'AppliedToTxnRet/BalanceRemaining'), '4.90');
  assert.equal(company.get('Invoice', txnId)?.IsPaid, false);
  assert.equal(pay('4.90').code, 0);
  const inv = company.get('Invoice', txnId);
  assert.equal(inv?.BalanceRemaining, 0);
  assert.equal(inv?.IsPaid, true);
  assert.equal(company.get('Customer', 'Baker & Sons')?.Balance, 0);
  assert.equal(company.count('ReceivePayment'), 2);
});

test('paying more than the amount due gives 3210 and changes nothing', () => {
  const { company } = newCompany({ seed: SEED });
  const txnId = val(invoiceAdd(company, WIDGET_LINES).records[0], 'TxnID') as string;
  const rs = ask1(company, `<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Baker &amp; Sons</FullName></CustomerRef><TotalAmount>200.00</TotalAmount><AppliedToTxnAdd><TxnID>${txnId}</TxnID><PaymentAmount>200.00</PaymentAmount></AppliedToTxnAdd></ReceivePaymentAdd></ReceivePaymentAddRq>`);
  assert.equal(rs.code, 3210);
  assert.equal(company.count('ReceivePayment'), 0);
  assert.equal(company.get('Invoice', txnId)?.BalanceRemaining, 104.9);
});

test('a payment method that does not exist gives 3140', () => {
  const { company } = newCompany({ seed: SEED });
  const rs = ask1(company, '<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Northwind Cafe</FullName></CustomerRef><TotalAmount>1.00</TotalAmount><PaymentMethodRef><FullName>Bitcoin</FullName></PaymentMethodRef></ReceivePaymentAdd></ReceivePaymentAddRq>');
  assert.equal(rs.code, 3140);
});

test('InvoiceQuery: TxnDateRangeFilter is inclusive at both ends', () => {
  const { company } = newCompany({ seed: SEED });
  for (const [ref, day] of [['A', '2024-05-31'], ['B', '2024-06-01'], ['C', '2024-06-30'], ['D', '2024-07-01']]) {
    invoiceAdd(company, WIDGET_LINES, `<TxnDate>${day}</TxnDate><RefNumber>${ref}</RefNumber>`);
  }
  const rs = ask1(company, '<InvoiceQueryRq><TxnDateRangeFilter><FromTxnDate>2024-06-01</FromTxnDate><ToTxnDate>2024-06-30</ToTxnDate></TxnDateRangeFilter></InvoiceQueryRq>');
  assert.deepEqual(rs.records.map((r) => val(r, 'RefNumber')), ['B', 'C']);
  assert.equal(val(rs.records[0], 'InvoiceLineRet/TxnLineID'), undefined, 'lines only with IncludeLineItems');
});

test('InvoiceQuery: ModifiedDateRangeFilter is inclusive and honours offsets', () => {
  const { company, clock } = newCompany({ seed: SEED });
  clock.set('2024-06-01T00:00:00-05:00');
  invoiceAdd(company, WIDGET_LINES, '<RefNumber>EDGE</RefNumber>');
  clock.set('2024-06-01T04:59:59Z');
  invoiceAdd(company, WIDGET_LINES, '<RefNumber>BEFORE</RefNumber>');
  const rs = ask1(company, '<InvoiceQueryRq><ModifiedDateRangeFilter><FromModifiedDate>2024-06-01T00:00:00</FromModifiedDate><ToModifiedDate>2024-06-01T05:00:00+00:00</ToModifiedDate></ModifiedDateRangeFilter><IncludeLineItems>true</IncludeLineItems></InvoiceQueryRq>');
  assert.deepEqual(rs.records.map((r) => val(r, 'RefNumber')), ['EDGE']);
  assert.ok(val(rs.records[0], 'InvoiceLineRet/TxnLineID'));
});

test('InvoiceQuery by RefNumber, EntityFilter and PaidStatus', () => {
  const { company } = newCompany({ seed: SEED });
  invoiceAdd(company, WIDGET_LINES, '<RefNumber>WEB-1</RefNumber>');
  assert.equal(ask1(company, '<InvoiceQueryRq><RefNumber>web-1</RefNumber></InvoiceQueryRq>').records.length, 1);
  assert.equal(ask1(company, '<InvoiceQueryRq><RefNumber>WEB-2</RefNumber></InvoiceQueryRq>').code, 1);
  assert.equal(ask1(company, '<InvoiceQueryRq><EntityFilter><FullName>Northwind Cafe</FullName></EntityFilter></InvoiceQueryRq>').code, 1);
  assert.equal(ask1(company, '<InvoiceQueryRq><EntityFilter><FullName>Baker &amp; Sons</FullName></EntityFilter><PaidStatus>NotPaidOnly</PaidStatus></InvoiceQueryRq>').records.length, 1);
  assert.equal(ask1(company, '<InvoiceQueryRq><PaidStatus>PaidOnly</PaidStatus></InvoiceQueryRq>').code, 1);
});

test('ReceivePaymentQuery returns AppliedToTxnRet only with IncludeLineItems', () => {
  const { company } = newCompany({ seed: SEED });
  const txnId = val(invoiceAdd(company, WIDGET_LINES).records[0], 'TxnID') as string;
  ask1(company, `<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Baker &amp; Sons</FullName></CustomerRef><TotalAmount>5.00</TotalAmount><AppliedToTxnAdd><TxnID>${txnId}</TxnID><PaymentAmount>5.00</PaymentAmount></AppliedToTxnAdd></ReceivePaymentAdd></ReceivePaymentAddRq>`);
  assert.equal(val(ask1(company, '<ReceivePaymentQueryRq/>').records[0], 'AppliedToTxnRet/TxnID'), undefined);
  assert.equal(val(ask1(company, '<ReceivePaymentQueryRq><IncludeLineItems>true</IncludeLineItems></ReceivePaymentQueryRq>').records[0], 'AppliedToTxnRet/TxnID'), txnId);
});
