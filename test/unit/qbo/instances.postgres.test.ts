/**
 * Two instances of one QuickBooks Online company on one PostgreSQL store, against the simulator: each
 * instance a Store of its own over the same schema (two pools, two instance ids), with its own client,
 * token manager and throttle, as two Node-RED processes would have. Jobs enqueued through both reach
 * QuickBooks exactly once; both refreshing the tokens at once makes one refresh grant.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { QboClient } from '../../../nodes/lib/company/qbo/client';
import { resolveEndpoints } from '../../../nodes/lib/company/qbo/environment';
import { refreshWithNodeQuickbooks, toTokenSet, type TokenSet } from '../../../nodes/lib/company/qbo/oauth';
import { OnlineCompany } from '../../../nodes/lib/company/qbo/online-company';
import { RealmThrottle } from '../../../nodes/lib/company/qbo/throttle';
import { TokenManager } from '../../../nodes/lib/company/qbo/tokens';
import { jobTag, RANK, type JobKind, type WritePayload } from '../../../nodes/lib/jobs';
import { TokenVault, type Store, type StoreOptions } from '../../../nodes/lib/store';
import { startQboSimulator, type QboSimulator } from '../../sim/qbo/server';
import { Instances } from '../../support/instances';
import { pgQuery, pgSkip } from '../../support/pg';
import { FakeClock } from './harness';
import { invoicePayload } from './online-company-rig';

const skip = pgSkip();

/** The simulator, and per instance a token manager and client over that instance's own TokenVault. */
async function simulated(): Promise<{ sim: QboSimulator; clock: FakeClock; key: string; connect: (store: Store) => { tokens: TokenManager; client: QboClient; vault: TokenVault<TokenSet> } }> {
  const clock = new FakeClock();
  const sim = await startQboSimulator({ now: () => clock.now() });
  const endpoints = resolveEndpoints({ environment: 'custom', baseUrl: sim.baseUrl, tokenUrl: sim.tokenUrl, authorizeUrl: sim.authorizeUrl });
  const app = { clientId: sim.clientId, clientSecret: sim.clientSecret };
  const key = `conn-1:${sim.realmId}`;
  const connect = (store: Store) => {
    const vault = new TokenVault<TokenSet>(store);
    const tokens = new TokenManager({ store: vault, key, realmId: sim.realmId, refresh: (rt) => refreshWithNodeQuickbooks(endpoints, app, rt), clock });
    const client = new QboClient({ realmId: sim.realmId, app, endpoints, tokens, clock, throttle: new RealmThrottle(clock) });
    return { tokens, client, vault };
  };
  return { sim, clock, key, connect };
}

describe('QuickBooks Online on two instances sharing one PostgreSQL store', { skip }, () => {
  const groups: Instances[] = [];
  const sims: QboSimulator[] = [];
  after(async () => {
    for (const s of sims) await s.close();
    for (const g of groups) await g.close();
  });
  /** A group of instances on a schema of its own and the simulator, both closed after the file. */
  const setting = async (label: string, options: StoreOptions = {}) => {
    const g = new Instances(label, options);
    groups.push(g);
    const simulation = await simulated();
    sims.push(simulation.sim);
    return { g, ...simulation };
  };

  it('tokens: both instances refreshing at once make one refresh grant and end with the same valid, stored token', async () => {
    const { g, sim, clock, key, connect } = await setting('qbo_tokens');
    const a = connect(await g.add());
    const b = connect(await g.add());
    const first = toTokenSet(sim.realmId, sim.issueTokens(), clock.now());
    await a.vault.save(key, first);
    let previous = first.refreshToken;
    for (let round = 1; round <= 3; round++) {
      clock.advance(3600_000); // both access tokens expired
      const before = sim.stats.requests.token;
      const got = await Promise.all([a.tokens.accessToken(), b.tokens.accessToken(), a.tokens.accessToken(), b.tokens.accessToken()]);
      assert.equal(sim.stats.requests.token - before, 1, `round ${round}: one refresh grant`);
      assert.equal(a.tokens.refreshCount + b.tokens.refreshCount, round);
      assert.equal(new Set(got).size, 1, 'both use the same access token');
      const stored = (await b.vault.load(key))!;
      assert.equal(stored.accessToken, got[0]);
      assert.notEqual(stored.refreshToken, previous, 'the rotated refresh token is the stored one');
      previous = stored.refreshToken;
      // the token works for both, with no further refresh
      await Promise.all([a.client.companyInfo(), b.client.companyInfo()]);
      assert.equal(sim.stats.requests.token - before, 1);
    }
  });

  it("Intuit's limits are the realm's: two instances sending for it keep to half of them each, one alone to all of them", async () => {
    const { g, sim, clock, key, connect } = await setting('qbo_share');
    const stores = [await g.add({ leaseMs: 600 }), await g.add({ leaseMs: 600 })];
    const conns = stores.map(connect);
    await conns[0].vault.save(key, toTokenSet(sim.realmId, sim.issueTokens(), clock.now()));
    const companies = stores.map((store, i) => new OnlineCompany({ id: `qbo-share-${i}`, store, settings: { invoiceCreation: true }, client: conns[i].client, clock, syncEveryMinutes: 0 }));
    try {
      await Promise.all(companies.map((c) => c.start()));
      const shares = () => conns.map((c) => c.client.throttle.sharedBy);
      for (let waited = 0; shares().some((n) => n !== 2) && waited < 5_000; waited += 50) await sleep(50);
      assert.deepEqual(shares(), [2, 2], 'each instance keeps to half');
      await companies[0].close();
      for (let waited = 0; shares()[1] !== 1 && waited < 5_000; waited += 50) await sleep(50);
      assert.equal(shares()[1], 1, 'the one left sends with the whole of the limits');
    } finally {
      for (const c of companies) await c.close();
    }
  });

  it('a few hundred jobs enqueued through both instances: each record exactly once in QuickBooks', async () => {
    const { g, sim, clock, key, connect } = await setting('qbo_e2e');
    const income = sim.seed('Account', [{ Name: 'Sales of Product Income', AccountType: 'Income' }])[0].Id as string;
    const itemId = sim.seed('Item', [{ Name: 'Kumamoto 60ct', Type: 'NonInventory', IncomeAccountRef: { value: income } }])[0].Id as string;
    const stores = [await g.add(), await g.add()];
    const conns = stores.map(connect);
    await conns[0].vault.save(key, toTokenSet(sim.realmId, sim.issueTokens(), clock.now()));
    clock.advance(1000);
    const companies = stores.map((store, i) => new OnlineCompany({
      id: 'qbo-multi', store, settings: { invoiceCreation: true, incomeAccountId: income }, client: conns[i].client, clock,
      syncEveryMinutes: 0, lingerMs: 0, retryDelayMs: 5,
    }));
    try {
      await Promise.all(companies.map((c) => c.start()));
      const CUSTOMERS = 30;
      const INVOICES = 270;
      const write = async (i: number, k: string, kind: JobKind, payload: WritePayload, dependsOn?: string[]) => {
        const c = companies[i % 2];
        await c.outbox.enqueue({ key: k, kind, rank: RANK[kind], payload, ...(dependsOn ? { dependsOn } : {}) });
        c.kick();
      };
      for (let i = 0; i < CUSTOMERS; i++) await write(i, `customer:c${i}`, 'customer.add', companies[0].newRecord('customer', { id: `c${i}`, name: `Harbor ${i} Co` }));
      for (let i = 0; i < INVOICES; i++) {
        const customer = `customer:c${i % CUSTOMERS}`;
        await write(i, `invoice:SO-${i}`, 'invoice.upsert', invoicePayload(`SO-${i}`, { jobRef: customer }, itemId), [customer]);
      }
      const deadline = Date.now() + 120_000;
      for (;;) {
        const open = await companies[0].outbox.list({ state: ['queued', 'approved', 'sent'] });
        if (open.length === 0) break;
        if (Date.now() > deadline) assert.fail(`${open.length} jobs still open, e.g. ${open[0].key} ${open[0].state}`);
        for (const c of companies) c.kick();
        await sleep(100);
      }
      await Promise.all(companies.map((c) => c.idle({ retries: true })));

      const jobs = await companies[1].outbox.list();
      assert.equal(jobs.length, CUSTOMERS + INVOICES);
      for (const j of jobs) assert.equal(j.state, 'complete', `${j.key}: ${j.error?.message ?? ''}`);
      const ids = stores.map((s) => s.instance.id);
      const sentBy = ids.map((id) => jobs.filter((j) => j.sentBy === id).length);
      assert.equal(sentBy[0] + sentBy[1], jobs.length, 'every job was sent by one of the two');
      assert.ok(sentBy[0] > 0 && sentBy[1] > 0, `both instances sent jobs (${sentBy.join(' / ')})`);

      const invoices = sim.all('Invoice');
      const perDoc = new Map<string, number>();
      for (const inv of invoices) perDoc.set(String(inv.DocNumber), (perDoc.get(String(inv.DocNumber)) ?? 0) + 1);
      assert.equal(invoices.length, INVOICES);
      for (let i = 0; i < INVOICES; i++) assert.equal(perDoc.get(`SO-${i}`), 1, `SO-${i} once`);
      const customers = sim.all('Customer').map((c) => String(c.DisplayName));
      assert.equal(customers.length, CUSTOMERS);
      assert.equal(new Set(customers).size, CUSTOMERS);
      for (const j of jobs.filter((x) => x.kind === 'invoice.upsert')) {
        const customer = jobs.find((x) => x.key === j.dependsOn[0]);
        const inv = invoices.find((x) => x.DocNumber === j.key.slice('invoice:'.length));
        assert.equal(String(inv?.CustomerRef?.value), String(customer?.result?.qbId), `${j.key} is for its customer`);
      }
    } finally {
      for (const c of companies) await c.close();
    }
  });

  it('an instance whose heartbeat fails pauses sending (and says so) until it goes through again', async () => {
    const { g, sim, clock, key, connect } = await setting('qbo_paused', { leaseMs: 600 });
    const income = sim.seed('Account', [{ Name: 'Sales of Product Income', AccountType: 'Income' }])[0].Id as string;
    const itemId = sim.seed('Item', [{ Name: 'Kumamoto 60ct', Type: 'NonInventory', IncomeAccountRef: { value: income } }])[0].Id as string;
    const customerId = sim.seed('Customer', [{ DisplayName: 'Oyster Bay Co' }])[0].Id as string;
    const store = await g.add();
    const conn = connect(store);
    await conn.vault.save(key, toTokenSet(sim.realmId, sim.issueTokens(), clock.now()));
    clock.advance(1000);
    const company = new OnlineCompany({ id: 'qbo-paused', store, settings: { invoiceCreation: true, incomeAccountId: income }, client: conn.client, clock, syncEveryMinutes: 0, lingerMs: 0, retryDelayMs: 50 });
    try {
      await company.start();
      await company.idle();
      await pgQuery(`ALTER TABLE "${g.schema}".qb_instances RENAME TO qb_instances_away`);
      try {
        await sleep(700); // over two thirds of a lease without a heartbeat
        await company.outbox.enqueue({ key: 'invoice:P-1', kind: 'invoice.upsert', rank: RANK['invoice.upsert'], payload: invoicePayload('P-1', customerId, itemId) });
        company.kick();
        await sleep(300);
        assert.equal((await company.outbox.get('invoice:P-1'))!.state, 'approved', 'not claimed');
        assert.match(company.status().message ?? '', /Sending paused/);
        assert.equal(sim.all('Invoice').length, 0);
      } finally {
        await pgQuery(`ALTER TABLE "${g.schema}".qb_instances_away RENAME TO qb_instances`);
      }
      const deadline = Date.now() + 10_000;
      while ((await company.outbox.get('invoice:P-1'))!.state !== 'complete') {
        if (Date.now() > deadline) assert.fail('sending did not resume');
        await sleep(50);
      }
      assert.equal(company.status().state, 'connected');
      assert.equal(sim.all('Invoice').length, 1);
    } finally {
      await company.close();
    }
  });

  it('takeover: the jobs a stopped instance left sent are recovered by the other on its own timer, looked up, and completed exactly once', async () => {
    const LEASE = 2000;
    const { g, sim, clock, key, connect } = await setting('qbo_takeover', { leaseMs: LEASE });
    const income = sim.seed('Account', [{ Name: 'Sales of Product Income', AccountType: 'Income' }])[0].Id as string;
    const itemId = sim.seed('Item', [{ Name: 'Kumamoto 60ct', Type: 'NonInventory', IncomeAccountRef: { value: income } }])[0].Id as string;
    const customerId = sim.seed('Customer', [{ DisplayName: 'Oyster Bay Co' }])[0].Id as string;
    const [a, b] = [await g.add(), await g.add()];
    const conn = connect(b);
    await conn.vault.save(key, toTokenSet(sim.realmId, sim.issueTokens(), clock.now()));
    clock.advance(1000);
    const settings = { invoiceCreation: true, incomeAccountId: income };
    // Instance A claims ten invoices and stops answering; QuickBooks had applied the first four.
    const dying = new OnlineCompany({ id: 'qbo-multi', store: a, settings, client: conn.client, clock, syncEveryMinutes: 0 });
    for (let i = 0; i < 10; i++) {
      const { job } = await dying.outbox.enqueue({ key: `invoice:T-${i}`, kind: 'invoice.upsert', rank: RANK['invoice.upsert'], payload: invoicePayload(`T-${i}`, customerId, itemId) });
      assert.ok(await dying.outbox.markSent(job));
      if (i < 4) sim.seed('Invoice', [{ ...invoicePayload(`T-${i}`, customerId, itemId).fields, PrivateNote: jobTag(`invoice:T-${i}`) }]);
    }
    await a.instance.close(); // its heartbeat stops: the process hangs or died
    const survivor = new OnlineCompany({ id: 'qbo-multi', store: b, settings, client: conn.client, clock, syncEveryMinutes: 0, lingerMs: 0, retryDelayMs: 5 });
    try {
      await survivor.start();
      await survivor.idle();
      assert.equal((await survivor.outbox.list({ state: 'sent' })).length, 10, 'A\'s lease has not passed: its jobs are left alone');
      const deadline = Date.now() + 15_000;
      while ((await survivor.outbox.list({ state: 'complete' })).length < 10) {
        if (Date.now() > deadline) assert.fail('the jobs of the stopped instance were not taken over');
        await sleep(100);
      }
      await survivor.idle({ retries: true });
      const jobs = await survivor.outbox.list();
      for (const j of jobs) {
        assert.ok(j.history.some((h) => h.note === `instance ${a.instance.id} stopped answering; will look up before re-sending`), j.key);
        assert.equal(j.sentBy === b.instance.id || j.result?.foundExisting === true, true, j.key);
      }
      assert.equal(jobs.filter((j) => j.result?.foundExisting === true).length, 4, 'the four QuickBooks had were found, not added again');
      for (let i = 0; i < 10; i++) assert.equal(sim.all('Invoice').filter((x) => x.DocNumber === `T-${i}`).length, 1, `T-${i} once`);
    } finally {
      await survivor.close();
      await dying.close();
    }
  });
});
