import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { QboError } from '../../../nodes/lib/company/qbo/errors';
import { Harness, harness, incomeAccount } from './harness';

describe('QboClient reads and writes', () => {
  let h: Harness;
  let acct: string;

  before(async () => {
    h = await harness();
    acct = incomeAccount(h.sim);
  });
  after(() => h.close());
  beforeEach(() => {
    h.sim.faults.clear();
    h.sim.resetStats();
  });

  it('creates, reads and finds an item whose name holds a quote and a backslash', async () => {
    const name = "Bob's \\ Cod";
    const { record } = await h.client.create('Item', { Name: name, Type: 'Service', IncomeAccountRef: { value: acct } }, { sourceKey: 'it-1' });
    assert.equal((await h.client.get('Item', record.Id)).Name, name);
    const rows = await h.client.queryAll('Item', { where: [{ field: 'Name', value: name }] });
    assert.deepEqual(rows.map((r) => r.Id), [record.Id]);
  });

  it('finds a name with a typographic apostrophe without sending one', async () => {
    h.sim.seed('Customer', [{ DisplayName: 'O\u2019Brien Fish' }, { DisplayName: 'OXBrien Fish' }]);
    const rows = await h.client.queryAll('Customer', { where: [{ field: 'DisplayName', value: 'O\u2019Brien Fish' }] });
    assert.deepEqual(rows.map((r) => r.DisplayName), ['O\u2019Brien Fish']);
  });

  it('includes inactive records only when asked', async () => {
    h.sim.seed('Customer', [{ DisplayName: 'Sleeping Co', Active: false }]);
    const where = [{ field: 'DisplayName', value: 'Sleeping Co' }];
    assert.equal((await h.client.queryAll('Customer', { where })).length, 0);
    assert.equal((await h.client.queryAll('Customer', { where, includeInactive: true })).length, 1);
  });

  it('pages 2,345 rows with MAXRESULTS 1000 and reports progress against a COUNT made first', async () => {
    h.sim.seed('Vendor', Array.from({ length: 2345 }, (_, i) => ({ DisplayName: `Vendor ${i}` })));
    const progress: string[] = [];
    const rows = await h.client.queryAll('Vendor', { onProgress: (p) => progress.push(`${p.loaded}/${p.total}`) });
    assert.equal(rows.length, 2345);
    assert.deepEqual(progress, ['1000/2345', '2000/2345', '2345/2345']);
    assert.equal(h.sim.stats.requests.query, 4);
  });

  it('counts with the same WHERE clause', async () => {
    assert.equal(await h.client.count('Vendor', { where: [{ field: 'DisplayName', op: 'LIKE', value: 'Vendor 1%' }] }), 1111);
  });

  it('normalises a fault into QboError with code, detail, element, status and intuit_tid', async () => {
    await assert.rejects(
      h.client.create('Item', { Name: "Bob's \\ Cod", Type: 'Service', IncomeAccountRef: { value: acct } }, { sourceKey: 'it-dup' }),
      (err: unknown) => {
        assert.ok(err instanceof QboError);
        assert.equal(err.code, '6240');
        assert.equal(err.status, 400);
        assert.match(err.detail, /Id=\d+/);
        assert.ok(err.existingId);
        assert.match(err.intuitTid ?? '', /^1-/);
        return true;
      },
    );
  });

  it('does not retry a validation fault', async () => {
    await assert.rejects(h.client.create('Customer', { DisplayName: 'A:B' }, { sourceKey: 'bad' }));
    assert.equal(h.sim.stats.requests.write, 1);
  });

  it('updates sparsely and reports a stale SyncToken as 5010', async () => {
    const { record } = await h.client.create('Customer', { DisplayName: 'Upd Co' }, { sourceKey: 'c-upd' });
    const u = await h.client.update('Customer', { Id: record.Id, SyncToken: record.SyncToken, CompanyName: 'Upd Inc' });
    assert.equal(u.record.DisplayName, 'Upd Co');
    assert.equal(u.record.SyncToken, '1');
    await assert.rejects(h.client.update('Customer', { Id: record.Id, SyncToken: '0', CompanyName: 'Late' }), (e: QboError) => e.code === '5010');
  });

  it('deactivates a name-list record', async () => {
    const { record } = await h.client.create('Customer', { DisplayName: 'Bye Co' }, { sourceKey: 'c-bye' });
    const r = await h.client.deactivate('Customer', record.Id);
    assert.equal(r.record.Active, false);
  });
});

describe('QboClient exactly-once creates', () => {
  let h: Harness;
  let acct: string;
  let item: string;
  let customer: string;

  before(async () => {
    h = await harness();
    acct = incomeAccount(h.sim);
    item = h.sim.seed('Item', [{ Name: 'Cod', IncomeAccountRef: { value: acct } }])[0].Id;
    customer = h.sim.seed('Customer', [{ DisplayName: 'Buyer' }])[0].Id;
  });
  after(() => h.close());
  beforeEach(() => {
    h.sim.faults.clear();
    h.sim.resetStats();
  });

  const invoice = (doc: string) => ({
    DocNumber: doc,
    CustomerRef: { value: customer },
    Line: [{ DetailType: 'SalesItemLineDetail', Amount: 30, SalesItemLineDetail: { ItemRef: { value: item }, Qty: 3, UnitPrice: 10 } }],
  });

  it('sends the same deterministic requestid on every attempt', async () => {
    h.sim.faults.serverError(1, { target: 'write' });
    const payment = { CustomerRef: { value: customer }, TotalAmt: 5 };
    await h.client.create('Payment', payment, { sourceKey: 'pay-1' });
    await h.client.create('Payment', payment, { sourceKey: 'pay-1' });
    assert.equal(h.sim.all('Payment').length, 1);
    assert.equal(h.sim.stats.replays, 1);
  });

  it('creates one invoice when the first answer is lost after the commit', async () => {
    h.sim.faults.dropAfterCommit(1);
    const r = await h.client.create('Invoice', invoice('BT-1'), { sourceKey: 'order-1' });
    assert.equal(r.record.DocNumber, 'BT-1');
    assert.equal(r.recovered, true);
    assert.equal(h.sim.all('Invoice').filter((i) => i.DocNumber === 'BT-1').length, 1);
  });

  it('creates one payment (no natural key) when answers are lost: the requestid replay answers', async () => {
    h.sim.faults.dropAfterCommit(2);
    const before = h.sim.all('Payment').length;
    const r = await h.client.create('Payment', { CustomerRef: { value: customer }, TotalAmt: 7 }, { sourceKey: 'pay-2' });
    assert.equal(r.record.TotalAmt, 7);
    assert.equal(h.sim.all('Payment').length, before + 1);
    assert.ok(h.sim.stats.replays >= 1);
  });

  it('creates 200 customers through batches with 30% of answers dropped: 0 duplicates, 0 losses', async () => {
    h.sim.faults.dropAfterCommitWithProbability(0.3, 7);
    const items = Array.from({ length: 200 }, (_, i) => ({ sourceKey: `cust-${i}`, record: { DisplayName: `Batch Cust ${i}` } }));
    const results = await h.client.createMany('Customer', items);
    assert.ok(results.every((r) => r.ok), JSON.stringify(results.find((r) => !r.ok)));
    const names = h.sim.all('Customer').map((c) => c.DisplayName).filter((n) => String(n).startsWith('Batch Cust '));
    assert.equal(names.length, 200);
    assert.equal(new Set(names).size, 200);
    assert.ok(h.sim.stats.dropped > 0);
    assert.ok(results.some((r) => r.ok && r.recovered));
  });

  it('creates invoices with and without DocNumber under drops: 0 duplicates', async () => {
    h.sim.faults.dropAfterCommitWithProbability(0.4, 11);
    const items = [
      ...Array.from({ length: 40 }, (_, i) => ({ sourceKey: `o-${i}`, record: invoice(`INV-${i}`) })),
      ...Array.from({ length: 10 }, (_, i) => ({ sourceKey: `n-${i}`, record: { ...invoice(''), DocNumber: undefined, PrivateNote: `n-${i}` } })),
    ];
    const before = h.sim.all('Invoice').length;
    const results = await h.client.createMany('Invoice', items);
    assert.ok(results.every((r) => r.ok));
    assert.equal(h.sim.all('Invoice').length, before + 50);
  });

  it('uses at most 30 operations per batch request', async () => {
    const items = Array.from({ length: 61 }, (_, i) => ({ sourceKey: `t-${i}`, record: { DisplayName: `Thirty ${i}` } }));
    await h.client.createMany('Customer', items);
    assert.equal(h.sim.stats.requests.batch, 3);
  });

  it('returns per-item faults from a batch', async () => {
    const results = await h.client.createMany('Customer', [
      { sourceKey: 'x1', record: { DisplayName: 'Buyer' } },
      { sourceKey: 'x2', record: { DisplayName: 'Fresh Buyer' } },
    ]);
    assert.equal(results[0].ok, false);
    assert.equal(!results[0].ok && results[0].error.code, '6240');
    assert.equal(results[1].ok, true);
  });
});

describe('QboClient: a connection that never answers', () => {
  let h: Harness;

  before(async () => {
    h = await harness({ client: { retry: { timeoutMs: 250, maxAttempts: 3 } } });
  });
  after(() => h.close());
  beforeEach(() => {
    h.sim.faults.clear();
    h.sim.resetStats();
  });

  it('gives up on a hung read after the timeout and reads again', async () => {
    const [item] = h.sim.seed('Customer', [{ DisplayName: 'Hung Read Co' }]);
    h.sim.faults.hang(1, { target: 'read' });
    const read = await h.client.get('Customer', item!.Id as string);
    assert.equal(read.DisplayName, 'Hung Read Co');
    assert.equal(h.sim.stats.hung, 1);
  });

  it('a create committed on a connection that then hangs is found by its look-up, not added twice', async () => {
    h.sim.faults.hang(1, { target: 'write' });
    const r = await h.client.create('Customer', { DisplayName: 'Hung Write Co' }, { sourceKey: 'hung-1' });
    assert.equal(r.recovered, true);
    assert.equal(h.sim.stats.hung, 1);
    assert.equal(h.sim.all('Customer').filter((c) => c.DisplayName === 'Hung Write Co').length, 1);
  });

  it('after every attempt hangs: a network failure naming the timeout', async () => {
    h.sim.faults.hang(10, { target: 'read' });
    const [c] = h.sim.seed('Customer', [{ DisplayName: 'Always Hung Co' }]);
    await assert.rejects(h.client.get('Customer', c!.Id as string), (err: unknown) => {
      assert.ok(err instanceof QboError);
      assert.equal(err.code, 'NETWORK');
      assert.match(err.message, /QuickBooks Online did not answer within 250 ms/);
      return true;
    });
    assert.equal(h.sim.stats.hung, 3, 'three attempts, each abandoned');
  });
});
