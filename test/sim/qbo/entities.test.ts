import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { cdc } from './api';
import { Company, Rec } from './entities';
import { QboFault } from './faults';

let clock = Date.parse('2026-03-01T12:00:00Z');
let c: Company;
let acct: string;
let item: Rec;
let customer: Rec;

function faultOf(fn: () => unknown): QboFault {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof QboFault, String(err));
    return err;
  }
  assert.fail('expected a QboFault');
}

const line = (amount: number, qty?: number, unitPrice?: number, itemId = item.Id) => ({
  DetailType: 'SalesItemLineDetail',
  Amount: amount,
  SalesItemLineDetail: { ItemRef: { value: itemId }, Qty: qty, UnitPrice: unitPrice },
});

describe('simulator entity rules', () => {
  beforeEach(() => {
    clock = Date.parse('2026-03-01T12:00:00Z');
    c = new Company('1', { now: () => clock });
    acct = c.create('Account', { Name: 'Sales', AccountType: 'Income' }).Id;
    item = c.create('Item', { Name: 'Cod', Type: 'Service', IncomeAccountRef: { value: acct } });
    customer = c.create('Customer', { DisplayName: 'Acme' });
  });

  it('gives string Ids, SyncToken "0" and MetaData times with an offset', () => {
    assert.equal(typeof item.Id, 'string');
    assert.equal(item.SyncToken, '0');
    assert.match(item.MetaData.CreateTime, /^2026-03-01T04:00:00\.000-08:00$/);
  });

  it('rejects a duplicate item Name with 6240 and the existing Id, inactive items included', () => {
    c.update('Item', { Id: item.Id, SyncToken: item.SyncToken, sparse: true, Active: false });
    const f = faultOf(() => c.create('Item', { Name: 'cod', Type: 'Service', IncomeAccountRef: { value: acct } }));
    assert.equal(f.code, '6240');
    assert.equal(f.detail, `The name supplied already exists. : Id=${item.Id}`);
  });

  it('shares the DisplayName namespace between customers, vendors and employees', () => {
    assert.equal(faultOf(() => c.create('Vendor', { DisplayName: 'Acme' })).code, '6240');
    assert.equal(faultOf(() => c.create('Employee', { GivenName: 'Acme' })).code, '6240');
  });

  it('rejects a DisplayName with a colon', () => {
    assert.equal(faultOf(() => c.create('Customer', { DisplayName: 'A:B' })).status, 400);
  });

  it('increments SyncToken on update and rejects a stale one with 5010', () => {
    const u = c.update('Item', { Id: item.Id, SyncToken: '0', sparse: true, UnitPrice: 12 });
    assert.equal(u.SyncToken, '1');
    const f = faultOf(() => c.update('Item', { Id: item.Id, SyncToken: '0', sparse: true, UnitPrice: 13 }));
    assert.equal(f.code, '5010');
    assert.equal(f.message, 'Stale Object Error');
  });

  it('keeps unsent fields on a sparse update and drops them on a full update', () => {
    const withDesc = c.update('Item', { Id: item.Id, SyncToken: '0', sparse: true, Description: 'fresh' });
    const sparse = c.update('Item', { Id: item.Id, SyncToken: withDesc.SyncToken, sparse: true, UnitPrice: 3 });
    assert.equal(sparse.Description, 'fresh');
    const full = c.update('Item', { Id: item.Id, SyncToken: sparse.SyncToken, Name: 'Cod', Type: 'Service', IncomeAccountRef: { value: acct } });
    assert.equal(full.Description, undefined);
  });

  it('appends " (deleted)" to the name of a deactivated account', () => {
    const a = c.get('Account', acct) as Rec;
    assert.equal(c.update('Account', { ...a, Active: false }).Name, 'Sales (deleted)');
  });

  it('cannot delete a name-list record', () => {
    assert.equal(faultOf(() => c.delete('Item', { Id: item.Id, SyncToken: '0' })).status, 400);
  });

  it('rejects an invoice line whose Amount is not Qty × UnitPrice with 6070', () => {
    const f = faultOf(() => c.create('Invoice', { CustomerRef: { value: customer.Id }, Line: [line(10, 3, 3.33)] }));
    assert.equal(f.code, '6070');
    assert.equal(f.element, 'Line.Amount');
  });

  it('accepts Qty × UnitPrice equal to Amount to the cent', () => {
    const inv = c.create('Invoice', { CustomerRef: { value: customer.Id }, Line: [line(9.99, 3, 3.33)] });
    assert.equal(inv.TotalAmt, 9.99);
  });

  it('appends a SubTotal line and computes TotalAmt and Balance', () => {
    const inv = c.create('Invoice', { CustomerRef: { value: customer.Id }, Line: [line(10, 1, 10), line(5.5, 1, 5.5)] });
    assert.equal(inv.Line.at(-1).DetailType, 'SubTotalLineDetail');
    assert.equal(inv.Line.at(-1).Amount, 15.5);
    assert.equal(inv.Balance, 15.5);
    assert.equal((c.get('Customer', customer.Id) as Rec).Balance, 15.5);
  });

  it('rejects an unknown CustomerRef with 2500 and an inactive item with 610', () => {
    assert.equal(faultOf(() => c.create('Invoice', { CustomerRef: { value: '999' }, Line: [line(1)] })).code, '2500');
    c.update('Item', { Id: item.Id, SyncToken: '0', sparse: true, Active: false });
    assert.equal(faultOf(() => c.create('Invoice', { CustomerRef: { value: customer.Id }, Line: [line(1)] })).code, '610');
  });

  it('auto-numbers DocNumber and rejects a duplicate with 6140 unless allowed', () => {
    const a = c.create('Invoice', { CustomerRef: { value: customer.Id }, Line: [line(1)] });
    assert.equal(a.DocNumber, '1001');
    const f = faultOf(() => c.create('Invoice', { DocNumber: '1001', CustomerRef: { value: customer.Id }, Line: [line(1)] }));
    assert.equal(f.code, '6140');
    const dup = c.create('Invoice', { DocNumber: '1001', CustomerRef: { value: customer.Id }, Line: [line(1)] }, { allowDuplicateDocNum: true });
    assert.equal(dup.DocNumber, '1001');
  });

  it('derives DueDate from the sales term', () => {
    const term = c.create('Term', { Name: 'Net 30', DueDays: 30 });
    const inv = c.create('Invoice', { CustomerRef: { value: customer.Id }, TxnDate: '2026-03-01', SalesTermRef: { value: term.Id }, Line: [line(1)] });
    assert.equal(inv.DueDate, '2026-03-31');
  });

  it('lowers the invoice balance and links the payment', () => {
    const inv = c.create('Invoice', { CustomerRef: { value: customer.Id }, Line: [line(100)] });
    const pay = c.create('Payment', { CustomerRef: { value: customer.Id }, TotalAmt: 60, Line: [{ Amount: 40, LinkedTxn: [{ TxnId: inv.Id, TxnType: 'Invoice' }] }] });
    const after = c.get('Invoice', inv.Id) as Rec;
    assert.equal(after.Balance, 60);
    assert.deepEqual(after.LinkedTxn, [{ TxnId: pay.Id, TxnType: 'Payment' }]);
    assert.equal(pay.UnappliedAmt, 20);
  });

  it('reports a deleted invoice in CDC as a tombstone and an inactive item as a full record', () => {
    const inv = c.create('Invoice', { CustomerRef: { value: customer.Id }, Line: [line(1)] });
    const since = new Date(clock).toISOString();
    clock += 1000;
    c.delete('Invoice', { Id: inv.Id, SyncToken: inv.SyncToken });
    c.update('Item', { Id: item.Id, SyncToken: '0', sparse: true, Active: false });
    const r = cdc(c, 'Invoice,Item', since);
    const [invs, items] = r.CDCResponse[0].QueryResponse;
    assert.deepEqual(invs.Invoice.map((x: Rec) => [x.Id, x.status]), [[inv.Id, 'Deleted']]);
    assert.equal(items.Item[0].Active, false);
  });

  it('refuses a CDC changedSince more than 30 days back', () => {
    const since = new Date(clock - 31 * 24 * 3600 * 1000).toISOString();
    assert.equal(faultOf(() => cdc(c, 'Item', since)).status, 400);
  });

  it('caps a CDC response at 1000 objects across entities', () => {
    const since = new Date(clock).toISOString();
    c.seed('Item', Array.from({ length: 700 }, (_, i) => ({ Name: `I${i}` })));
    c.seed('Customer', Array.from({ length: 700 }, (_, i) => ({ DisplayName: `C${i}` })));
    const r = cdc(c, 'Item,Customer', since);
    const [items, customers] = r.CDCResponse[0].QueryResponse;
    assert.equal(items.Item.length + customers.Customer.length, 1000);
  });
});
