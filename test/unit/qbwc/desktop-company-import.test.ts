/** DesktopCompany imports by date range (paged with iterators), watermark restarts, and BlueTrace's Re-sync. */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { CompanyStatus } from '../../../nodes/lib/company/types';
import type { ImportedPage } from '../../../nodes/lib/company/qbwc/desktop-company';
import { buildQbxml } from '../../../nodes/lib/company/qbwc/qbxml';
import { rig, type Rig } from './desktop-company-helpers';

let r: Rig;
afterEach(() => r.close());

const rqNames = (requests: string[]) => requests.map((x) => /<(\w+Rq)[ >]/.exec(x.replace('<QBXMLMsgsRq', ''))?.[1]);
const child = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

function importJob(key: string, kind: 'import.customers' | 'import.items' | 'import.invoices' | 'import.terms' | 'import.accounts', payload: Record<string, unknown>) {
  return { key, kind, sourceId: key, payload, summary: key };
}

function collect(): { pages: ImportedPage[]; ids: () => string[] } {
  const pages: ImportedPage[] = [];
  r.company.on('imported', (p: ImportedPage) => pages.push(p));
  return { pages, ids: () => pages.flatMap((p) => p.records.map((x) => x.id)) };
}

describe('DesktopCompany: imports by date range', () => {
  it('imports 1,200 customers in 3 pages of 500 within one session: mirror, events, rising percent', async () => {
    r = await rig();
    r.qbd.seedCustomers(1200, { modifiedFrom: new Date('2024-03-01T12:00:00Z'), stepSeconds: 60, inactiveEvery: 10 });
    const { pages, ids } = collect();
    await r.enqueue(importJob('import:cust', 'import.customers', { from: '2024-01-01', to: '2024-06-30', pageSize: 500 }));

    const res = await r.run();
    assert.deepEqual(res.errors, []);
    assert.deepEqual(rqNames(res.requests), ['CustomerQueryRq', 'CustomerQueryRq', 'CustomerQueryRq']);
    assert.match(res.requests[0] as string, /<CustomerQueryRq requestID="\d+" iterator="Start"><MaxReturned>500<\/MaxReturned><ActiveStatus>All<\/ActiveStatus><FromModifiedDate>2024-01-01T00:00:00<\/FromModifiedDate><ToModifiedDate>2024-06-30T23:59:59<\/ToModifiedDate>/);
    assert.match(res.requests[1] as string, /iterator="Continue" iteratorID="\{[0-9a-f-]+\}"/);
    assert.deepEqual(res.percents, [41, 83, 100]);

    assert.deepEqual(pages.map((p) => [p.entity, p.records.length, p.done, p.count, p.total]), [
      ['customers', 500, false, 500, 1200],
      ['customers', 500, false, 1000, 1200],
      ['customers', 200, true, 1200, 1200],
    ]);
    assert.equal(new Set(ids()).size, 1200);
    const mirrored = await r.company.mirror.list('customers');
    assert.equal(mirrored.length, 1200);
    assert.equal(mirrored.filter((c) => !c.active).length, 120, 'inactive customers come too (ActiveStatus All)');
    const one = mirrored.find((c) => c.name === 'Customer 7');
    assert.equal(one?.data.Email, 'c7@example.com');
    assert.equal((await r.company.mirror.age('customers')).count, 1200);

    const job = await r.job('import:cust');
    assert.equal(job.state, 'complete');
    assert.deepEqual({ ...job.result, watermark: undefined }, { count: 1200, from: '2024-01-01', to: '2024-06-30', watermark: undefined });
    assert.equal(res.closeMessage, '0 sent, 1 complete, 0 errors, 1,200 records imported');

    // The pages are kept as QuickBooks answered them (qbXML segments on nedb; rows of the mirror's table
    // on PostgreSQL) and read back the same after a restart.
    const segments = await r.store.mirror.find({ company: 'qbd-test', entity: 'customers' });
    assert.deepEqual(segments.map((d) => d.format), r.store.backendKind === 'nedb' ? ['qbxml', 'qbxml', 'qbxml'] : []);
    const restarted = await r.newCompany();
    assert.deepEqual(
      new Map((await restarted.mirror.list('customers')).map((c) => [c.id, c])),
      new Map(mirrored.map((c) => [c.id, c])),
    );
  });

  it('imports active customers only when asked (ActiveStatus ActiveOnly)', async () => {
    r = await rig();
    r.qbd.seedCustomers(20, { modifiedFrom: new Date('2024-03-01T12:00:00Z'), stepSeconds: 60, inactiveEvery: 5 });
    const { pages } = collect();
    await r.enqueue(importJob('import:active', 'import.customers', { from: '2024-01-01', to: '2024-06-30', activeOnly: true }));
    const res = await r.run();
    assert.deepEqual(res.errors, []);
    assert.match(res.requests[0] as string, /<ActiveStatus>ActiveOnly<\/ActiveStatus>/);
    const records = pages.flatMap((p) => p.records);
    assert.equal(records.length, 16);
    assert.ok(records.every((x) => x.active));
  });

  it('includes records modified exactly on the range bounds and leaves out the ones just outside', async () => {
    r = await rig({ qbd: { utcOffsetMinutes: -300 } });
    r.qbd.seed({
      customers: [
        { Name: 'Before', TimeModified: '2024-04-30T23:59:59-05:00' },
        { Name: 'First second', TimeModified: '2024-05-01T00:00:00-05:00' },
        { Name: 'Last second', TimeModified: '2024-05-31T23:59:59-05:00' },
        { Name: 'After', TimeModified: '2024-06-01T00:00:00-05:00' },
      ],
    });
    const { ids } = collect();
    await r.enqueue(importJob('import:may', 'import.customers', { from: '2024-05-01', to: '2024-05-31' }));
    await r.run();
    const names = (await r.company.mirror.list('customers')).map((c) => c.name).sort();
    assert.deepEqual(names, ['First second', 'Last second']);
    assert.equal(ids().length, 2);
  });

  it('imports invoices by transaction date (inclusive) with their lines into the invoices mirror', async () => {
    r = await rig({ qbd: { seed: { customers: [{ Name: 'Oyster Bay Co' }], items: [{ type: 'ItemService', Name: 'Freight', Price: 15 }] } } });
    for (const [ref, date] of [['A', '2024-04-30'], ['B', '2024-05-01'], ['C', '2024-05-31'], ['D', '2024-06-01']]) {
      const xml = buildQbxml({
        type: 'InvoiceAdd', requestID: ref,
        data: { CustomerRef: { FullName: 'Oyster Bay Co' }, TxnDate: date, RefNumber: ref, InvoiceLineAdd: [{ ItemRef: { FullName: 'Freight' }, Quantity: 2 }] },
      });
      r.qbd.processRequest(xml, 'seeding');
    }
    const { pages } = collect();
    await r.enqueue(importJob('import:inv', 'import.invoices', { from: '2024-05-01', to: '2024-05-31', dateField: 'txn', pageSize: 1 }));
    const res = await r.run();
    assert.match(res.requests[0] as string, /<TxnDateRangeFilter><FromTxnDate>2024-05-01<\/FromTxnDate><ToTxnDate>2024-05-31<\/ToTxnDate><\/TxnDateRangeFilter><IncludeLineItems>true<\/IncludeLineItems>/);
    assert.equal(res.requests.length, 2, 'pageSize 1: two pages');
    const invoices = await r.company.mirror.list('invoices');
    assert.deepEqual(invoices.map((i) => i.name).sort(), ['B', 'C']);
    const lines = invoices[0]?.data.InvoiceLineRet as Array<{ Amount: string }>;
    assert.equal(lines[0]?.Amount, '30.00');
    assert.deepEqual(pages.map((p) => p.done), [false, true]);
    assert.deepEqual((await r.job('import:inv')).result, { count: 2, from: '2024-05-01', to: '2024-05-31', watermark: '2024-05-31' });
  });

  it('imports terms and accounts (one request each) and treats "no match" (status 1) as an empty import, not an error', async () => {
    r = await rig();
    const { pages } = collect();
    await r.enqueue(importJob('import:terms', 'import.terms', { from: '2000-01-01', to: '2030-12-31' }));
    await r.enqueue(importJob('import:accounts', 'import.accounts', { from: '2000-01-01', to: '2030-12-31' }));
    await r.enqueue(importJob('import:none', 'import.items', { from: '2001-01-01', to: '2001-12-31' }));
    const res = await r.run();
    assert.deepEqual(res.errors, []);
    assert.deepEqual(rqNames(res.requests).sort(), ['AccountQueryRq', 'ItemQueryRq', 'TermsQueryRq']);
    assert.deepEqual((await r.company.mirror.list('terms')).map((t) => t.name).sort(), ['Due on receipt', 'Net 15', 'Net 30']);
    assert.equal((await r.company.mirror.list('accounts')).length, 9);
    const none = await r.job('import:none');
    assert.equal(none.state, 'complete');
    assert.equal(none.result?.count, 0);
    assert.deepEqual(pages.find((p) => p.job.key === 'import:none')?.records, []);
  });
});

describe('DesktopCompany: imports that are cut short', () => {
  it('a session killed mid-import: the next session restarts from the watermark; nothing lost, no page emitted twice', async () => {
    r = await rig({ idleTimeoutMs: 400 });
    r.qbd.seedCustomers(1200, { modifiedFrom: new Date('2024-03-01T12:00:00Z'), stepSeconds: 60 });
    const { pages, ids } = collect();
    await r.enqueue(importJob('import:cust', 'import.customers', { from: '2024-01-01', to: '2024-06-30', pageSize: 500 }));

    const ended = r.nextSessionEnd();
    await r.run({ killAfterResponses: 1 });
    assert.equal((await ended).reason, 'expired');
    assert.equal((await r.job('import:cust')).state, 'approved');

    const res = await r.run();
    assert.deepEqual(res.errors, []);
    const watermark = r.qbd.all('Customer')[499]?.TimeModified as string;
    assert.equal(child(res.requests[0] as string, 'FromModifiedDate'), watermark, 'restarts from the last TimeModified received');
    assert.match(res.requests[0] as string, /iterator="Start"/);
    assert.equal(res.requests.length, 2, '700 left: two pages, not three');
    // the record at the watermark comes back with the restart and is not emitted again
    assert.deepEqual(pages.map((p) => p.records.length), [500, 499, 201]);
    assert.equal(ids().length, 1200);
    assert.equal(new Set(ids()).size, 1200);
    assert.equal((await r.company.mirror.list('customers')).length, 1200);
    const job = await r.job('import:cust');
    assert.equal(job.state, 'complete');
    assert.equal(job.result?.count, 1200);
  });

  it('a stale iterator (3391) puts the import off to the next session, which resumes from the watermark', async () => {
    r = await rig();
    r.qbd.seedCustomers(1200, { modifiedFrom: new Date('2024-03-01T12:00:00Z'), stepSeconds: 60 });
    const { pages, ids } = collect();
    r.company.once('imported', () => r.qbd.injectStatus('CustomerQuery', { statusCode: 3391, statusMessage: 'The iteratorID "{5d2f0c8e}" is not valid.' }));
    await r.enqueue(importJob('import:cust', 'import.customers', { from: '2024-01-01', to: '2024-06-30', pageSize: 500 }));

    const first = await r.run();
    assert.deepEqual(first.errors, []);
    assert.equal(first.finalPercent, 100);
    const deferred = await r.job('import:cust');
    assert.equal(deferred.state, 'approved');
    assert.equal(deferred.error?.statusCode, 3391);
    assert.match(deferred.error?.message ?? '', /resumes from 2024-03-01T\d\d:\d\d:00-05:00 in the next session/);

    const second = await r.run();
    assert.match(second.requests[0] as string, /iterator="Start"/);
    assert.equal(child(second.requests[0] as string, 'FromModifiedDate'), r.qbd.all('Customer')[499]?.TimeModified);
    assert.deepEqual(pages.map((p) => p.records.length), [500, 499, 201]);
    assert.equal(ids().length, 1200);
    assert.equal(new Set(ids()).size, 1200);
    assert.equal((await r.job('import:cust')).state, 'complete');
  });

  it('when records came out of time order, a restart goes back to the start rather than risk a gap', async () => {
    r = await rig({ idleTimeoutMs: 400 });
    r.qbd.seedCustomers(6, { modifiedFrom: new Date('2024-03-01T12:00:00Z'), stepSeconds: 60 });
    const second = r.qbd.all('Customer')[1]?.ListID as string;
    r.qbd.setTimeModified('Customer', second, '2024-05-01T00:00:00Z'); // creation order ≠ modification order
    const { ids } = collect();
    await r.enqueue(importJob('import:cust', 'import.customers', { from: '2024-01-01', to: '2024-06-30', pageSize: 3 }));
    const ended = r.nextSessionEnd();
    await r.run({ killAfterResponses: 1 });
    await ended;
    const res = await r.run();
    assert.equal(child(res.requests[0] as string, 'FromModifiedDate'), '2024-01-01T00:00:00');
    assert.equal((await r.company.mirror.list('customers')).length, 6);
    assert.equal(new Set(ids()).size, 6);
    assert.equal((await r.job('import:cust')).result?.count, 6);
  });
});

describe('DesktopCompany: BlueTrace Re-sync on Desktop', () => {
  it('queues full imports on first connect, shows "Connecting" progress, then "Connected"; later re-syncs are incremental', async () => {
    r = await rig({ autoApprove: false, pageSize: 500 });
    r.qbd.seedCustomers(1200, { modifiedFrom: new Date('2024-03-01T12:00:00Z'), stepSeconds: 60 });
    r.qbd.seedItems(30);
    const statuses: CompanyStatus[] = [];
    r.company.on('status', (s: CompanyStatus) => statuses.push(s));
    let ready = false;
    void r.company.ready().then(() => (ready = true));

    r.company.kick(); // no-op on Desktop
    await r.company.resync();
    assert.equal(r.company.status().state, 'connecting');
    const jobs = await r.company.outbox.list();
    assert.deepEqual(jobs.map((j) => j.kind).sort(), ['import.accounts', 'import.customers', 'import.items', 'import.terms']);
    assert.ok(jobs.every((j) => j.state === 'approved' && (j.payload as { from: string }).from === '1970-01-01'), 'auto-approved full imports');
    await r.company.resync();
    assert.equal((await r.company.outbox.list()).length, 4, 'a pending Re-sync is not queued twice');

    const res = await r.run();
    assert.deepEqual(res.errors, []);
    assert.ok(statuses.some((s) => s.state === 'connecting' && s.progress === 'customers 500 / 1,200'), JSON.stringify(statuses));
    assert.equal(r.company.status().state, 'connected');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(ready, true);
    assert.equal((await r.company.mirror.list('customers')).length, 1200);
    assert.equal((await r.company.mirror.list('items')).length, 30);

    r.clock.advance(3600);
    await r.company.resync();
    const next = (await r.company.outbox.list({ state: 'approved' })).find((j) => j.kind === 'import.customers');
    const lastModified = r.qbd.all('Customer')[1199]?.TimeModified as string;
    assert.equal((next?.payload as { from: string }).from, new Date(Date.parse(lastModified) - 10 * 60_000).toISOString().slice(0, 19) + '+00:00');
    r.clock.advance(60);
    r.qbd.seedCustomers(2, { prefix: 'New', modifiedFrom: r.clock.now() });
    const { pages } = collect();
    await r.run();
    const customers = pages.filter((p) => p.entity === 'customers').flatMap((p) => p.records);
    assert.equal(customers.length, 13, 'incremental: the 11 customers of the overlap window and the 2 new ones');
    assert.equal((await r.company.mirror.list('customers')).length, 1202);

    // a new company object over the same store starts connected
    await r.company.close();
    const again = await r.newCompany();
    assert.equal(again.status().state, 'connected');
  });
});
