/**
 * node-quickbooks 2.0.50, unmodified, against the simulator: `endpoint` points at it, TOKEN_URL is swapped for the
 * one refresh test and restored.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startQboSimulator, QboSimulator } from './server';
import { incomeAccount } from './testkit';

/* eslint-disable @typescript-eslint/no-explicit-any */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const QuickBooks = require('node-quickbooks') as any;

interface Outcome {
  err: any;
  data: any;
  res: any;
}

function invoke(qbo: any, method: string, ...args: unknown[]): Promise<Outcome> {
  return new Promise((resolve) => qbo[method](...args, (err: any, data: any, res: any) => resolve({ err, data, res })));
}

describe('node-quickbooks against the simulator', () => {
  let sim: QboSimulator;
  let qbo: any;
  let acct: string;

  before(async () => {
    sim = await startQboSimulator();
    const t = sim.issueTokens();
    qbo = new QuickBooks(sim.clientId, sim.clientSecret, t.access_token, false, sim.realmId, false, false, 75, '2.0', t.refresh_token);
    qbo.endpoint = sim.apiBase;
    acct = incomeAccount(sim);
  });
  after(() => sim.close());

  it('creates an item and reads it back, with intuit_tid in the response', async () => {
    const c = await invoke(qbo, 'createItem', { Name: "Bob's Cod + Chips", Sku: 'C&C%', Type: 'Service', IncomeAccountRef: { value: acct } });
    assert.equal(c.err, null);
    assert.equal(c.data.Name, "Bob's Cod + Chips");
    assert.ok(c.res.headers.intuit_tid);
    const g = await invoke(qbo, 'getItem', c.data.Id);
    assert.equal(g.data.Sku, 'C&C%');
  });

  it('finds by criteria with quotes, +, & and % in the value', async () => {
    const f = await invoke(qbo, 'findItems', { Name: "Bob's Cod + Chips", Sku: 'C&C%' });
    assert.equal(f.err, null);
    assert.equal(f.data.QueryResponse.Item.length, 1);
  });

  it('counts with the count criterion', async () => {
    const f = await invoke(qbo, 'findItems', { count: true });
    assert.equal(f.data.QueryResponse.totalCount, 1);
  });

  it('pages with fetchAll over 2,345 rows', async () => {
    sim.seed('Customer', Array.from({ length: 2345 }, (_, i) => ({ DisplayName: `Cust ${i}` })));
    const f = await invoke(qbo, 'findCustomers', { fetchAll: true });
    assert.equal(f.data.QueryResponse.Customer.length, 2345);
    assert.equal(new Set(f.data.QueryResponse.Customer.map((c: any) => c.Id)).size, 2345);
  });

  it('sparse-updates with SyncToken and gets 5010 for a stale one', async () => {
    const c = (await invoke(qbo, 'createCustomer', { DisplayName: 'Update Me' })).data;
    const u = await invoke(qbo, 'updateCustomer', { Id: c.Id, SyncToken: c.SyncToken, CompanyName: 'New Co' });
    assert.equal(u.data.SyncToken, '1');
    assert.equal(u.data.DisplayName, 'Update Me');
    const stale = await invoke(qbo, 'updateCustomer', { Id: c.Id, SyncToken: c.SyncToken, CompanyName: 'Late Co' });
    assert.equal(stale.err.response.status, 400);
    assert.equal(stale.err.response.data.Fault.Error[0].code, '5010');
  });

  it('replays a requestId: the same create twice gives one invoice', async () => {
    const cust = (await invoke(qbo, 'createCustomer', { DisplayName: 'Replay Co' })).data;
    const item = sim.all('Item')[0];
    const inv = () => ({
      requestId: 'inv-replay-1',
      CustomerRef: { value: cust.Id },
      Line: [{ DetailType: 'SalesItemLineDetail', Amount: 20, SalesItemLineDetail: { ItemRef: { value: item.Id }, Qty: 2, UnitPrice: 10 } }],
    });
    const a = await invoke(qbo, 'createInvoice', inv());
    const b = await invoke(qbo, 'createInvoice', inv());
    assert.equal(a.data.Id, b.data.Id);
    assert.equal(sim.all('Invoice').length, 1);
  });

  it('runs a batch with per-item results', async () => {
    const b = await invoke(qbo, 'batch', [
      { bId: 'b1', operation: 'create', Customer: { DisplayName: 'Batch One' } },
      { bId: 'b2', operation: 'create', Customer: { DisplayName: 'Replay Co' } },
    ]);
    assert.equal(b.err, null);
    assert.equal(b.data.BatchItemResponse[0].Customer.DisplayName, 'Batch One');
    assert.equal(b.data.BatchItemResponse[1].Fault.Error[0].code, '6240');
  });

  it('reads changes through changeDataCapture with a UTC timestamp', async () => {
    const since = new Date(sim.clock.now() - 60_000).toISOString();
    const r = await invoke(qbo, 'changeDataCapture', ['Customer'], since);
    assert.ok(r.data.CDCResponse[0].QueryResponse[0].Customer.length > 0);
  });

  it('surfaces a 429 as an AxiosError carrying the fault and Retry-After', async () => {
    sim.faults.throttle(1, { retryAfter: 3 });
    const r = await invoke(qbo, 'getCompanyInfo', sim.realmId);
    assert.equal(r.err.response.status, 429);
    assert.equal(r.err.response.headers['retry-after'], '3');
    assert.equal(r.err.response.data.Fault.Error[0].code, '3001');
  });

  it('surfaces a bad token as 401 with code 3200', async () => {
    const bad = new QuickBooks(sim.clientId, sim.clientSecret, 'expired', false, sim.realmId, false, false, 75, '2.0', null);
    bad.endpoint = sim.apiBase;
    const r = await invoke(bad, 'findItems', { Name: 'x' });
    assert.equal(r.err.response.status, 401);
    assert.equal(r.err.response.data.fault.error[0].code, '3200');
  });

  it('refreshes through refreshAccessToken, rotating the refresh token; the old one then gets invalid_grant', async () => {
    const t = sim.issueTokens();
    const client = new QuickBooks(sim.clientId, sim.clientSecret, t.access_token, false, sim.realmId, false, false, 75, '2.0', t.refresh_token);
    const saved = QuickBooks.TOKEN_URL;
    QuickBooks.TOKEN_URL = sim.tokenUrl;
    try {
      const ok = await new Promise<any>((resolve) => client.refreshAccessToken((err: any, body: any) => resolve({ err, body })));
      assert.equal(ok.err, null);
      assert.notEqual(client.refreshToken, t.refresh_token);
      client.refreshToken = t.refresh_token;
      const stale = await new Promise<any>((resolve) => client.refreshAccessToken((err: any, res: any, body: any) => resolve({ err, res, body })));
      assert.equal(stale.res.status, 400);
      assert.equal(stale.body.error, 'invalid_grant');
    } finally {
      QuickBooks.TOKEN_URL = saved;
    }
  });
});
