import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ask1, newCompany, val } from './testkit';

function names(rs: { records: { children: { name: string; text: string }[] }[] }): string[] {
  return rs.records.map((r) => r.children.find((c) => c.name === 'Name')?.text ?? '');
}

const START = (max: number, extra = '') =>
  `<CustomerQueryRq requestID="p1" iterator="Start"><MaxReturned>${max}</MaxReturned><ActiveStatus>All</ActiveStatus>${extra}</CustomerQueryRq>`;
const CONTINUE = (id: string, max: number) =>
  `<CustomerQueryRq requestID="p2" iterator="Continue" iteratorID="${id}"><MaxReturned>${max}</MaxReturned><ActiveStatus>All</ActiveStatus></CustomerQueryRq>`;

test('an iterator pages through every customer exactly once, counting down', () => {
  const { company } = newCompany();
  company.seedCustomers(7);
  const first = ask1(company, START(3));
  assert.equal(first.code, 0);
  assert.equal(first.attrs.iteratorRemainingCount, '4');
  const id = first.attrs.iteratorID as string;
  assert.match(id, /^\{[0-9a-f-]{36}\}$/);
  const second = ask1(company, CONTINUE(id, 3));
  assert.equal(second.attrs.iteratorRemainingCount, '1');
  assert.equal(second.attrs.iteratorID, id);
  assert.equal(second.attrs.requestID, 'p2');
  const third = ask1(company, CONTINUE(id, 3));
  assert.equal(third.attrs.iteratorRemainingCount, '0');
  assert.deepEqual([...names(first), ...names(second), ...names(third)], Array.from({ length: 7 }, (_, i) => `Customer ${i}`));
});

test('continuing an iterator after its last page gives 3391', () => {
  const { company } = newCompany();
  company.seedCustomers(2);
  const first = ask1(company, START(2));
  assert.equal(first.attrs.iteratorRemainingCount, '0');
  const again = ask1(company, CONTINUE(first.attrs.iteratorID as string, 2));
  assert.equal(again.code, 3391);
});

test('an iterator used in a later session (new ticket) is stale: 3391 Error with the wire-example message', () => {
  const { company } = newCompany();
  company.seedCustomers(5);
  const id = ask1(company, START(2), 'ticket-A').attrs.iteratorID as string;
  const later = ask1(company, CONTINUE(id, 2), 'ticket-B');
  assert.equal(later.code, 3391);
  assert.equal(later.attrs.statusSeverity, 'Error');
  assert.equal(later.attrs.statusMessage, `The iteratorID "${id}" is not valid.`);
  assert.equal(later.records.length, 0);
});

test('an iterator does not survive a restart of QuickBooks', () => {
  const { company } = newCompany();
  company.seedCustomers(5);
  const id = ask1(company, START(2)).attrs.iteratorID as string;
  company.restart();
  assert.equal(ask1(company, CONTINUE(id, 2)).code, 3391);
});

test('an iterator older than iteratorTtlMs is invalid', () => {
  const { company, clock } = newCompany({ iteratorTtlMs: 10_000 });
  company.seedCustomers(5);
  const id = ask1(company, START(2)).attrs.iteratorID as string;
  clock.advance(11);
  assert.equal(ask1(company, CONTINUE(id, 2)).code, 3391);
});

test('an unknown iteratorID gives 3391', () => {
  const { company } = newCompany();
  company.seedCustomers(1);
  assert.equal(ask1(company, CONTINUE('{00000000-0000-0000-0000-000000000000}', 2)).code, 3391);
});

test('nothing matching gives status 1, Info, without records or iterator', () => {
  const { company } = newCompany();
  const rs = ask1(company, START(10));
  assert.equal(rs.code, 1);
  assert.equal(rs.attrs.statusSeverity, 'Info');
  assert.equal(rs.attrs.statusMessage, 'A query request did not find a matching object in QuickBooks');
  assert.equal(rs.attrs.iteratorID, undefined);
});

test('FullName that does not exist gives 500 Warn; the names that exist are still returned', () => {
  const { company } = newCompany({ seed: { customers: [{ Name: 'Baker & Sons' }] } });
  const rs = ask1(company, '<CustomerQueryRq requestID="q-find-3"><FullName>baker &amp; sons</FullName><FullName>Zed Unknown</FullName></CustomerQueryRq>');
  assert.equal(rs.code, 500);
  assert.equal(rs.attrs.statusSeverity, 'Warn');
  assert.match(rs.attrs.statusMessage as string, /\("Zed Unknown"\) that could not be found/);
  assert.deepEqual(names(rs), ['Baker & Sons']);
});

test('ActiveStatus defaults to ActiveOnly; InactiveOnly and All', () => {
  const { company } = newCompany({ seed: { customers: [{ Name: 'On' }, { Name: 'Off', IsActive: false }] } });
  assert.deepEqual(names(ask1(company, '<CustomerQueryRq/>')), ['On']);
  assert.deepEqual(names(ask1(company, '<CustomerQueryRq><ActiveStatus>InactiveOnly</ActiveStatus></CustomerQueryRq>')), ['Off']);
  assert.deepEqual(names(ask1(company, '<CustomerQueryRq><ActiveStatus>All</ActiveStatus></CustomerQueryRq>')), ['On', 'Off']);
});

test('FromModifiedDate / ToModifiedDate are inclusive to the second', () => {
  const { company } = newCompany({
    seed: {
      customers: [
        { Name: 'Before', TimeModified: '2024-06-01T07:59:59-05:00' },
        { Name: 'AtStart', TimeModified: '2024-06-01T08:00:00-05:00' },
        { Name: 'AtEnd', TimeModified: '2024-06-30T23:59:59-05:00' },
        { Name: 'After', TimeModified: '2024-07-01T00:00:00-05:00' },
      ],
    },
  });
  const rs = ask1(
    company,
    '<CustomerQueryRq><FromModifiedDate>2024-06-01T08:00:00-05:00</FromModifiedDate><ToModifiedDate>2024-06-30T23:59:59-05:00</ToModifiedDate></CustomerQueryRq>',
  );
  assert.deepEqual(names(rs), ['AtStart', 'AtEnd']);
});

test('a modified date without offset is read in the company time zone; with an offset it is honoured', () => {
  // Company at -05:00; record modified 2024-06-01T13:00:00Z = 08:00 local.
  const { company } = newCompany({ seed: { customers: [{ Name: 'X', TimeModified: '2024-06-01T13:00:00Z' }] } });
  const q = (from: string) => ask1(company, `<CustomerQueryRq><FromModifiedDate>${from}</FromModifiedDate></CustomerQueryRq>`).code;
  assert.equal(q('2024-06-01T08:00:00'), 0, 'local 08:00 is the record time');
  assert.equal(q('2024-06-01T08:00:01'), 1, 'one second later finds nothing');
  assert.equal(q('2024-06-01T13:00:00+00:00'), 0, 'same instant in UTC');
  assert.equal(q('2024-06-01T09:00:01-04:00'), 1, '13:00:01Z is after the record');
});

test('TimeModified is written in the company zone with its offset', () => {
  const { company } = newCompany({ utcOffsetMinutes: 60, seed: { customers: [{ Name: 'Z', TimeModified: '2024-06-01T13:00:00Z' }] } });
  const rs = ask1(company, '<CustomerQueryRq><FullName>Z</FullName></CustomerQueryRq>');
  assert.equal(val(rs.records[0], 'TimeModified'), '2024-06-01T14:00:00+01:00');
});

test('NameFilter matches FullName case-insensitively', () => {
  const { company } = newCompany({ seed: { customers: [{ Name: 'Baker & Sons' }, { Name: 'Bakery Two' }, { Name: 'Cake Baker' }] } });
  const q = (crit: string, name: string) =>
    names(ask1(company, `<CustomerQueryRq><NameFilter><MatchCriterion>${crit}</MatchCriterion><Name>${name}</Name></NameFilter></CustomerQueryRq>`));
  assert.deepEqual(q('StartsWith', 'bak'), ['Baker & Sons', 'Bakery Two']);
  assert.deepEqual(q('EndsWith', 'BAKER'), ['Cake Baker']);
  assert.deepEqual(q('Contains', 'ery'), ['Bakery Two']);
});

test('MaxReturned without an iterator caps the records', () => {
  const { company } = newCompany();
  company.seedCustomers(10);
  assert.equal(ask1(company, '<CustomerQueryRq><MaxReturned>4</MaxReturned></CustomerQueryRq>').records.length, 4);
});

test('ItemQuery returns mixed item types, with their own Ret element each', () => {
  const { company } = newCompany({
    seed: {
      items: [
        { type: 'ItemService', Name: 'Install Labor', Price: 85 },
        { type: 'ItemInventory', Name: 'WID-2000', Price: 49.95, QuantityOnHand: 37, ManufacturerPartNumber: 'ACM-WID-2000-BLK' },
        { type: 'ItemNonInventory', Name: 'Gift Wrap', Price: 4, IsActive: false },
        { type: 'ItemOtherCharge', Name: 'Shipping' },
        { type: 'ItemDiscount', Name: '10% Off', DiscountRatePercent: 10 },
      ],
    },
  });
  const rs = ask1(company, '<ItemQueryRq><ActiveStatus>All</ActiveStatus></ItemQueryRq>');
  assert.deepEqual(
    rs.records.map((r) => r.name),
    ['ItemServiceRet', 'ItemInventoryRet', 'ItemNonInventoryRet', 'ItemOtherChargeRet', 'ItemDiscountRet'],
  );
  assert.equal(val(rs.records[0], 'SalesOrPurchase/Price'), '85.00');
  assert.equal(val(rs.records[0], 'SalesOrPurchase/AccountRef/FullName'), 'Service Income');
  assert.equal(val(rs.records[1], 'SalesPrice'), '49.95');
  assert.equal(val(rs.records[1], 'QuantityOnHand'), '37');
  assert.equal(ask1(company, '<ItemQueryRq/>').records.length, 4, 'the inactive item only appears with All');
});

test('ListIDs and TxnIDs look like QuickBooks ones; EditSequence is the Unix time of the change', () => {
  const { company } = newCompany();
  const rs = ask1(company, '<CustomerAddRq><CustomerAdd><Name>New</Name></CustomerAdd></CustomerAddRq>');
  const rec = rs.records[0];
  assert.match(val(rec, 'ListID') as string, /^8[0-9A-F]{7}-1718919600$/);
  assert.equal(val(rec, 'EditSequence'), '1718919600');
  assert.equal(val(rec, 'TimeCreated'), '2024-06-20T16:40:00-05:00');
});

test('OwnerID 0 returns custom fields as DataExtRet; without it they are left out', () => {
  const { company } = newCompany({
    seed: { customers: [{ Name: 'Baker', DataExt: [{ DataExtName: 'ExternalRef', DataExtValue: 'CRM-00917' }] }] },
  });
  const withExt = ask1(company, '<CustomerQueryRq><FullName>Baker</FullName><OwnerID>0</OwnerID></CustomerQueryRq>');
  assert.equal(val(withExt.records[0], 'DataExtRet/DataExtValue'), 'CRM-00917');
  const without = ask1(company, '<CustomerQueryRq><FullName>Baker</FullName></CustomerQueryRq>');
  assert.equal(val(without.records[0], 'DataExtRet/DataExtValue'), undefined);
});

test('IncludeRetElement limits the elements returned', () => {
  const { company } = newCompany({ seed: { customers: [{ Name: 'Baker', Email: 'a@b.c' }] } });
  const rs = ask1(company, '<CustomerQueryRq><FullName>Baker</FullName><IncludeRetElement>ListID</IncludeRetElement><IncludeRetElement>Email</IncludeRetElement></CustomerQueryRq>');
  assert.deepEqual(rs.records[0]?.children.map((c) => c.name), ['ListID', 'Email']);
});

test('seedCustomers makes 100,000 customers and a page of 500 comes back', () => {
  const { company } = newCompany();
  company.seedCustomers(100_000);
  assert.equal(company.count('Customer'), 100_000);
  const rs = ask1(company, START(500));
  assert.equal(rs.records.length, 500);
  assert.equal(rs.attrs.iteratorRemainingCount, '99500');
});

test('TermsQuery and AccountQuery answer from the standard lists', () => {
  const { company } = newCompany();
  const terms = ask1(company, '<TermsQueryRq><FullName>Net 30</FullName></TermsQueryRq>');
  assert.equal(terms.records[0]?.name, 'StandardTermsRet');
  assert.equal(val(terms.records[0], 'StdDueDays'), '30');
  const income = ask1(company, '<AccountQueryRq><AccountType>Income</AccountType></AccountQueryRq>');
  assert.deepEqual(names(income), ['Service Income', 'Merchandise Sales', 'Shipping Income', 'Discounts Given']);
});

test('iterator="Stop" ends an iterator early', () => {
  const { company } = newCompany();
  company.seedCustomers(5);
  const id = ask1(company, START(2)).attrs.iteratorID as string;
  const stop = ask1(company, `<CustomerQueryRq iterator="Stop" iteratorID="${id}"/>`);
  assert.equal(stop.code, 0);
  assert.equal(ask1(company, CONTINUE(id, 2)).code, 3391);
});

test('an iterator started in one ticket keeps working across requests of that ticket only', () => {
  const { company } = newCompany();
  company.seedCustomers(6);
  const id = ask1(company, START(2), 'A').attrs.iteratorID as string;
  assert.equal(ask1(company, CONTINUE(id, 2), 'A').attrs.iteratorRemainingCount, '2');
  assert.equal(company.liveIterators, 1);
  company.endSession();
  assert.equal(company.liveIterators, 0);
  assert.equal(ask1(company, CONTINUE(id, 2), 'A').code, 3391);
});

test('VendorQuery, EmployeeQuery and OtherNameQuery by FullName answer who holds a name; a name none has is 500 Warn', () => {
  const { company } = newCompany({ seed: { vendors: ['Harbor Freight Co'], employees: [{ Name: 'Pat Lee', IsActive: false }], otherNames: ['Petty Cash'] } });
  const vendor = ask1(company, '<VendorQueryRq requestID="v"><FullName>harbor freight co</FullName></VendorQueryRq>');
  assert.equal(vendor.code, 0);
  assert.equal(vendor.records[0].name, 'VendorRet');
  assert.deepEqual(names(vendor), ['Harbor Freight Co']);
  const employee = ask1(company, '<EmployeeQueryRq requestID="e"><FullName>Pat Lee</FullName></EmployeeQueryRq>');
  assert.equal(employee.records[0].name, 'EmployeeRet');
  assert.equal(employee.records[0].children.find((c) => c.name === 'IsActive')?.text, 'false');
  assert.deepEqual(names(ask1(company, '<OtherNameQueryRq requestID="o"><FullName>Petty Cash</FullName></OtherNameQueryRq>')), ['Petty Cash']);
  assert.equal(ask1(company, '<VendorQueryRq requestID="n"><FullName>Petty Cash</FullName></VendorQueryRq>').code, 500);
  assert.equal(ask1(company, '<CustomerAddRq requestID="c"><CustomerAdd><Name>Pat Lee</Name></CustomerAdd></CustomerAddRq>').code, 3100);
});
