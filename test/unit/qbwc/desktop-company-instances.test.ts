/**
 * Several Node-RED instances on one PostgreSQL store serve one QuickBooks Desktop company: two Store
 * objects on one schema, each with its own DesktopCompany and Web Connector service on its own HTTP
 * server, behind a round-robin balancer (no affinity), so the calls of one Web Connector session
 * alternate between the instances. The session lives in the store: it completes, each job is sent to
 * QuickBooks once, an instance may stop mid-session, "busy" holds across instances, and an idle session
 * expires once, on whichever instance notices it.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DesktopCompany, type SessionSummary } from '../../../nodes/lib/company/qbwc/desktop-company';
import { createQbwcService, type QbwcService } from '../../../nodes/lib/company/qbwc/service';
import { RANK } from '../../../nodes/lib/jobs';
import { Store } from '../../../nodes/lib/store';
import { QbdCompany } from '../../sim/qbd';
import { WebConnectorSimulator, type FaultOptions } from '../../sim/qbwc';
import { mountOnHttpServer } from '../../support/http-mount';
import { PG_URL, pgQuery, pgSkip, testSchema } from '../../support/pg';
import { RoundRobin } from '../../support/round-robin';
import { tempDir } from '../../support/tmp';
import { customerJob, PASSWORD, USER } from './desktop-company-helpers';

const skip = pgSkip();
const PATH = '/qbwc';
const COMPANY = 'qbd-shared';

interface InstanceOptions {
  idleTimeoutMs?: number;
  staleAfterMs?: number;
}

/** One Node-RED instance: its own Store object on the shared schema, company, service and HTTP server. */
class Instance {
  readonly sessions: SessionSummary[] = [];
  closed = false;

  private constructor(
    readonly store: Store,
    readonly company: DesktopCompany,
    readonly service: QbwcService,
    readonly server: http.Server,
    readonly url: string,
  ) {}

  static async open(dir: string, schema: string, income: string, options: InstanceOptions = {}): Promise<Instance> {
    const store = await Store.open(dir, { url: PG_URL, schema });
    const company = new DesktopCompany({ id: COMPANY, store, settings: { invoiceCreation: true, incomeAccountId: income }, autoApprove: true });
    await company.start();
    const service = await createQbwcService({ workSource: company, username: USER, password: PASSWORD, idleTimeoutMs: options.idleTimeoutMs ?? 60_000, staleAfterMs: options.staleAfterMs });
    const server = http.createServer();
    mountOnHttpServer(server, PATH, service.handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const instance = new Instance(store, company, service, server, `http://127.0.0.1:${(server.address() as AddressInfo).port}${PATH}`);
    company.on('session', (s: SessionSummary) => instance.sessions.push(s));
    return instance;
  }

  /** Shuts the instance down as a Node-RED stop does (service, company, store). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.service.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.company.close();
    await this.store.close();
  }
}

const SEED = { customers: [{ Name: 'Oyster Bay Co' }] };
const added = (qbd: QbdCompany, name: string) => qbd.received.filter((x) => x.includes('<CustomerAddRq') && x.includes(`<Name>${name}</Name>`)).length;
const rqNames = (requests: string[]) => requests.map((x) => /<(\w+Rq)[ >]/.exec(x.replace('<QBXMLMsgsRq', ''))?.[1]);

describe('Web Connector sessions across two instances on one PostgreSQL store', { skip }, () => {
  let tmp: ReturnType<typeof tempDir>;
  let qbd: QbdCompany;
  let a: Instance;
  let b: Instance;
  let lb: RoundRobin;
  let schema: string;
  let n = 0;

  async function start(options: InstanceOptions = {}): Promise<void> {
    schema = testSchema(`qbwc_instances_${++n}`);
    a = await Instance.open(path.join(tmp.dir, 'a'), schema, income(), options);
    b = await Instance.open(path.join(tmp.dir, 'b'), schema, income(), options);
    lb = await RoundRobin.start([a.url, b.url], PATH);
  }

  const income = () => qbd.get('Account', 'Service Income')?.ListID as string;
  const sim = (faults: FaultOptions = {}) => new WebConnectorSimulator({ url: lb.url, username: USER, password: PASSWORD, processor: qbd, ...faults });
  const enqueue = async (count: number) => {
    for (let i = 1; i <= count; i++) await a.company.outbox.enqueue({ rank: RANK['customer.add'], ...customerJob(`customer:c${i}`, `Customer ${i}`) });
  };

  beforeEach(() => {
    tmp = tempDir('qbwc-instances-');
    qbd = new QbdCompany({ seed: SEED });
  });

  afterEach(async () => {
    await lb?.close();
    await a?.close();
    await b?.close();
    tmp.cleanup();
  });

  it('a session whose calls alternate between the instances completes: every job sent once, percents and the summary as on one instance', async () => {
    await start();
    await enqueue(4);
    const run = await sim().runSession();
    assert.deepEqual(run.errors, []);
    assert.equal(run.authStatus, '');
    assert.deepEqual(run.percents, [25, 50, 75, 100]);
    assert.equal(run.closeMessage, '4 sent, 4 complete, 0 errors');
    // every call after authenticate went to the other instance than the one before
    const ops = lb.forwarded.filter((f) => ['authenticate', 'sendRequestXML', 'receiveResponseXML', 'closeConnection'].includes(f.op));
    for (let i = 1; i < ops.length; i++) assert.notEqual(ops[i]?.upstream, ops[i - 1]?.upstream, `call ${i} (${ops[i]?.op}) went to another instance`);
    assert.ok(lb.perUpstream().every((c) => c >= 4), `both instances served the session: ${lb.perUpstream()}`);
    for (let i = 1; i <= 4; i++) {
      assert.equal(added(qbd, `Customer ${i}`), 1, `Customer ${i} was sent to QuickBooks once`);
      const job = await b.company.outbox.get(`customer:c${i}`);
      assert.equal(job?.state, 'complete');
      assert.equal(job?.attempts, 1);
    }
    assert.equal(qbd.count('Customer'), 5);
    assert.equal(a.sessions.length + b.sessions.length, 1, 'the session ended once');
    // nothing of the session is left in the store
    assert.deepEqual(await pgQuery(`SELECT _id FROM "${schema}".qb_state WHERE kind IN ('qbwc-session', 'qbwc-running', 'qbd-session')`), []);
  });

  it('an import whose pages alternate between the instances continues its iterator and receives every record once', async () => {
    qbd = new QbdCompany({ seed: { customers: Array.from({ length: 25 }, (_, i) => ({ Name: `Imported ${String(i + 1).padStart(2, '0')}` })) } });
    await start();
    const seen: string[] = [];
    for (const x of [a, b]) x.company.on('imported', (page: { records: Array<{ id: string }> }) => seen.push(...page.records.map((r) => r.id)));
    await a.company.outbox.enqueue({ key: 'import:customers:all', kind: 'import.customers', rank: RANK['import.customers'], payload: { from: '1970-01-01', to: '2099-12-31', pageSize: 10 }, summary: 'Import customers' });
    const run = await sim().runSession();
    assert.deepEqual(run.errors, []);
    assert.deepEqual(rqNames(run.requests), ['CustomerQueryRq', 'CustomerQueryRq', 'CustomerQueryRq']);
    assert.match(run.requests[1] ?? '', /iterator="Continue"/, 'the second page continues the iterator the first started (on the other instance)');
    assert.deepEqual(run.percents.at(-1), 100);
    assert.equal(seen.length, 25);
    assert.equal(new Set(seen).size, 25, 'every record once');
    const job = await b.company.outbox.get('import:customers:all');
    assert.deepEqual([job?.state, job?.result?.count], ['complete', 25]);
  });

  it('getLastError answered by the other instance names the failure recorded by the first', async () => {
    await start();
    await enqueue(2);
    const run = await sim({ hresultOnResponse: 1, hresult: '0x80040401', hresultMessage: 'QuickBooks is busy with a modal dialog' }).runSession();
    assert.deepEqual(run.percents, [-1]);
    const last = run.transcript.filter((t) => t.op === 'getLastError');
    assert.equal(last.length, 1);
    const [response, getLastError] = lb.forwarded.filter((f) => f.op === 'receiveResponseXML' || f.op === 'getLastError');
    assert.notEqual(response?.upstream, getLastError?.upstream, 'getLastError reached the other instance');
    assert.equal(run.lastError, 'Customer Customer 1: 0x80040401: QuickBooks is busy with a modal dialog');
    const job = await a.company.outbox.get('customer:c1');
    assert.equal(job?.state, 'approved');
    assert.equal(job?.uncertain, true, 'the outcome is unknown: looked up before it is added again');

    const next = await sim().runSession();
    assert.deepEqual(next.errors, []);
    assert.deepEqual(rqNames(next.requests), ['CustomerQueryRq', 'CustomerAddRq', 'CustomerAddRq']);
    assert.equal(qbd.count('Customer'), 3);
  });

  it('an instance stopped in the middle of a session: the other answers the rest', async () => {
    await start();
    await enqueue(4);
    lb.before = async (count, op) => {
      // after the second response, instance A shuts down (service, company, store); B takes every call
      if (op === 'sendRequestXML' && lb.forwarded.filter((f) => f.op === 'receiveResponseXML').length === 2 && !a.closed) {
        await a.close();
        lb.down.add(0);
      }
      void count;
    };
    const run = await sim().runSession();
    assert.equal(a.closed, true);
    assert.deepEqual(run.errors, []);
    assert.deepEqual(run.percents, [25, 50, 75, 100]);
    assert.equal(run.closeMessage, '4 sent, 4 complete, 0 errors', 'the summary counts the calls A answered too');
    for (let i = 1; i <= 4; i++) assert.equal(added(qbd, `Customer ${i}`), 1, `Customer ${i} was sent to QuickBooks once`);
    for (const j of await b.company.outbox.list()) assert.deepEqual([j.state, j.attempts], ['complete', 1], j.key);
    assert.deepEqual(b.sessions.map((s) => s.reason), ['closed']);
    assert.deepEqual(a.sessions, [], 'closing A did not end the session');
  });

  it('a second Web Connector authenticating on the other instance while one runs gets busy', async () => {
    await start();
    await enqueue(3);
    const opsA = a.service.operations;
    const opsB = b.service.operations;
    const [ticket, status] = await opsA.authenticate(USER, PASSWORD);
    assert.equal(status, '');
    const busy = await opsB.authenticate(USER, PASSWORD);
    assert.equal(busy[1], 'busy');
    assert.ok(Number(busy[2]) >= 1, 'with the postpone hint');
    assert.equal(await opsB.closeConnection(busy[0] as string), 'Another Web Connector session for this company is running; try again later.');
    // the running session goes on, on B
    assert.match(await opsB.sendRequestXML(ticket as string, '', '', 'US', 13, 0), /CustomerAddRq/);
    assert.equal((await opsA.sessions.peek(ticket as string))?.phase, 'active');
    assert.match(await opsB.closeConnection(ticket as string), /^1 sent, 0 complete/);

    // two Web Connectors at the same moment, one on each instance: exactly one runs, every time
    for (let round = 0; round < 5; round++) {
      const answers = await Promise.all([opsA.authenticate(USER, PASSWORD), opsB.authenticate(USER, PASSWORD)]);
      assert.deepEqual(answers.map((x) => x[1]).sort(), ['', 'busy'], `round ${round}`);
      for (const [t, s] of answers) if (s === '') await (round % 2 ? opsA : opsB).closeConnection(t as string);
    }
  });

  it('an instance starting while a session runs leaves the in-flight job to the session', async () => {
    await start();
    await enqueue(1);
    const opsA = a.service.operations;
    const [ticket] = await opsA.authenticate(USER, PASSWORD);
    const request = await opsA.sendRequestXML(ticket as string, '', '', 'US', 13, 0);
    assert.match(request, /CustomerAddRq/);
    // B restarts (a new company and service on a new Store object) while QuickBooks holds the request
    await b.close();
    lb.down.add(1);
    b = await Instance.open(path.join(tmp.dir, 'b2'), schema, income());
    const job = await b.company.outbox.get('customer:c1');
    assert.deepEqual([job?.state, job?.uncertain], ['sent', false], 'not taken for an unanswered job of a dead session');
    const percent = await b.service.operations.receiveResponseXML(ticket as string, qbd.processRequest(request, ticket as string), '', '');
    assert.equal(percent, 100);
    assert.equal(await b.service.operations.closeConnection(ticket as string), '1 sent, 1 complete, 0 errors');
    const done = await a.company.outbox.get('customer:c1');
    assert.deepEqual([done?.state, done?.attempts, done?.history.some((h) => /outcome unknown/.test(h.note ?? ''))], ['complete', 1, false]);
  });

  it('a Web Connector that crashed is taken over by a run on the other instance once it counts as gone', async () => {
    await start({ staleAfterMs: 300 });
    await enqueue(2);
    const killed = await sim({ killAfterRequests: 1 }).runSession(); // Customer 1 added, its answer lost
    assert.equal(killed.killed, true);
    assert.equal((await a.company.outbox.get('customer:c1'))?.state, 'sent');
    await new Promise((r) => setTimeout(r, 400));
    const next = await sim().runSession();
    assert.deepEqual(next.errors, []);
    assert.deepEqual(rqNames(next.requests), ['CustomerQueryRq', 'CustomerAddRq']);
    assert.equal((await a.company.outbox.get('customer:c1'))?.result?.foundExisting, true);
    assert.equal(added(qbd, 'Customer 1'), 1);
    assert.equal(qbd.count('Customer'), 3);
    const expired = [...a.sessions, ...b.sessions].filter((s) => s.reason === 'expired');
    assert.equal(expired.length, 1, 'the crashed session ended once');
  });

  it('a lock left by an instance that died while ending its session is taken over once it is stale', async () => {
    await start({ staleAfterMs: 300 });
    await enqueue(1);
    const opsA = a.service.operations;
    const [ticket] = await opsA.authenticate(USER, PASSWORD);
    assert.match(await opsA.sendRequestXML(ticket as string, '', '', 'US', 13, 0), /CustomerAddRq/);
    // an instance claimed the session's end (its document is gone) and died before releasing the lock
    await pgQuery(`DELETE FROM "${schema}".qb_state WHERE _id = $1`, [`${COMPANY}|qbwc-session|${ticket}`]);
    const early = await b.service.operations.authenticate(USER, PASSWORD);
    assert.equal(early[1], 'busy', 'a lock being released is not taken at once');
    await new Promise((r) => setTimeout(r, 400));
    const run = await sim().runSession();
    assert.deepEqual(run.errors, []);
    assert.deepEqual(rqNames(run.requests), ['CustomerQueryRq', 'CustomerAddRq']);
    assert.equal(qbd.count('Customer'), 2);
    assert.deepEqual([...a.sessions, ...b.sessions].map((s) => [s.ticket, s.reason]).filter(([t]) => t === ticket), [[ticket, 'expired']]);
  });

  it('an idle session expires once, on whichever instance notices it: its in-flight job becomes uncertain and is looked up', async () => {
    await start({ idleTimeoutMs: 300 });
    await enqueue(2);
    const killed = await sim({ killAfterRequests: 2 }).runSession(); // Customer 2 added, then the Web Connector died
    assert.equal(killed.killed, true);
    assert.equal((await a.company.outbox.get('customer:c2'))?.state, 'sent');
    // both instances sweep; wait until one has expired the session, then longer, for a second expiry that must not come
    for (let waited = 0; a.sessions.length + b.sessions.length === 0 && waited < 5_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 900));
    const ends = [...a.sessions, ...b.sessions];
    assert.equal(ends.length, 1, 'expired exactly once across the instances');
    assert.equal(ends[0]?.reason, 'expired');
    assert.equal(ends[0]?.summary, '2 sent, 1 complete, 0 errors, 1 unanswered (resumed next run)');
    const job = await b.company.outbox.get('customer:c2');
    assert.equal(job?.state, 'approved');
    assert.equal(job?.uncertain, true);
    assert.equal(job?.history.filter((h) => /will look up before re-sending/.test(h.note ?? '')).length, 1, 'recovered once');

    const next = await sim().runSession();
    assert.deepEqual(next.errors, []);
    assert.deepEqual(rqNames(next.requests), ['CustomerQueryRq']);
    assert.equal((await b.company.outbox.get('customer:c2'))?.result?.foundExisting, true);
    assert.equal(added(qbd, 'Customer 2'), 1, 'sent to QuickBooks once');
    assert.equal(qbd.count('Customer'), 3);
  });

  it('an idle session of a stopped instance is expired by the other', async () => {
    await start({ idleTimeoutMs: 300 });
    await enqueue(1);
    const opsA = a.service.operations;
    const [ticket] = await opsA.authenticate(USER, PASSWORD);
    assert.match(await opsA.sendRequestXML(ticket as string, '', '', 'US', 13, 0), /CustomerAddRq/);
    await a.close(); // A goes away with the session running; only B is left to notice the silence
    for (let waited = 0; b.sessions.length === 0 && waited < 5_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(b.sessions.map((s) => [s.ticket, s.reason]), [[ticket, 'expired']]);
    const job = await b.company.outbox.get('customer:c1');
    assert.deepEqual([job?.state, job?.uncertain], ['approved', true]);
    assert.equal(await b.service.operations.getLastError(ticket as string), 'Unknown or expired ticket; run the update again.');
  });
});
