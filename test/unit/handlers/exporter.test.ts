import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Edition } from '../../../nodes/lib/company/types';
import type { WritePayload } from '../../../nodes/lib/jobs';
import { ChargeHandler } from '../../../nodes/lib/handlers/charges';
import { ExportHandler, parseExportMessage } from '../../../nodes/lib/handlers/exporter';
import { EDITIONS, mirrorOf, newCompany, useStore } from './support';

const store = useStore();

const customer = (id: string, createdAt: string, extra: Record<string, unknown> = {}) => ({ id, name: `Customer ${id}`, createdAt, ...extra });
const invoice = (id: string, customerId: string, createdAt: string, extra: Record<string, unknown> = {}) => ({
  id, invoiceNumber: `INV-${id}`, customerId, invoiceDate: createdAt.slice(0, 10), createdAt,
  lines: [{ chargeId: 'ch-1', description: 'Hosting, January', quantity: 3, unitPrice: 10.005 }], ...extra,
});
const payment = (id: string, invoiceId: string, customerId: string, createdAt: string) => ({ id, invoiceId, customerId, paymentDate: createdAt.slice(0, 10), createdAt, amount: 30.02 });

async function setup(edition: Edition = 'qbd', options: { autoApprove?: boolean; timeZone?: string } = {}) {
  const company = newCompany(store(), edition);
  await mirrorOf(company, 'items', [{ id: 'IT-1', name: 'Hosting' }]);
  const charges = new ChargeHandler(company);
  await charges.ingest([{ id: 'ch-1', name: 'Hosting', priceCode: 'Hosting' }, { id: 'ch-2', name: 'Setup', priceCode: 'Setup Fee' }]);
  const exporter = new ExportHandler(company, { timeZone: 'UTC', ...options });
  return { company, charges, exporter };
}

async function payloadOf(company: { outbox: { get(key: string): Promise<{ payload: unknown } | null> } }, key: string): Promise<WritePayload> {
  const job = await company.outbox.get(key);
  assert.ok(job, `job ${key} exists`);
  return job.payload as WritePayload;
}

describe('ExportHandler: BluBilling records exported by date range', () => {
  it('keeps the records it receives in the store', async () => {
    const { company, exporter } = await setup();
    await exporter.run(parseExportMessage({ topic: 'customers', payload: [customer('cu-1', '2026-01-05T10:00:00Z')] }));
    const entry = await company.log('blubilling-customer').get('cu-1');
    assert.equal(entry?.status, 'received');
    assert.equal((entry?.source as { name: string }).name, 'Customer cu-1');
  });

  it('rejects a batch with an invalid record, keeping none of it', async () => {
    const { company, exporter } = await setup();
    await assert.rejects(exporter.records.receive('invoice', [invoice('in-1', 'cu-1', '2026-01-05T10:00:00Z'), { id: 'in-2' }]), /record 1: .*\/invoiceNumber is required/);
    assert.equal(await company.log('blubilling-invoice').get('in-1'), null);
  });

  it('includes records created on the first and on the last day of the range', async () => {
    const { exporter } = await setup();
    await exporter.records.receive('customer', [customer('a', '2026-01-01T00:00:00Z'), customer('b', '2026-01-31T23:59:59Z')]);
    const report = await exporter.export({ from: '2026-01-01', to: '2026-01-31', entities: ['customers'] });
    assert.deepEqual(report.queued.map((o) => o.key).sort(), ['customer:a', 'customer:b']);
  });

  it('leaves out records created the day before and the day after the range', async () => {
    const { exporter } = await setup();
    await exporter.records.receive('customer', [customer('a', '2025-12-31T23:59:59Z'), customer('b', '2026-02-01T00:00:00Z')]);
    const report = await exporter.export({ from: '2026-01-01', to: '2026-01-31' });
    assert.deepEqual(report.queued, []);
  });

  it('reads createdAt as a date in the company\'s time zone', async () => {
    const late = customer('a', '2026-01-31T23:30:00-05:00');
    const ny = await setup('qbd', { timeZone: 'America/New_York' });
    await ny.exporter.records.receive('customer', [late]);
    assert.equal((await ny.exporter.export({ from: '2026-01-01', to: '2026-01-31' })).queued.length, 1);
    const utc = await setup('qbd', { timeZone: 'UTC' });
    await utc.exporter.records.receive('customer', [late]);
    assert.equal((await utc.exporter.export({ from: '2026-01-01', to: '2026-01-31' })).queued.length, 0);
  });

  it('refuses an unknown time zone', async () => {
    const company = newCompany(store());
    assert.throws(() => new ExportHandler(company, { timeZone: 'Mars/Olympus' }), /unknown time zone "Mars\/Olympus"/);
  });

  it('queues nothing twice when export ranges overlap', async () => {
    const { company, exporter } = await setup();
    await exporter.records.receive('customer', [customer('a', '2026-01-10T10:00:00Z')]);
    await exporter.records.receive('invoice', [invoice('i1', 'a', '2026-01-10T11:00:00Z')]);
    await exporter.export({ from: '2026-01-01', to: '2026-01-15' });
    const second = await exporter.export({ from: '2026-01-10', to: '2026-01-31' });
    assert.deepEqual(second.queued, []);
    assert.equal((await company.outbox.list()).length, 2);
  });

  it('exports only the entities asked for (a needed customer is still queued first)', async () => {
    const { company, exporter } = await setup();
    await exporter.records.receive('customer', [customer('a', '2026-01-10T10:00:00Z'), customer('b', '2026-01-10T10:00:00Z')]);
    await exporter.records.receive('invoice', [invoice('i1', 'a', '2026-01-10T11:00:00Z')]);
    await exporter.export({ from: '2026-01-01', to: '2026-01-31', entities: ['invoices'] });
    assert.deepEqual((await company.outbox.list()).map((j) => j.key), ['customer:a', 'invoice:i1']);
  });

  it('an invoice refers to its customer\'s job, which it depends on', async () => {
    const { company, exporter } = await setup();
    await exporter.records.receive('customer', [customer('a', '2026-01-10T10:00:00Z')]);
    await exporter.records.receive('invoice', [invoice('i1', 'a', '2026-01-10T11:00:00Z')]);
    await exporter.export({ from: '2026-01-01', to: '2026-01-31' });
    const job = await company.outbox.get('invoice:i1');
    assert.deepEqual(job?.dependsOn, ['customer:a']);
    assert.deepEqual((job?.payload as WritePayload).fields.CustomerRef, { ListID: { jobRef: 'customer:a' } });
  });

  it('a payment refers to its invoice\'s job and goes after it', async () => {
    const { company, exporter } = await setup();
    await exporter.records.receive('customer', [customer('a', '2026-01-10T10:00:00Z')]);
    await exporter.records.receive('invoice', [invoice('i1', 'a', '2026-01-10T11:00:00Z')]);
    await exporter.records.receive('payment', [payment('p1', 'i1', 'a', '2026-01-12T09:00:00Z')]);
    await exporter.export({ from: '2026-01-01', to: '2026-01-31' });
    const job = await company.outbox.get('payment:p1');
    assert.deepEqual(job?.dependsOn.sort(), ['customer:a', 'invoice:i1']);
    assert.deepEqual((job?.payload as WritePayload).fields.AppliedToTxnAdd, [{ TxnID: { jobRef: 'invoice:i1' }, PaymentAmount: 30.02 }]);
  });

  it('sends customer, then invoice, then payment as each completes', async () => {
    const { company, exporter } = await setup('qbd', { autoApprove: true });
    await exporter.records.receive('customer', [customer('a', '2026-01-10T10:00:00Z')]);
    await exporter.records.receive('invoice', [invoice('i1', 'a', '2026-01-10T11:00:00Z')]);
    await exporter.records.receive('payment', [payment('p1', 'i1', 'a', '2026-01-12T09:00:00Z')]);
    await exporter.export({ from: '2026-01-01', to: '2026-01-31' });
    const order: string[] = [];
    for (let ready = await company.outbox.ready(); ready.length; ready = await company.outbox.ready()) {
      assert.equal(ready.length, 1);
      order.push(ready[0].key);
      await company.completeJob(ready[0].key, `QB-${ready[0].key}`);
    }
    assert.deepEqual(order, ['customer:a', 'invoice:i1', 'payment:p1']);
  });

  it('uses the QuickBooks id of a customer exported before, without a dependency', async () => {
    const { company, exporter } = await setup();
    await exporter.records.receive('customer', [customer('a', '2026-01-10T10:00:00Z')]);
    await exporter.export({ from: '2026-01-01', to: '2026-01-31' });
    await exporter.onJob(await company.completeJob('customer:a', '80000001-1'));
    await exporter.records.receive('invoice', [invoice('i1', 'a', '2026-02-02T11:00:00Z')]);
    await exporter.export({ from: '2026-02-01', to: '2026-02-28' });
    const job = await company.outbox.get('invoice:i1');
    assert.deepEqual(job?.dependsOn, []);
    assert.deepEqual((job?.payload as WritePayload).fields.CustomerRef, { ListID: '80000001-1' });
  });

  it('references a customer imported from QuickBooks by its name (case ignored) instead of adding it', async () => {
    const { company, exporter } = await setup();
    await mirrorOf(company, 'customers', [{ id: '800-1', name: 'CUSTOMER A' }]);
    await exporter.records.receive('customer', [customer('a', '2026-01-10T10:00:00Z', { name: 'Customer  a' })]);
    await exporter.records.receive('invoice', [invoice('i1', 'a', '2026-01-10T11:00:00Z')]);
    const report = await exporter.export({ from: '2026-01-01', to: '2026-01-31' });
    assert.deepEqual(report.matched.map((o) => [o.sourceId, o.qbId]), [['a', '800-1']]);
    assert.equal(await company.outbox.get('customer:a'), null);
    assert.deepEqual((await payloadOf(company, 'invoice:i1')).fields.CustomerRef, { ListID: '800-1' });
  });

  it('references a customer imported from QuickBooks by its email when the names differ', async () => {
    const { company, exporter } = await setup('qbo');
    await mirrorOf(company, 'customers', [{ id: '58', name: 'Acme Corp', data: { PrimaryEmailAddr: { Address: 'AP@acme.example' } } }]);
    await exporter.records.receive('customer', [customer('a', '2026-01-10T10:00:00Z', { name: 'Acme', email: 'ap@acme.example' })]);
    const report = await exporter.export({ from: '2026-01-01', to: '2026-01-31' });
    assert.deepEqual(report.matched.map((o) => o.qbId), ['58']);
  });

  it('holds a customer whose email several QuickBooks customers share', async () => {
    const { company, exporter } = await setup();
    await mirrorOf(company, 'customers', [{ id: '1', name: 'X', data: { Email: 'ap@acme.example' } }, { id: '2', name: 'Y', data: { Email: 'a@b.example; ap@acme.example' } }]);
    await exporter.records.receive('customer', [customer('a', '2026-01-10T10:00:00Z', { email: 'ap@acme.example' })]);
    const report = await exporter.export({ from: '2026-01-01', to: '2026-01-31' });
    assert.match(report.held[0].actions[0], /Several QuickBooks customers match "Customer a" \(1, 2\)/);
  });

  describe('QuickBooks Desktop shapes (qbXML)', () => {
    it('CustomerAdd carries Name, CompanyName, Email and BillAddress', async () => {
      const { company, exporter } = await setup('qbd');
      await exporter.records.receive('customer', [customer('a', '2026-01-10T10:00:00Z', { name: 'Café Žofia', companyName: 'Zofia Ltd', email: 'z@z.example', billingAddress: { line1: '1 Rue', city: 'Paris' } })]);
      await exporter.export({ from: '2026-01-01', to: '2026-01-31' });
      const p = await payloadOf(company, 'customer:a');
      assert.deepEqual(p, { entity: 'Customer', fields: { Name: 'Café Zofia', CompanyName: 'Zofia Ltd', BillAddress: { Addr1: '1 Rue', City: 'Paris' }, Email: 'z@z.example' }, lookup: { field: 'Name', value: 'Café Zofia' } });
    });

    it('InvoiceAdd: TxnDate, an 11-character Latin-1 RefNumber and lines by the charge mapping', async () => {
      const { company, exporter } = await setup('qbd');
      await exporter.records.receive('customer', [customer('a', '2026-01-10T10:00:00Z')]);
      await exporter.records.receive('invoice', [invoice('i1', 'a', '2026-01-10T11:00:00Z', { invoiceNumber: 'INV-2026-000123', invoiceDate: '2026-01-09' })]);
      await exporter.export({ from: '2026-01-01', to: '2026-01-31' });
      const { fields, lookup } = await payloadOf(company, 'invoice:i1');
      assert.equal(fields.TxnDate, '2026-01-09');
      assert.equal(fields.RefNumber, '2026-000123');
      assert.deepEqual(lookup, { field: 'RefNumber', value: '2026-000123' });
      assert.equal(fields.Memo, 'BluBilling invoice INV-2026-000123');
      assert.deepEqual(fields.InvoiceLineAdd, [{ ItemRef: { ListID: 'IT-1' }, Desc: 'Hosting, January', Quantity: 3, Rate: 10.005 }]);
    });

    it('ReceivePaymentAdd: TotalAmount and the payment applied to the invoice', async () => {
      const { company, exporter } = await setup('qbd');
      await exporter.records.receive('customer', [customer('a', '2026-01-10T10:00:00Z')]);
      await exporter.records.receive('invoice', [invoice('i1', 'a', '2026-01-10T11:00:00Z')]);
      await exporter.records.receive('payment', [{ ...payment('p1', 'i1', 'a', '2026-01-12T09:00:00Z'), reference: 'CHK 1001', method: 'Check' }]);
      await exporter.export({ from: '2026-01-01', to: '2026-01-31' });
      const { fields } = await payloadOf(company, 'payment:p1');
      assert.deepEqual(fields, {
        CustomerRef: { ListID: { jobRef: 'customer:a' } }, TxnDate: '2026-01-12', RefNumber: 'CHK 1001', TotalAmount: 30.02,
        PaymentMethodRef: { FullName: 'Check' }, AppliedToTxnAdd: [{ TxnID: { jobRef: 'invoice:i1' }, PaymentAmount: 30.02 }],
      });
    });

    it('a name or number cut to QuickBooks\' length is reported on the job: payload, queue and history', async () => {
      const { company, exporter } = await setup('qbd');
      const long = 'The Extremely Long Named Harbour Freight Company of Nova Scotia';
      await exporter.records.receive('customer', [customer('a', '2026-01-10T10:00:00Z', { name: long, billingAddress: { line1: '1 Dock Rd', city: 'Halifax', state: 'NS' } })]);
      await exporter.records.receive('invoice', [invoice('i1', 'a', '2026-01-10T11:00:00Z', { invoiceNumber: 'ABCD-1234567890' })]);
      await exporter.export({ from: '2026-01-01', to: '2026-01-31' });
      const c = await payloadOf(company, 'customer:a');
      assert.equal(c.fields.Name, long.slice(0, 41).trim());
      assert.deepEqual(c.cut, [{ field: 'Name', from: long, to: long.slice(0, 41).trim(), max: 41 }]);
      assert.deepEqual(c.fields.BillAddress, { Addr1: '1 Dock Rd', City: 'Halifax', State: 'NS' }, 'billingAddress.state is the State');
      const inv = await payloadOf(company, 'invoice:i1');
      assert.equal(inv.fields.RefNumber, '1234567890', 'the last 11 characters, never starting with a separator');
      assert.deepEqual(inv.cut, [{ field: 'RefNumber', from: 'ABCD-1234567890', to: '1234567890', max: 11 }]);
      const job = await company.outbox.get('invoice:i1');
      assert.equal(job?.history[0].note, 'RefNumber "ABCD-1234567890" cut to "1234567890" (QuickBooks keeps 11 characters)');
      const queue = (await exporter.run({ command: 'queue' })) as { queue: Array<{ key: string; cut?: unknown }> };
      assert.deepEqual(queue.queue.find((q) => q.key === 'customer:a')?.cut, c.cut);
    });
  });

  describe('QuickBooks Online shapes (JSON)', () => {
    it('Customer carries DisplayName and PrimaryEmailAddr', async () => {
      const { company, exporter } = await setup('qbo');
      await exporter.records.receive('customer', [customer('a', '2026-01-10T10:00:00Z', { name: 'Acme: West', email: 'ap@acme.example' })]);
      await exporter.export({ from: '2026-01-01', to: '2026-01-31' });
      const p = await payloadOf(company, 'customer:a');
      assert.deepEqual(p, { entity: 'Customer', fields: { DisplayName: 'Acme West', PrimaryEmailAddr: { Address: 'ap@acme.example' } }, lookup: { field: 'DisplayName', value: 'Acme West' } });
    });

    it('Invoice lines: Amount = Qty × UnitPrice in cents, ItemRef from the charge mapping', async () => {
      const { company, exporter } = await setup('qbo');
      await exporter.records.receive('customer', [customer('a', '2026-01-10T10:00:00Z')]);
      await exporter.records.receive('invoice', [invoice('i1', 'a', '2026-01-10T11:00:00Z')]);
      await exporter.export({ from: '2026-01-01', to: '2026-01-31' });
      const { fields } = await payloadOf(company, 'invoice:i1');
      assert.equal(fields.DocNumber, 'INV-i1');
      assert.deepEqual(fields.CustomerRef, { value: { jobRef: 'customer:a' } });
      assert.deepEqual(fields.Line, [{
        DetailType: 'SalesItemLineDetail', Amount: 30.02, Description: 'Hosting, January',
        SalesItemLineDetail: { ItemRef: { value: 'IT-1', name: 'Hosting' }, Qty: 3, UnitPrice: 10.005 },
      }]);
    });

    it('Payment is linked to its invoice', async () => {
      const { company, exporter } = await setup('qbo');
      await exporter.records.receive('customer', [customer('a', '2026-01-10T10:00:00Z')]);
      await exporter.records.receive('invoice', [invoice('i1', 'a', '2026-01-10T11:00:00Z')]);
      await exporter.records.receive('payment', [payment('p1', 'i1', 'a', '2026-01-12T09:00:00Z')]);
      await exporter.export({ from: '2026-01-01', to: '2026-01-31' });
      const { fields } = await payloadOf(company, 'payment:p1');
      assert.equal(fields.TotalAmt, 30.02);
      assert.deepEqual(fields.Line, [{ Amount: 30.02, LinkedTxn: [{ TxnId: { jobRef: 'invoice:i1' }, TxnType: 'Invoice' }] }]);
    });

    it('the payment method is a method reference by name, not memo text; billingAddress.state is the sub-division', async () => {
      const { company, exporter } = await setup('qbo');
      await exporter.records.receive('customer', [customer('a', '2026-01-10T10:00:00Z', { billingAddress: { city: 'Austin', state: 'TX' } })]);
      await exporter.records.receive('invoice', [invoice('i1', 'a', '2026-01-10T11:00:00Z')]);
      await exporter.records.receive('payment', [{ ...payment('p1', 'i1', 'a', '2026-01-12T09:00:00Z'), method: 'Check' }]);
      await exporter.export({ from: '2026-01-01', to: '2026-01-31' });
      const { fields } = await payloadOf(company, 'payment:p1');
      assert.deepEqual(fields.PaymentMethodRef, { name: 'Check' });
      assert.equal(fields.PrivateNote, undefined);
      assert.deepEqual((await payloadOf(company, 'customer:a')).fields.BillAddr, { City: 'Austin', CountrySubDivisionCode: 'TX' });
    });
  });

  describe('held records', () => {
    async function heldInvoice(edition: Edition) {
      const ctx = await setup(edition);
      await ctx.exporter.records.receive('customer', [customer('a', '2026-01-10T10:00:00Z')]);
      await ctx.exporter.records.receive('invoice', [invoice('i1', 'a', '2026-01-10T11:00:00Z', { lines: [{ chargeId: 'ch-2', quantity: 1, unitPrice: 50 }] })]);
      const report = await ctx.exporter.export({ from: '2026-01-01', to: '2026-01-31' });
      return { ...ctx, report };
    }

    for (const edition of EDITIONS) {
      it(`an invoice with an unmapped charge is held with the instruction, not queued (${edition})`, async () => {
        const { company, report } = await heldInvoice(edition);
        assert.deepEqual(report.held.map((o) => o.sourceId), ['i1']);
        assert.match(report.held[0].actions[0], /Charge "Setup" \(Price Code "Setup Fee"\).*entered Exactly as it appears under the Name column/);
        assert.equal(await company.outbox.get('invoice:i1'), null);
        assert.equal((await company.log('blubilling-invoice').get('i1'))?.status, 'held');
      });
    }

    it('a payment on a held invoice is held too', async () => {
      const { company, exporter } = await heldInvoice('qbd');
      await exporter.records.receive('payment', [payment('p1', 'i1', 'a', '2026-01-12T09:00:00Z')]);
      const report = await exporter.export({ from: '2026-01-01', to: '2026-01-31' });
      assert.match(report.held.find((o) => o.sourceId === 'p1')?.actions[0] ?? '', /Invoice INV-i1 is held: Charge "Setup"/);
      assert.equal(await company.outbox.get('payment:p1'), null);
    });

    it('a held invoice is queued by a later export once its charge is mapped', async () => {
      const { company, charges, exporter } = await heldInvoice('qbd');
      await mirrorOf(company, 'items', [{ id: 'IT-2', name: 'Setup Fee' }]);
      await charges.onSynced({ entities: ['items'] });
      const report = await exporter.export({ from: '2026-02-01', to: '2026-02-28' });
      assert.deepEqual(report.queued.map((o) => o.key), ['invoice:i1']);
      assert.deepEqual((await payloadOf(company, 'invoice:i1')).fields.InvoiceLineAdd, [{ ItemRef: { ListID: 'IT-2' }, Quantity: 1, Rate: 50 }]);
    });

    it('an invoice whose customer was never received is held', async () => {
      const { exporter } = await setup();
      await exporter.records.receive('invoice', [invoice('i1', 'ghost', '2026-01-10T11:00:00Z')]);
      const report = await exporter.export({ from: '2026-01-01', to: '2026-01-31' });
      assert.match(report.held[0].actions[0], /Customer ghost has not been received from BluBilling/);
    });
  });

  describe('the queue', () => {
    async function queued(options: { autoApprove?: boolean } = {}) {
      const ctx = await setup('qbd', options);
      await ctx.exporter.records.receive('customer', [customer('a', '2026-01-10T10:00:00Z')]);
      await ctx.exporter.records.receive('invoice', [invoice('i1', 'a', '2026-01-10T11:00:00Z')]);
      await ctx.exporter.export({ from: '2026-01-01', to: '2026-01-31' });
      return ctx;
    }

    it('jobs wait for approval: the review lists state, kind and summary', async () => {
      const { exporter } = await queued();
      const rows = await exporter.queue();
      assert.deepEqual(rows.map((r) => [r.state, r.kind, r.operation, r.summary]), [
        ['queued', 'customer.add', 'Export Customer', 'Customer Customer a'],
        ['queued', 'invoice.upsert', 'Export Invoice', 'Invoice INV-i1 for Customer a'],
      ]);
    });

    it('autoApprove queues jobs approved', async () => {
      const { exporter } = await queued({ autoApprove: true });
      assert.deepEqual((await exporter.queue()).map((r) => r.state), ['approved', 'approved']);
    });

    it('approve without keys approves every queued job and kicks the company', async () => {
      const { company, exporter } = await queued();
      const kicks = company.kicks;
      assert.equal(await exporter.approve(), 2);
      assert.deepEqual((await exporter.queue()).map((r) => r.state), ['approved', 'approved']);
      assert.equal(company.kicks, kicks + 1);
    });

    it('a skipped job is never sent and its record shows skipped', async () => {
      const { company, exporter } = await queued();
      assert.equal(await exporter.skip(['invoice:i1']), 1);
      assert.equal((await company.outbox.get('invoice:i1'))?.state, 'skipped');
      assert.equal((await company.log('blubilling-invoice').get('i1'))?.status, 'skipped');
    });

    it('history goes from In Queue to Complete with the QuickBooks id', async () => {
      const { company, exporter } = await queued();
      assert.deepEqual((await exporter.history()).map((r) => r.status), ['In Queue', 'In Queue']);
      await exporter.onJob(await company.completeJob('customer:a', '80000001-1'));
      const row = (await exporter.history()).find((r) => r.key === 'customer:a');
      assert.deepEqual([row?.status, row?.qbId], ['Complete', '80000001-1']);
      assert.equal((await company.log('blubilling-customer').get('a'))?.qbId, '80000001-1');
    });

    it('a refused job puts QuickBooks\' answer on its record', async () => {
      const { company, exporter } = await queued();
      const job = await company.sendJob('customer:a');
      const failed = await company.outbox.fail(job, { message: 'The name "Customer a" of the list element is already in use.', statusCode: 3100 });
      const outcome = await exporter.onJob(failed);
      assert.equal(outcome?.status, 'error');
      assert.match(outcome?.actions[0] ?? '', /QuickBooks refused customer Customer a \(3100\): The name/);
    });

    it('leaves out jobs that are not the exporter\'s', async () => {
      const { company, exporter } = await queued();
      await company.outbox.enqueue({ key: 'item:bt-1', kind: 'item.add', payload: {} });
      assert.equal((await exporter.queue()).length, 2);
    });
  });

  describe('messages', () => {
    it('reads records, export, queue, history, approve and skip topics', () => {
      assert.deepEqual(parseExportMessage({ topic: 'invoice', payload: { id: 1 } }), { command: 'records', entity: 'invoice', records: [{ id: 1 }] });
      assert.deepEqual(parseExportMessage({ payload: { from: '2026-01-01', to: '2026-01-31' } }), { command: 'export', request: { from: '2026-01-01', to: '2026-01-31' } });
      assert.deepEqual(parseExportMessage({ topic: 'queue' }), { command: 'queue' });
      assert.deepEqual(parseExportMessage({ topic: 'history', payload: { limit: 5 } }), { command: 'history', limit: 5 });
      assert.deepEqual(parseExportMessage({ topic: 'approve' }), { command: 'approve', keys: undefined });
      assert.deepEqual(parseExportMessage({ topic: 'skip', payload: { keys: ['invoice:1'] } }), { command: 'skip', keys: ['invoice:1'] });
    });

    it('rejects an export range whose end is before its start', () => {
      assert.throws(() => parseExportMessage({ topic: 'export', payload: { from: '2026-02-01', to: '2026-01-31' } }), /\/to must not be before \/from/);
    });

    it('rejects an unknown topic', () => {
      assert.throws(() => parseExportMessage({ topic: 'delete' }), /unknown topic "delete"/);
    });
  });
});

describe('ExportHandler: nothing waits silently (issue 11)', () => {
  it('a refused customer: its invoice and payment are Held with the reason; an import of the customer and an export link it and release them', async () => {
    const { company, exporter } = await setup('qbd', { autoApprove: true });
    await exporter.records.receive('customer', [customer('a', '2026-01-10T10:00:00Z')]);
    await exporter.records.receive('invoice', [invoice('i1', 'a', '2026-01-10T11:00:00Z')]);
    await exporter.records.receive('payment', [payment('p1', 'i1', 'a', '2026-01-12T09:00:00Z')]);
    await exporter.export({ from: '2026-01-01', to: '2026-01-31' });
    const sent = (await company.outbox.markSent((await company.outbox.get('customer:a'))!))!;
    await exporter.onJob(await company.outbox.fail(sent, { code: 'name-taken', statusCode: 3100, message: "QuickBooks has an inactive customer named 'Customer a': make it active in QuickBooks" })); // the company's job event
    const queue = (await exporter.run({ command: 'queue' })) as { queue: Array<{ key: string; status: string; held?: { key: string; reason: string } }> };
    for (const key of ['invoice:i1', 'payment:p1']) {
      const row = queue.queue.find((q) => q.key === key);
      assert.equal(row?.status, 'Held', key);
      assert.equal(row?.held?.key, 'customer:a');
      assert.match(row?.held?.reason ?? '', /inactive customer named 'Customer a'/);
    }
    assert.deepEqual(await company.outbox.ready(), []);

    // The customer is made active in QuickBooks and imported; the next export links the refused job to it.
    await mirrorOf(company, 'customers', [{ id: 'QB-A', name: 'Customer a' }]);
    await exporter.export({ from: '2026-01-01', to: '2026-01-31' });
    const linked = await company.outbox.get('customer:a');
    assert.equal(linked?.state, 'complete');
    assert.equal(linked?.result?.qbId, 'QB-A');
    assert.equal(linked?.result?.matchedExisting, true);
    assert.equal((await company.outbox.get('invoice:i1'))?.heldBy, undefined);
    assert.deepEqual((await company.outbox.ready()).map((j) => j.key), ['invoice:i1']);
  });

  it('a job the client gave up on says it is retried automatically, not that it was refused', async () => {
    const { company, exporter } = await setup('qbo', { autoApprove: true });
    await exporter.records.receive('customer', [customer('a', '2026-01-10T10:00:00Z')]);
    await exporter.export({ from: '2026-01-01', to: '2026-01-31' });
    const sent = (await company.outbox.markSent((await company.outbox.get('customer:a'))!))!;
    const failed = await company.outbox.fail(sent, { code: '10000', statusCode: '10000', message: 'An application error has occurred.' }, { retryable: true, uncertain: true, backoffMs: 60_000 });
    const outcome = await exporter.onJob(failed);
    assert.equal(outcome?.status, 'error');
    assert.match(outcome?.actions[0] ?? '', /^QuickBooks did not take customer Customer a \(10000\): An application error has occurred\. It is retried automatically at \d{4}-/);
  });

  it('a skipped invoice holds its payment, and an export queued later is held at once', async () => {
    const { company, exporter } = await setup('qbd', { autoApprove: true });
    await exporter.records.receive('customer', [customer('a', '2026-01-10T10:00:00Z')]);
    await exporter.records.receive('invoice', [invoice('i1', 'a', '2026-01-10T11:00:00Z')]);
    await exporter.export({ from: '2026-01-01', to: '2026-01-10' });
    await exporter.skip(['invoice:i1']);
    await exporter.records.receive('payment', [payment('p1', 'i1', 'a', '2026-01-12T09:00:00Z')]);
    const report = await exporter.export({ from: '2026-01-11', to: '2026-01-31' });
    const p1 = await company.outbox.get('payment:p1');
    const held = report.queued.find((o) => o.key === 'payment:p1') ?? report.held.find((o) => o.sourceId === 'p1');
    if (p1) assert.match(p1.heldBy?.reason ?? '', /skipped/);
    assert.equal(held?.status, 'held');
    assert.match(held?.actions.join(' ') ?? '', /skipped/);
  });
});
