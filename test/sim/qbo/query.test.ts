import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Company } from './entities';
import { QboFault } from './faults';
import { parseQuery, queryResponse } from './query';

function company(): Company {
  const c = new Company('1', { now: () => Date.parse('2026-01-10T12:00:00Z') });
  const acct = c.create('Account', { Name: 'Sales', AccountType: 'Income' }).Id;
  c.seed('Item', [
    { Name: "Bob's Cod", Sku: 'COD-1', UnitPrice: 10, IncomeAccountRef: { value: acct } },
    { Name: 'Salmon Fillet', Sku: 'SAL-1', UnitPrice: 25 },
    { Name: 'Salmon Whole', Sku: 'SAL-2', UnitPrice: 40 },
    { Name: 'Old Tuna', Sku: 'TUN-1', UnitPrice: 5, Active: false },
    { Name: 'Twin A', Sku: 'DUP' },
    { Name: 'Twin B', Sku: 'DUP' },
  ]);
  c.seed('Customer', [
    { DisplayName: 'Acme', PrimaryEmailAddr: { Address: 'Billing@Acme.com' } },
    { DisplayName: 'Gone', PrimaryEmailAddr: { Address: 'gone@x.com' }, Active: false },
  ]);
  return c;
}

function faultOf(fn: () => unknown): QboFault {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof QboFault);
    return err;
  }
  assert.fail('expected a QboFault');
}

const names = (r: Record<string, unknown>, e = 'Item') => ((r[e] as Array<{ Name?: string; DisplayName?: string }>) ?? []).map((x) => x.Name ?? x.DisplayName);

describe('simulator query language', () => {
  let c: Company;
  before(() => {
    c = company();
  });

  it('accepts lower-case keywords and entity names as node-quickbooks sends them', () => {
    const r = queryResponse(c, "select * from item where Sku = 'SAL-1' startposition 1 maxresults 1000");
    assert.deepEqual(names(r), ['Salmon Fillet']);
  });

  it('unescapes \\\' inside string literals', () => {
    assert.deepEqual(names(queryResponse(c, "SELECT * FROM Item WHERE Name = 'Bob\\'s Cod'")), ["Bob's Cod"]);
  });

  it('supports LIKE with % wildcards only', () => {
    assert.deepEqual(names(queryResponse(c, "SELECT * FROM Item WHERE Name LIKE 'Salmon%'")), ['Salmon Fillet', 'Salmon Whole']);
    assert.deepEqual(names(queryResponse(c, "SELECT * FROM Item WHERE Name LIKE '%fil%'")), ['Salmon Fillet']);
    assert.deepEqual(names(queryResponse(c, "SELECT * FROM Item WHERE Name LIKE 'Salmon_Whole'")), []);
  });

  it('supports IN and AND', () => {
    const r = queryResponse(c, "SELECT * FROM Item WHERE Sku IN ('SAL-1','SAL-2','COD-1') AND Name LIKE '%Whole'");
    assert.deepEqual(names(r), ['Salmon Whole']);
  });

  it('compares numbers with < > <= >=', () => {
    assert.deepEqual(names(queryResponse(c, 'SELECT * FROM Item WHERE Id > 2 AND Id <= 4')), ['Salmon Fillet', 'Salmon Whole']);
  });

  it('hides inactive name-list rows unless Active is in the WHERE clause', () => {
    assert.deepEqual(names(queryResponse(c, "SELECT * FROM Item WHERE Sku = 'TUN-1'")), []);
    assert.deepEqual(names(queryResponse(c, "SELECT * FROM Item WHERE Sku = 'TUN-1' AND Active IN (true,false)")), ['Old Tuna']);
    assert.deepEqual(names(queryResponse(c, 'SELECT * FROM Item WHERE Active = false')), ['Old Tuna']);
  });

  it('returns several items that share a SKU (SKU is not unique)', () => {
    assert.deepEqual(names(queryResponse(c, "SELECT * FROM Item WHERE Sku = 'DUP'")), ['Twin A', 'Twin B']);
  });

  it('matches PrimaryEmailAddr without .Address and case-insensitively', () => {
    assert.deepEqual(names(queryResponse(c, "SELECT * FROM Customer WHERE PrimaryEmailAddr = 'billing@acme.com'"), 'Customer'), ['Acme']);
  });

  it('orders with ORDERBY … DESC', () => {
    assert.deepEqual(names(queryResponse(c, "SELECT * FROM Item WHERE Name LIKE 'Salmon%' ORDERBY Name DESC")), ['Salmon Whole', 'Salmon Fillet']);
  });

  it('pages with STARTPOSITION and MAXRESULTS and reports maxResults as the page length', () => {
    const r = queryResponse(c, 'SELECT * FROM Item STARTPOSITION 2 MAXRESULTS 2');
    assert.deepEqual(names(r), ['Salmon Fillet', 'Salmon Whole']);
    assert.equal(r.startPosition, 2);
    assert.equal(r.maxResults, 2);
  });

  it('defaults MAXRESULTS to 100 and caps it at 1000', () => {
    assert.equal(parseQuery('select * from Item').maxResults, 100);
    assert.equal(parseQuery('select * from Item maxresults 5000').maxResults, 1000);
  });

  it('answers COUNT(*) with totalCount only', () => {
    assert.deepEqual(queryResponse(c, "SELECT COUNT(*) FROM Item WHERE Name LIKE 'Salmon%'"), { totalCount: 2 });
  });

  it('omits the entity key on an empty result', () => {
    assert.deepEqual(queryResponse(c, "SELECT * FROM Item WHERE Name = 'nothing'"), {});
  });

  it('rejects a malformed query with 4000', () => {
    const f = faultOf(() => queryResponse(c, 'SELECT * FROM Item WHERE Name ='));
    assert.equal(f.code, '4000');
    assert.equal(f.status, 400);
    assert.match(f.detail, /^QueryParserError:/);
  });

  it('rejects OR (not supported) with 4000', () => {
    assert.equal(faultOf(() => queryResponse(c, "SELECT * FROM Item WHERE Name = 'a' OR Name = 'b'")).code, '4000');
  });

  it('rejects a typographic apostrophe as a lexical error', () => {
    assert.equal(faultOf(() => queryResponse(c, 'SELECT * FROM Item WHERE Name = Bob\u2019s')).code, '4000');
  });

  it('rejects a non-filterable property with 4001', () => {
    const f = faultOf(() => queryResponse(c, "SELECT * FROM Invoice WHERE PrivateNote = 'x'"));
    assert.equal(f.code, '4001');
    assert.match(f.detail, /PrivateNote/);
  });

  it('does not hide inactive accounts (Account is the exception)', () => {
    const id = c.all('Account')[0].Id;
    const acct = c.get('Account', id) as Record<string, unknown>;
    c.update('Account', { ...acct, Active: false });
    assert.equal((queryResponse(c, 'SELECT * FROM Account').Account as unknown[]).length, 1);
  });
});

describe('simulator query speed on 100,000 items', () => {
  it('finds by Name, Sku and LIKE among 100k rows', () => {
    const c = new Company('1', { now: Date.now });
    const rows = [];
    for (let i = 0; i < 100_000; i += 1) rows.push({ Name: `Item ${i}`, Sku: `SKU-${i % 50_000}` });
    c.seed('Item', rows);
    assert.deepEqual(names(queryResponse(c, "select * from Item where Name = 'item 99999'")), ['Item 99999']);
    assert.equal((queryResponse(c, "select * from Item where Sku = 'SKU-7'").Item as unknown[]).length, 2);
    assert.deepEqual(queryResponse(c, "select count(*) from Item where Name like 'Item 9999%'"), { totalCount: 11 });
  });
});
