import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ChargeHandler } from '../../nodes/lib/handlers/charges';
import { Store } from '../../nodes/lib/store';
import { TestCompany } from '../unit/handlers/support';
import { nextMessage, nodeHelper as helper, type TestNode } from '../support/helper';
import { useNodeRed } from '../support/lifecycle';
import { QbwcNodeTest, loadExample } from '../support/qbwc-node';
import { QbdCompany } from '../sim/qbd';

const t = new QbwcNodeTest('exporter');
const { qbwcServer, wcId, wcPath, creds } = t;
const exporter = require('../../nodes/qb-date-range-exporter/qb-date-range-exporter');

function flow(props: Record<string, unknown> = {}, fresh = true) {
  if (fresh) t.nextConnection();
  return [
    { id: 'tab', type: 'tab' },
    { id: wcId(), type: 'qbwc-server', path: wcPath(), pageSize: 50 },
    { id: 'ex', z: 'tab', type: 'qb-date-range-exporter', edition: 'qbd', qbwc: wcId(), timeZone: 'UTC', ...props, wires: [['exported'], ['action'], ['reply']] },
    { id: 'exported', z: 'tab', type: 'helper' },
    { id: 'action', z: 'tab', type: 'helper' },
    { id: 'reply', z: 'tab', type: 'helper' },
    { id: 'c1', z: 'tab', type: 'catch', scope: ['ex'], uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'tab', type: 'helper' },
  ];
}

/** Loads the flow; the company knows item "Hosting" and charge ch-1 maps to it (ch-2 does not). */
async function load(props: Record<string, unknown> = {}, fresh = true) {
  await helper.load([qbwcServer, exporter], flow(props, fresh), creds());
  const company = await t.whenCompany();
  await company.mirror.upsert('items', [{ id: '80000001-1', name: 'Hosting', active: true, data: {} }]);
  await new ChargeHandler(company).ingest([{ id: 'ch-1', name: 'Hosting', priceCode: 'Hosting' }, { id: 'ch-2', name: 'Setup', priceCode: 'Setup fee' }]);
  return company;
}

async function send(msg: Record<string, unknown>, output = 'reply'): Promise<Record<string, any>> {
  const waiting = nextMessage(helper.getNode(output));
  helper.getNode('ex').receive(msg);
  return waiting;
}

/** Resolves with the node's first status text matching `pattern`, seen already or to come. */
function statusMatching(node: TestNode, pattern: RegExp): Promise<string> {
  const spy = (node as unknown as { status: { getCalls(): Array<{ thisValue: unknown; args: Array<{ text?: string }> }> } }).status;
  const seen = spy.getCalls().find((c) => c.thisValue === node && pattern.test(c.args[0]?.text ?? ''));
  if (seen) return Promise.resolve(seen.args[0].text as string);
  return new Promise((resolve) => {
    node.on('call:status', (call: { args: Array<{ text?: string }> }) => {
      if (pattern.test(call.args[0]?.text ?? '')) resolve(call.args[0].text as string);
    });
  });
}

const customer = (id: string, createdAt = '2026-01-10T10:00:00Z', name = `Customer ${id}`) => ({ id, name, email: `${id}@example.com`, createdAt });
const invoice = (id: string, customerId: string, chargeId = 'ch-1', createdAt = '2026-01-10T11:00:00Z') => ({
  id, invoiceNumber: `INV-${id}`, customerId, invoiceDate: createdAt.slice(0, 10), createdAt, lines: [{ chargeId, description: 'Hosting, January', quantity: 1, unitPrice: 30 }],
});
const JANUARY = { from: '2026-01-01', to: '2026-01-31' };

describe('qb-date-range-exporter node', () => {
  useNodeRed(t.tmp, t.httpNode);

  it('keeps the BluBilling records it receives and replies with their ids', async () => {
    await load();
    const reply = await send({ topic: 'customers', payload: [customer('c1'), customer('c2')] });
    assert.deepEqual(reply.payload, { entity: 'customer', received: 2, ids: ['c1', 'c2'] });
  });

  it('an export queues the records created in the range and replies with the report', async () => {
    await load();
    await send({ topic: 'customer', payload: customer('c1') });
    await send({ topic: 'invoice', payload: invoice('i1', 'c1') });
    const reply = await send({ topic: 'export', payload: JANUARY });
    assert.deepEqual(reply.payload.queued.map((o: { key: string }) => o.key), ['customer:c1', 'invoice:i1']);
    assert.deepEqual(reply.payload.held, []);
  });

  it('an export request without a topic is recognised', async () => {
    await load();
    await send({ topic: 'customers', payload: customer('c1') });
    const reply = await send({ payload: JANUARY });
    assert.equal(reply.payload.queued.length, 1);
  });

  it('the queue lists the jobs waiting for approval', async () => {
    await load();
    await send({ topic: 'customers', payload: customer('c1') });
    await send({ topic: 'export', payload: JANUARY });
    const reply = await send({ topic: 'queue' });
    assert.deepEqual(reply.payload.queue.map((r: { key: string; operation: string; state: string; status: string }) => [r.key, r.operation, r.state, r.status]), [['customer:c1', 'Export Customer', 'queued', 'In Queue']]);
  });

  it('with "send without review" the jobs are approved at once', async () => {
    await load({ autoApprove: true });
    await send({ topic: 'customers', payload: customer('c1') });
    await send({ topic: 'export', payload: JANUARY });
    const reply = await send({ topic: 'queue' });
    assert.equal(reply.payload.queue[0].state, 'approved');
  });

  it('holds an invoice whose charge is unmapped and sends it to output 2 with what to do', async () => {
    await load();
    await send({ topic: 'customers', payload: customer('c1') });
    await send({ topic: 'invoices', payload: invoice('i1', 'c1', 'ch-2') });
    const action = nextMessage(helper.getNode('action'));
    helper.getNode('ex').receive({ topic: 'export', payload: JANUARY });
    const msg = await action;
    assert.equal(msg.topic, 'needs-action/invoice/i1');
    assert.equal(msg.payload.status, 'held');
    assert.match(msg.payload.actions.join(' '), /Price Code "Setup fee".*entered Exactly as it appears under the Name column/);
  });

  it('approved jobs go in the next Web Connector session; each completion leaves on output 1 with its QuickBooks id', async () => {
    await load();
    await t.serve();
    await send({ topic: 'customers', payload: customer('c1') });
    await send({ topic: 'export', payload: JANUARY });
    const approved = await send({ topic: 'approve' });
    assert.deepEqual(approved.payload, { approved: 1 });
    const exported = nextMessage(helper.getNode('exported'), 10_000);
    const qb = new QbdCompany({});
    const session = await t.webConnector(qb).runSession();
    assert.equal(session.ok, true, JSON.stringify(session.errors));
    const msg = await exported;
    assert.equal(msg.topic, 'exported/customer/c1');
    assert.equal(msg.payload.status, 'exported');
    assert.equal(msg.payload.qbId, qb.get('Customer', 'Customer c1')?.ListID);
    assert.deepEqual(msg.payload.record, customer('c1'));
  });

  it('the history shows each job Complete with its QuickBooks id', async () => {
    await load({ autoApprove: true });
    await t.serve();
    await send({ topic: 'customers', payload: customer('c1') });
    await send({ topic: 'export', payload: JANUARY });
    const exported = nextMessage(helper.getNode('exported'), 10_000);
    const qb = new QbdCompany({});
    await t.webConnector(qb).runSession();
    await exported;
    const reply = await send({ topic: 'history' });
    assert.deepEqual(reply.payload.history.map((r: { key: string; status: string; qbId?: string }) => [r.key, r.status, r.qbId]), [['customer:c1', 'Complete', qb.get('Customer', 'Customer c1')?.ListID]]);
  });

  it('a job QuickBooks refuses leaves on output 2 with its code and what to do', async () => {
    await load({ autoApprove: true });
    await t.serve();
    const qb = new QbdCompany({});
    qb.seed({ vendors: ['Customer c1'] }); // a vendor holds the name
    await send({ topic: 'customers', payload: customer('c1') });
    await send({ topic: 'export', payload: JANUARY });
    const refused = nextMessage(helper.getNode('action'), 10_000);
    await t.webConnector(qb).runSession();
    const msg = await refused;
    assert.equal(msg.payload.status, 'error');
    assert.match(msg.payload.actions[0], /QuickBooks refused customer Customer c1 \(3100\)/);
    assert.match(msg.payload.actions[0], /QuickBooks has a vendor named 'Customer c1': rename the BluBilling customer or the vendor/);
  });

  it('an invoice held by its refused customer leaves on output 2 too, with the same reason (nothing waits silently)', async () => {
    await load({ autoApprove: true });
    await t.serve();
    const qb = new QbdCompany({});
    qb.seed({ otherNames: ['Customer c1'] });
    await send({ topic: 'customers', payload: customer('c1') });
    await send({ topic: 'invoices', payload: invoice('i1', 'c1') });
    await send({ topic: 'export', payload: JANUARY });
    const seen: Array<Record<string, any>> = [];
    const both = new Promise<void>((resolve) => {
      helper.getNode('action').on('input', (msg: Record<string, any>) => {
        seen.push(msg);
        if (seen.length === 2) resolve();
      });
    });
    await t.webConnector(qb).runSession();
    await both;
    const byStatus = Object.fromEntries(seen.map((m) => [m.payload.status, m.payload]));
    assert.equal(byStatus.error.key, 'customer:c1');
    assert.equal(byStatus.held.key, 'invoice:i1');
    assert.match(byStatus.held.actions[0], /Invoice INV-i1 is held: Customer Customer c1 needs action: QuickBooks has 'Customer c1' in its Other Names list/);
    const queue = await send({ topic: 'queue' });
    assert.equal(queue.payload.queue.find((q: any) => q.key === 'invoice:i1').status, 'Held');
  });

  it('skip: a skipped job is never sent and the history says Skipped', async () => {
    await load();
    await send({ topic: 'customers', payload: customer('c1') });
    await send({ topic: 'export', payload: JANUARY });
    const skipped = await send({ topic: 'skip', payload: { keys: ['customer:c1'] } });
    assert.deepEqual(skipped.payload, { skipped: 1 });
    const history = await send({ topic: 'history' });
    assert.equal(history.payload.history[0].status, 'Skipped');
  });

  it('refuses an export request with a bad date with a real Error naming the field, to a Catch node', async () => {
    await load();
    const caught = await send({ topic: 'export', payload: { from: '2026-13-01', to: '2026-01-31' } }, 'caught');
    assert.match(caught.error.message, /\/from/);
    assert.equal(caught.error.source.id, 'ex');
  });

  it('refuses an unknown topic, naming the topics it knows', async () => {
    await load();
    const caught = await send({ topic: 'vendors', payload: {} }, 'caught');
    assert.match(caught.error.message, /unknown topic "vendors": use customers, invoices, payments, export, queue, history, approve or skip/);
  });

  it('refuses a skip without job keys', async () => {
    await load();
    const caught = await send({ topic: 'skip', payload: {} }, 'caught');
    assert.match(caught.error.message, /skip needs payload/);
  });

  it('the Accounting Scheduler exports every ended period on deploy and shows the next export date', async () => {
    const now = new Date();
    const month = (offset: number) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1)).toISOString().slice(0, 10);
    await load();
    await send({ topic: 'customers', payload: customer('c1', `${month(-3).slice(0, 8)}05T10:00:00Z`) });
    await helper.unload();
    await load({ schedule: true, periodStart: month(-3), every: 1, unit: 'months', checkMinutes: 60 }, false);
    const text = await statusMatching(helper.getNode('ex'), /^next export /);
    assert.equal(text, `next export ${month(1)}`);
    const queue = await send({ topic: 'queue' });
    assert.deepEqual(queue.payload.queue.map((r: { key: string }) => r.key), ['customer:c1']);
  });

  it('a schedule without a valid period start reports a clear error', async () => {
    await helper.load([qbwcServer, exporter], flow({ schedule: true, periodStart: 'soon' }), creds());
    const caught = await send({ topic: 'queue' }, 'caught');
    assert.match(caught.error.message, /the period start date must be a date \(YYYY-MM-DD\), got "soon"/);
  });

  it('works the same with a QuickBooks Online connection (jobs in the Online shape)', async () => {
    const store = await Store.open(path.join(t.tmp.dir, 'qbo-store'));
    const company = new TestCompany('qbo-co', 'qbo', store, { invoiceCreation: true });
    /** A stand-in qbo-connection config node: what consumers see of it is its edition and whenCompany(). */
    const qboConnection = (RED: any) => {
      RED.nodes.registerType('qbo-connection', function (this: any, config: unknown) {
        RED.nodes.createNode(this, config);
        this.edition = 'qbo';
        this.whenCompany = () => Promise.resolve(company);
      });
    };
    try {
      await helper.load([qboConnection, exporter], [
        { id: 'tab', type: 'tab' },
        { id: 'qbo1', type: 'qbo-connection' },
        { id: 'ex', z: 'tab', type: 'qb-date-range-exporter', edition: 'qbo', qbo: 'qbo1', timeZone: 'UTC', wires: [[], [], ['reply']] },
        { id: 'reply', z: 'tab', type: 'helper' },
      ]);
      await send({ topic: 'customers', payload: customer('c1') });
      const reply = await send({ topic: 'export', payload: JANUARY });
      assert.deepEqual(reply.payload.queued.map((o: { key: string }) => o.key), ['customer:c1']);
      const job = await company.outbox.get('customer:c1');
      assert.equal((job?.payload as { fields: { DisplayName?: string } }).fields.DisplayName, 'Customer c1');
      assert.equal(company.kicks, 1);
    } finally {
      await helper.unload();
      await store.close();
    }
  });

  it('its example flow deploys', async () => {
    await loadExample('qb-date-range-exporter/01-export-by-date-range.json', [qbwcServer, exporter], { 'exe-wc': { username: 'u', password: 'p' } });
    assert.equal(helper.getNode('exe-x1').type, 'qb-date-range-exporter');
    await (helper.getNode('exe-wc') as any).whenCompany();
  });
});

