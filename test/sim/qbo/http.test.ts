import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startQboSimulator, QboSimulator } from './server';
import { call, incomeAccount, query } from './testkit';

describe('simulator over HTTP', () => {
  let sim: QboSimulator;
  let token: string;
  let acct: string;

  before(async () => {
    sim = await startQboSimulator({ limits: { perWindow: 20, batchPerWindow: 3 } });
    token = sim.issueTokens().access_token;
    acct = incomeAccount(sim);
  });
  after(() => sim.close());
  beforeEach(() => {
    sim.faults.clear();
    sim.clock.advance(120_000); // a fresh throttle window for each test
    sim.config.latencyMs = 0;
    sim.resetStats();
    token = sim.issueTokens().access_token;
  });

  it('binds to 127.0.0.1', () => {
    assert.match(sim.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('sends an intuit_tid header on every answer', async () => {
    const r = await call(sim, token, 'GET', `companyinfo/${sim.realmId}`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('intuit_tid') ?? '', /^1-/);
  });

  it('wraps an entity answer with a time field', async () => {
    const r = await call(sim, token, 'POST', 'item?minorversion=75', { Name: 'Wire Item', Type: 'Service', IncomeAccountRef: { value: acct } });
    assert.equal(r.status, 200);
    assert.equal(r.json.Item.Name, 'Wire Item');
    assert.match(r.json.time, /T.*[+-]\d\d:\d\d$/);
  });

  it('answers a fault with HTTP 400 and the Fault envelope', async () => {
    const r = await call(sim, token, 'POST', 'item', { Name: 'Wire Item', Type: 'Service', IncomeAccountRef: { value: acct } });
    assert.equal(r.status, 400);
    assert.equal(r.json.Fault.type, 'ValidationFault');
    assert.equal(r.json.Fault.Error[0].code, '6240');
  });

  it('accepts POST /query with an application/text body', async () => {
    const r = await call(sim, token, 'POST', 'query', "select * from Item where Name = 'Wire Item'", 'application/text');
    assert.equal(r.json.QueryResponse.Item.length, 1);
  });

  it('replays a requestid byte-identically and creates once', async () => {
    const body = { Name: 'Replay Item', Type: 'Service', IncomeAccountRef: { value: acct } };
    const a = await call(sim, token, 'POST', 'item?requestid=rq-1', body);
    const b = await call(sim, token, 'POST', 'item?requestid=rq-1', { ...body, Name: 'Other Name' });
    assert.equal(a.text, b.text);
    assert.equal(sim.all('Item').filter((i) => i.Name === 'Replay Item' || i.Name === 'Other Name').length, 1);
    assert.equal(sim.stats.replays, 1);
  });

  it('rejects a requestid longer than 50 characters', async () => {
    const r = await call(sim, token, 'POST', `item?requestid=${'x'.repeat(51)}`, { Name: 'Long', Type: 'Service', IncomeAccountRef: { value: acct } });
    assert.equal(r.status, 400);
  });

  it('commits then drops the connection, and the replay returns the committed record', async () => {
    sim.faults.dropAfterCommit(1);
    const body = { Name: 'Dropped Item', Type: 'Service', IncomeAccountRef: { value: acct } };
    await assert.rejects(call(sim, token, 'POST', 'item?requestid=rq-drop', body));
    assert.equal(sim.all('Item').filter((i) => i.Name === 'Dropped Item').length, 1);
    const again = await call(sim, token, 'POST', 'item?requestid=rq-drop', body);
    assert.equal(again.status, 200);
    assert.equal(again.json.Item.Name, 'Dropped Item');
    assert.equal(sim.all('Item').filter((i) => i.Name === 'Dropped Item').length, 1);
  });

  it('drops writes with a seeded probability, reproducibly', async () => {
    const outcomes = async () => {
      sim.faults.dropAfterCommitWithProbability(0.5, 42);
      const out: boolean[] = [];
      for (let i = 0; i < 8; i += 1) {
        const ok = await call(sim, token, 'POST', 'customer', { DisplayName: `P ${Math.random()}` }).then(() => true, () => false);
        out.push(ok);
      }
      sim.faults.clear();
      return out;
    };
    const first = await outcomes();
    const second = await outcomes();
    assert.deepEqual(first, second);
    assert.ok(first.includes(false) && first.includes(true));
  });

  it('forces 429 with Retry-After and code 3001', async () => {
    sim.faults.throttle(1, { retryAfter: 7 });
    const r = await call(sim, token, 'GET', `companyinfo/${sim.realmId}`);
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '7');
    assert.equal(r.json.Fault.Error[0].code, '3001');
    assert.equal((await call(sim, token, 'GET', `companyinfo/${sim.realmId}`)).status, 200);
  });

  it('forces 429 without Retry-After, optionally as XML', async () => {
    sim.faults.throttle(1, { xml: true });
    const r = await call(sim, token, 'GET', `companyinfo/${sim.realmId}`);
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), null);
    assert.match(r.text, /<Error code="3001">/);
  });

  it('forces 5xx SystemFaults', async () => {
    sim.faults.serverError(2, { status: 503 });
    assert.equal((await call(sim, token, 'GET', `companyinfo/${sim.realmId}`)).status, 503);
    assert.equal((await call(sim, token, 'GET', `companyinfo/${sim.realmId}`)).json.Fault.type, 'SystemFault');
    assert.equal((await call(sim, token, 'GET', `companyinfo/${sim.realmId}`)).status, 200);
  });

  it('throttles past the per-minute limit with Retry-After, and frees the window as time passes', async () => {
    for (let i = 0; i < 20; i += 1) assert.equal((await call(sim, token, 'GET', `companyinfo/${sim.realmId}`)).status, 200);
    const r = await call(sim, token, 'GET', `companyinfo/${sim.realmId}`);
    assert.equal(r.status, 429);
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
    assert.equal(sim.stats.throttled.rate, 1);
    sim.clock.advance(60_001);
    assert.equal((await call(sim, token, 'GET', `companyinfo/${sim.realmId}`)).status, 200);
  });

  it('throttles the 11th concurrent request', async () => {
    sim.config.latencyMs = 150;
    const answers = await Promise.all(Array.from({ length: 11 }, () => call(sim, token, 'GET', `companyinfo/${sim.realmId}`)));
    assert.equal(answers.filter((a) => a.status === 429).length, 1);
    assert.equal(sim.stats.maxInFlight, 10);
    assert.equal(sim.stats.throttled.concurrency, 1);
  });

  it('limits batch requests per minute separately', async () => {
    const batch = { BatchItemRequest: [{ bId: '1', Query: 'select count(*) from Item' }] };
    for (let i = 0; i < 3; i += 1) assert.equal((await call(sim, token, 'POST', 'batch', batch)).status, 200);
    assert.equal((await call(sim, token, 'POST', 'batch', batch)).status, 429);
    assert.equal((await call(sim, token, 'GET', `companyinfo/${sim.realmId}`)).status, 200);
    assert.equal(sim.stats.throttled.batch, 1);
  });

  it('refuses a batch of more than 30 items', async () => {
    const items = Array.from({ length: 31 }, (_, i) => ({ bId: String(i), Query: 'select * from Item' }));
    const r = await call(sim, token, 'POST', 'batch', { BatchItemRequest: items });
    assert.equal(r.status, 400);
  });

  it('answers each batch item on its own, and hides items created earlier in the same batch', async () => {
    const r = await call(sim, token, 'POST', 'batch', {
      BatchItemRequest: [
        { bId: 'c1', operation: 'create', Customer: { DisplayName: 'Batch Co' } },
        { bId: 'c2', operation: 'create', Customer: { DisplayName: 'Batch Co' } },
        { bId: 'i1', operation: 'create', Invoice: { CustomerRef: { value: String(Number(sim.company.all('Account').length) + 1000) }, Line: [] } },
      ],
    });
    assert.equal(r.status, 200);
    const [a, b, c] = r.json.BatchItemResponse;
    assert.equal(a.bId, 'c1');
    assert.equal(a.Customer.DisplayName, 'Batch Co');
    assert.equal(b.Fault.Error[0].code, '6240');
    assert.ok(c.Fault);
    assert.equal(sim.stats.created.Customer, 1);
  });

  it('rejects a CDC request whose changedSince has a raw + offset decoded as a space', async () => {
    const r = await call(sim, token, 'GET', 'cdc?entities=Item&changedSince=2026-01-01T00:00:00+02:00');
    assert.equal(r.status, 400);
  });

  it('answers CDC with CDCResponse and QueryResponse per entity', async () => {
    const since = new Date(sim.clock.now() - 1000).toISOString();
    await call(sim, token, 'POST', 'customer', { DisplayName: 'CDC Co' });
    const r = await call(sim, token, 'GET', `cdc?entities=Customer,Item&changedSince=${since}`);
    assert.equal(r.status, 200);
    const [cust, item] = r.json.CDCResponse[0].QueryResponse;
    assert.deepEqual(cust.Customer.map((x: { DisplayName: string }) => x.DisplayName), ['CDC Co']);
    assert.deepEqual(item, {});
  });

  it('answers a bad bearer token with 401 and the lower-case gateway envelope', async () => {
    const r = await call(sim, 'nope', 'GET', `companyinfo/${sim.realmId}`);
    assert.equal(r.status, 401);
    assert.equal(r.json.fault.error[0].code, '3200');
    assert.equal(r.json.fault.type, 'AUTHENTICATION');
    assert.equal(sim.stats.unauthorized, 1);
  });

  it('expires access tokens after their lifetime', async () => {
    const t = sim.issueTokens().access_token;
    assert.equal((await query(sim, t, 'select count(*) from Item')).status, 200);
    sim.clock.advance(3600_000);
    const r = await query(sim, t, 'select count(*) from Item');
    assert.equal(r.status, 401);
    assert.equal(r.json.fault.error[0].detail, 'Token expired');
  });

  it('answers 403/3100 for a token used on another realm', async () => {
    const res = await fetch(`${sim.apiBase}123/companyinfo/123`, { headers: { authorization: `Bearer ${sim.issueTokens().access_token}` } });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { fault: { error: Array<{ code: string }> } }).fault.error[0].code, '3100');
  });
});
