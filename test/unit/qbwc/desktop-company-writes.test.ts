/** DesktopCompany writes end to end: SOAP service + Web Connector simulator + QuickBooks Desktop simulator. */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Job } from '../../../nodes/lib/jobs';
import { WebConnectorSimulator } from '../../sim/qbwc';
import { customerJob, itemJob, PASSWORD, rig, USER, type Rig } from './desktop-company-helpers';

let r: Rig;
afterEach(() => r.close());

const rqNames = (requests: string[]) => requests.map((x) => /<(\w+Rq)[ >]/.exec(x.replace("<QBXMLMsgsRq", ""))?.[1]);

function invoiceJob(key: string, ref: string, deps: { customer: string; item: string }, lines = [{ Quantity: 2, Rate: 20 }]) {
  return {
    key, kind: 'invoice.upsert' as const, sourceId: key, dependsOn: [deps.customer, deps.item], reopenOnChange: true,
    payload: {
      entity: 'Invoice',
      fields: {
        CustomerRef: { ListID: { jobRef: deps.customer } }, TxnDate: '2024-06-20', RefNumber: ref, Memo: 'Packed order',
        InvoiceLineAdd: lines.map((l) => ({ ItemRef: { ListID: { jobRef: deps.item } }, ...l })),
      },
      lookup: { field: 'RefNumber', value: ref },
    },
    summary: `Invoice ${ref}`,
  };
}

/** One session that adds customer c1, item i1 and invoice so-1 (SO-1001, 2 × 20) for them. */
async function sendInvoiceSo1(r: Rig): Promise<void> {
  const income = r.qbd.get('Account', 'Service Income')?.ListID as string;
  await r.enqueue(customerJob('customer:c1', 'Oyster Bay Co'));
  await r.enqueue(itemJob('item:i1', 'KUM-60', income));
  await r.enqueue(invoiceJob('invoice:so-1', 'SO-1001', { customer: 'customer:c1', item: 'item:i1' }));
  await r.run();
}

function paymentJob(key: string, ref: string, invoice: string, customer: string, amount: number) {
  return {
    key, kind: 'payment.add' as const, sourceId: key, dependsOn: [invoice, customer],
    payload: {
      entity: 'Payment',
      fields: {
        CustomerRef: { ListID: { jobRef: customer } }, TxnDate: '2024-06-21', RefNumber: ref, TotalAmount: amount,
        PaymentMethodRef: { FullName: 'Check' }, AppliedToTxnAdd: [{ TxnID: { jobRef: invoice }, PaymentAmount: amount }],
      },
      lookup: { field: 'RefNumber', value: ref },
    },
    summary: `Payment ${ref}`,
  };
}

describe('DesktopCompany: writes in one Web Connector session', () => {
  it('sends customer, item, invoice and payment adds in dependency order, each once, and keeps their ids', async () => {
    r = await rig();
    const income = r.qbd.get('Account', 'Service Income')?.ListID as string;
    // queued in reverse: the order on the wire comes from ranks and dependencies
    await r.enqueue(paymentJob('payment:p1', 'CHK-1', 'invoice:so-1', 'customer:c1', 40));
    await r.enqueue(invoiceJob('invoice:so-1', 'SO-1001', { customer: 'customer:c1', item: 'item:i1' }));
    await r.enqueue(itemJob('item:i1', 'KUM-60', income));
    await r.enqueue(customerJob('customer:c1', 'Oyster Bay Co', { Email: 'ap@oysterbay.example' }));
    const finished: Job[] = [];
    r.company.on('job', (j: Job) => finished.push(j));

    const res = await r.run();
    assert.deepEqual(res.errors, []);
    assert.deepEqual(rqNames(res.requests), ['ItemServiceAddRq', 'CustomerAddRq', 'InvoiceAddRq', 'ReceivePaymentAddRq']);
    assert.equal(res.finalPercent, 100);
    assert.ok(res.percents.every((p, i) => i === 0 || p >= (res.percents[i - 1] as number)), `percents rise: ${res.percents}`);
    assert.ok((res.percents[0] as number) < 100);
    assert.equal(res.closeMessage, '4 sent, 4 complete, 0 errors');

    const customer = await r.job('customer:c1');
    const invoice = await r.job('invoice:so-1');
    const payment = await r.job('payment:p1');
    assert.equal(customer.state, 'complete');
    assert.equal(customer.result?.qbId, r.qbd.get('Customer', 'Oyster Bay Co')?.ListID);
    assert.equal(invoice.result?.ref, 'SO-1001');
    assert.match(String(invoice.result?.version), /^\d+$/);
    const inv = r.qbd.all('Invoice')[0] as Record<string, unknown>;
    assert.equal(inv.TxnID, invoice.result?.qbId);
    assert.equal((inv.CustomerRef as { ListID: string }).ListID, customer.result?.qbId);
    assert.equal(inv.Memo, 'Packed order [qbsync invoice:so-1]');
    assert.equal(inv.IsPaid, true, 'the payment was applied to the invoice by its TxnID');
    assert.equal(payment.state, 'complete');
    assert.equal(r.qbd.count('Customer'), 1);
    assert.equal(r.qbd.count('Invoice'), 1);
    assert.equal(r.qbd.count('ReceivePayment'), 1);
    assert.deepEqual(finished.map((j) => j.key).sort(), ['customer:c1', 'invoice:so-1', 'item:i1', 'payment:p1']);

    // the mirror sees the new records at once
    assert.equal((await r.company.mirror.get('customers', customer.result?.qbId as string))?.data.Email, 'ap@oysterbay.example');
    assert.equal((await r.company.mirror.get('items', (await r.job('item:i1')).result?.qbId as string))?.name, 'KUM-60');
    assert.ok(await r.company.mirror.get('invoices', invoice.result?.qbId as string));

    // nothing left: the next run has no work
    assert.equal((await r.run()).authStatus, 'none');
  });

  it('does not send jobs that wait for an admin approval (authenticate answers "none")', async () => {
    r = await rig({ autoApprove: false });
    await r.enqueue(customerJob('customer:c1', 'Oyster Bay Co'));
    const before = await r.run();
    assert.equal(before.authStatus, 'none');
    assert.deepEqual(before.requests, []);
    assert.equal((await r.job('customer:c1')).state, 'queued');
    assert.equal(r.qbd.count('Customer'), 0);

    await r.company.outbox.approve(['customer:c1']);
    const after = await r.run();
    assert.deepEqual(rqNames(after.requests), ['CustomerAddRq']);
    assert.equal((await r.job('customer:c1')).state, 'complete');
  });

  it('updates an invoice changed before it was closed with InvoiceMod (TxnID + EditSequence), never a second invoice', async () => {
    r = await rig();
    await sendInvoiceSo1(r);
    const first = await r.job('invoice:so-1');

    const { changed } = await r.company.outbox.enqueue({ rank: 3, ...invoiceJob('invoice:so-1', 'SO-1001', { customer: 'customer:c1', item: 'item:i1' }, [{ Quantity: 5, Rate: 20 }]) });
    assert.ok(changed);
    const res = await r.run();
    assert.deepEqual(rqNames(res.requests), ['InvoiceModRq']);
    assert.match(res.requests[0] as string, new RegExp(`<TxnID>${first.result?.qbId}</TxnID><EditSequence>${first.result?.version}</EditSequence>`));
    const updated = await r.job('invoice:so-1');
    assert.equal(updated.state, 'complete');
    assert.equal(updated.result?.updated, true);
    assert.equal(updated.result?.qbId, first.result?.qbId);
    assert.equal(r.qbd.count('Invoice'), 1);
    assert.equal((r.qbd.all('Invoice')[0] as { Subtotal: number }).Subtotal, 100);
  });

  it('re-reads an invoice edited in QuickBooks meanwhile (3200 stale EditSequence) and retries the update once', async () => {
    r = await rig();
    await sendInvoiceSo1(r);
    const txnId = (await r.job('invoice:so-1')).result?.qbId as string;
    r.clock.advance(120);
    r.qbd.setTimeModified('Invoice', txnId, r.clock.now()); // someone edited it in QuickBooks: new EditSequence

    await r.company.outbox.enqueue({ rank: 3, ...invoiceJob('invoice:so-1', 'SO-1001', { customer: 'customer:c1', item: 'item:i1' }, [{ Quantity: 3, Rate: 20 }]) });
    const res = await r.run();
    assert.deepEqual(res.errors, []);
    assert.deepEqual(rqNames(res.requests), ['InvoiceModRq', 'InvoiceQueryRq', 'InvoiceModRq']);
    const job = await r.job('invoice:so-1');
    assert.equal(job.state, 'complete');
    assert.equal(job.result?.version, r.qbd.get('Invoice', txnId)?.EditSequence);
    assert.equal((r.qbd.get('Invoice', txnId) as { Subtotal: number }).Subtotal, 60);
  });

  it('turns 3100 (name already in use) into a job error with QuickBooks\' code and message and a duplicate-name match issue, never a second record', async () => {
    r = await rig({ qbd: { seed: { customers: [{ Name: 'Baker & Sons', Email: 'other@b.example' }] } } });
    const book = r.company.matches('customer');
    await book.upsertApp([{ appId: 'bt-7', appName: 'Baker & Sons', key: 'ap@baker.example', record: {} }]);
    const itemBook = r.company.matches('item');
    await itemBook.upsertApp([{ appId: 'bt-i1', appName: 'Freight', key: 'frt', record: {} }]);
    r.qbd.seed({ items: [{ type: 'ItemService', Name: 'Freight' }] });
    const income = r.qbd.get('Account', 'Service Income')?.ListID as string;
    await r.enqueue(customerJob('customer:bt-7', 'Baker & Sons', { Email: 'ap@baker.example' }, { appId: 'bt-7' }));
    await r.enqueue(itemJob('item:bt-i1', 'Freight', income, {}, { appId: 'bt-i1' }));
    const finished: Job[] = [];
    r.company.on('job', (j: Job) => finished.push(j));
    const changedKinds: string[] = [];
    r.company.on('matches', (m: { kind: string }) => changedKinds.push(m.kind));

    const res = await r.run();
    assert.equal(res.finalPercent, 100, 'an error answer does not stop the session');
    const job = await r.job('customer:bt-7');
    assert.equal(job.state, 'error');
    assert.equal(job.error?.statusCode, 3100);
    assert.match(job.error?.message ?? '', /The name "Baker & Sons" of the list element is already in use/);
    assert.equal((await book.get('bt-7'))?.issue, 'duplicate-customer-name');
    assert.equal((await r.job('item:bt-i1')).error?.statusCode, 3100);
    assert.equal((await itemBook.get('bt-i1'))?.issue, 'duplicate-item-name');
    assert.deepEqual(changedKinds.sort(), ['customer', 'item']);
    assert.equal(r.qbd.count('Customer'), 1);
    assert.deepEqual(finished.map((j) => j.state), ['error', 'error']);
    assert.equal(res.closeMessage, '2 sent, 0 complete, 2 errors');

    assert.equal((await r.run()).authStatus, 'none', 'an error waits for the admin, it is not retried by itself');
  });

  it('marks the app record matched when its add completes', async () => {
    r = await rig();
    const book = r.company.matches('customer');
    await book.upsertApp([{ appId: 'bt-9', appName: 'Kelp Co', key: 'kelp@x.example', record: {} }]);
    await r.enqueue(customerJob('customer:bt-9', 'Kelp Co', { Email: 'kelp@x.example' }, { appId: 'bt-9' }));
    await r.run();
    const doc = await book.get('bt-9');
    assert.equal(doc?.status, 'matched');
    assert.equal(doc?.qbId, r.qbd.get('Customer', 'Kelp Co')?.ListID);
  });

  it('fails a job with QuickBooks\' code and message on 3140 and keeps going', async () => {
    r = await rig();
    await r.enqueue({
      key: 'invoice:bad', kind: 'invoice.upsert', sourceId: 'bad',
      payload: { entity: 'Invoice', fields: { CustomerRef: { FullName: 'Nobody' }, RefNumber: 'X-1' }, lookup: { field: 'RefNumber', value: 'X-1' } },
    });
    await r.enqueue(customerJob('customer:c1', 'Oyster Bay Co'));
    const res = await r.run();
    assert.deepEqual(rqNames(res.requests), ['CustomerAddRq', 'InvoiceAddRq']);
    const job = await r.job('invoice:bad');
    assert.equal(job.state, 'error');
    assert.equal(job.error?.statusCode, 3140);
    assert.match(job.error?.message ?? '', /invalid reference to QuickBooks Customer "Nobody"/);
    assert.equal((await r.job('customer:c1')).state, 'complete');
  });

  it('reports a request it cannot build as a job error naming the field, without sending it', async () => {
    r = await rig();
    await r.enqueue(customerJob('customer:long', 'A name that is far too long for QuickBooks Desktop lists'));
    const res = await r.run();
    assert.deepEqual(res.requests, []);
    const job = await r.job('customer:long');
    assert.equal(job.state, 'error');
    assert.match(job.error?.message ?? '', /CustomerAdd\.Name.*at most 41/);
  });
});

describe('DesktopCompany: new records and warnings', () => {
  it('creates a missing item (ItemNonInventoryAdd, SKU as ManufacturerPartNumber) and customer from app records with newRecord', async () => {
    r = await rig();
    await r.company.matches('item').upsertApp([{ appId: 'bt-i9', appName: 'Kumamoto Oysters 60ct', key: 'kum-60', record: {} }]);
    const item = r.company.newRecord('item', { id: 'bt-i9', name: 'Kumamoto Oysters 60ct', sku: 'KUM-60', price: 54.5, description: 'Live oysters' });
    const customer = r.company.newRecord('customer', { id: 'bt-c9', name: 'Oyster Bay Co', billingEmail: 'ap@oysterbay.example', billingAddress: { line1: '1 Dock Rd', city: 'Olympia', region: 'WA' } });
    await r.enqueue({ key: 'item:bt-i9', kind: 'item.add', sourceId: 'bt-i9', payload: item });
    await r.enqueue({ key: 'customer:bt-c9', kind: 'customer.add', sourceId: 'bt-c9', payload: customer });
    const res = await r.run();
    assert.deepEqual(rqNames(res.requests), ['ItemNonInventoryAddRq', 'CustomerAddRq']);
    const qbItem = r.qbd.get('Item', 'Kumamoto Oysters 60ct') as Record<string, unknown>;
    assert.equal(qbItem._type, 'ItemNonInventory');
    assert.equal(qbItem.ManufacturerPartNumber, 'KUM-60');
    assert.equal((await r.company.matches('item').get('bt-i9'))?.qbId, qbItem.ListID);
    const mirrored = await r.company.mirror.get('items', qbItem.ListID as string);
    assert.equal(mirrored?.data.ManufacturerPartNumber, 'KUM-60');
    assert.equal(mirrored?.data.ItemType, 'ItemNonInventory');
    assert.equal((r.qbd.get('Customer', 'Oyster Bay Co') as { Email: string }).Email, 'ap@oysterbay.example');
  });

  it('treats a warning status on an add that returns its record as success', async () => {
    r = await rig();
    const warnOnAdd = {
      processRequest: (xml: string, ticket?: string) =>
        r.qbd.processRequest(xml, ticket).replace('<CustomerAddRs requestID="1" statusCode="0" statusSeverity="Info" statusMessage="Status OK"', '<CustomerAddRs requestID="1" statusCode="530" statusSeverity="Warn" statusMessage="Some of the data was not saved."'),
    };
    await r.enqueue(customerJob('customer:c1', 'Oyster Bay Co'));
    const res = await new WebConnectorSimulator({ url: r.url, username: USER, password: PASSWORD, processor: warnOnAdd }).runSession();
    assert.deepEqual(res.errors, []);
    const job = await r.job('customer:c1');
    assert.equal(job.state, 'complete');
    assert.match(job.history.at(-1)?.note ?? '', /QuickBooks warning 530/);
  });
});

describe('DesktopCompany: request-processor failures (hresult)', () => {
  it('a parse error (0x80040400) means QuickBooks ran nothing: the job is retried next run, the session goes on', async () => {
    r = await rig();
    await r.enqueue(customerJob('customer:c1', 'Oyster Bay Co'));
    await r.enqueue(customerJob('customer:c2', 'Kelp Co'));
    const res = await r.run({ hresultOnResponse: 1 });
    assert.deepEqual(res.errors, []);
    assert.equal(res.requests.length, 2);
    const failed = await r.job('customer:c1');
    assert.equal(failed.state, 'approved');
    assert.equal(failed.uncertain, false);
    assert.match(failed.error?.message ?? '', /0x80040400/);
    assert.equal((await r.job('customer:c2')).state, 'complete');

    const again = await r.run();
    assert.deepEqual(rqNames(again.requests), ['CustomerAddRq']);
    assert.equal((await r.job('customer:c1')).state, 'complete');
    assert.equal(r.qbd.count('Customer'), 2);
  });

  it('any other hresult may have run: the session stops, the job becomes uncertain and is looked up before any re-add', async () => {
    r = await rig();
    await r.enqueue(customerJob('customer:c1', 'Oyster Bay Co'));
    const res = await r.run({ hresultOnResponse: 1, hresult: '0x80040402', hresultMessage: 'Unexpected error.' });
    assert.ok((res.finalPercent as number) < 0);
    assert.match(res.lastError ?? '', /0x80040402/);
    const job = await r.job('customer:c1');
    assert.equal(job.state, 'approved');
    assert.equal(job.uncertain, true);

    const again = await r.run();
    assert.deepEqual(rqNames(again.requests), ['CustomerQueryRq', 'CustomerAddRq'], 'look-up (500: not there), then the add');
    const done = await r.job('customer:c1');
    assert.equal(done.state, 'complete');
    assert.equal(done.result?.foundExisting, undefined);
    assert.equal(r.qbd.count('Customer'), 1);
  });
});
