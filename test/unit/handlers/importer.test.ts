import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChargeHandler } from '../../../nodes/lib/handlers/charges';
import { ExportHandler } from '../../../nodes/lib/handlers/exporter';
import { BEFORE_INVOICES, ImportHandler, importKey, importStatusText, parseImportMessage, toImportOutput } from '../../../nodes/lib/handlers/importer';
import { EDITIONS, mirrorOf, newCompany, useStore } from './support';

const store = useStore();

const setup = (edition: 'qbd' | 'qbo' = 'qbd', options: { autoApprove?: boolean } = {}) => {
  const company = newCompany(store(), edition);
  return { company, importer: new ImportHandler(company, options) };
};

const page = (key: string, records: Array<{ id: string; name: string }>, done: boolean) => ({
  job: { key, kind: 'import.items' }, entity: 'items', done,
  records: records.map((r) => ({ ...r, active: true, data: { ListID: r.id, Name: r.name } })),
});

describe('ImportHandler: BluBilling "Import from ERP" by date range', () => {
  for (const edition of EDITIONS) {
    it(`queues one import job per entity, keyed by entity and range (${edition})`, async () => {
      const { company, importer } = setup(edition);
      await importer.request({ from: '2000-01-01', to: '2026-01-31' });
      const jobs = await company.outbox.list();
      assert.deepEqual(jobs.map((j) => [j.key, j.kind]).sort(), [
        ['import:customers:2000-01-01:2026-01-31', 'import.customers'],
        ['import:invoices:2000-01-01:2026-01-31', 'import.invoices'],
        ['import:items:2000-01-01:2026-01-31', 'import.items'],
      ]);
    });
  }

  it('the job carries an ImportPayload with the range', async () => {
    const { company, importer } = setup();
    await importer.request({ from: '2026-01-01', to: '2026-01-31', entities: ['items'] });
    assert.deepEqual((await company.outbox.get('import:items:2026-01-01:2026-01-31'))?.payload, { from: '2026-01-01', to: '2026-01-31' });
  });

  it('imports active items and customers only when asked, under their own key (invoices are not filtered)', async () => {
    const { company, importer } = setup();
    const report = await importer.request({ from: '2026-01-01', to: '2026-01-31', activeOnly: true });
    const keys = report.queued.map((q) => q.key).sort();
    assert.deepEqual(keys, ['import:customers:2026-01-01:2026-01-31:active', 'import:invoices:2026-01-01:2026-01-31', 'import:items:2026-01-01:2026-01-31:active']);
    assert.deepEqual((await company.outbox.get('import:customers:2026-01-01:2026-01-31:active'))?.payload, { from: '2026-01-01', to: '2026-01-31', activeOnly: true });
    assert.deepEqual((await company.outbox.get('import:invoices:2026-01-01:2026-01-31'))?.payload, { from: '2026-01-01', to: '2026-01-31' });
    assert.match(report.queued.find((q) => q.entity === 'customers')?.summary ?? '', /^Import active customers/);
    assert.throws(() => parseImportMessage({ payload: { from: '2026-01-01', to: '2026-01-31', activeOnly: 'yes' } }), /activeOnly/);
  });

  it('imports invoices by transaction date when asked, under their own key', async () => {
    const { company, importer } = setup();
    const report = await importer.request({ from: '2026-01-01', to: '2026-01-31', entities: ['invoices'], dateField: 'txn' });
    assert.equal(report.queued[0].key, 'import:invoices:2026-01-01:2026-01-31:txn');
    assert.deepEqual((await company.outbox.get(report.queued[0].key))?.payload, { from: '2026-01-01', to: '2026-01-31', dateField: 'txn' });
  });

  it('repeating a request while its job is pending queues nothing new', async () => {
    const { company, importer } = setup();
    await importer.request({ from: '2026-01-01', to: '2026-01-31', entities: ['items'] });
    const again = await importer.request({ from: '2026-01-01', to: '2026-01-31', entities: ['items'] });
    assert.equal(again.queued[0].created, false);
    assert.equal((await company.outbox.list()).length, 1);
  });

  it('repeating a request after its job completed queues a new run', async () => {
    const { company, importer } = setup();
    await importer.request({ from: '2026-01-01', to: '2026-01-31', entities: ['items'] });
    await company.completeJob('import:items:2026-01-01:2026-01-31', '');
    const again = await importer.request({ from: '2026-01-01', to: '2026-01-31', entities: ['items'] });
    assert.deepEqual([again.queued[0].key, again.queued[0].created], ['import:items:2026-01-01:2026-01-31#2', true]);
  });

  it('imports are approved at once, and kick the company', async () => {
    const { company, importer } = setup();
    const report = await importer.request({ from: '2026-01-01', to: '2026-01-31', entities: ['items'] });
    assert.equal(report.queued[0].state, 'approved');
    assert.equal(company.kicks, 1);
  });

  it('imports wait for approval when autoApprove is off', async () => {
    const { importer } = setup('qbd', { autoApprove: false });
    const report = await importer.request({ from: '2026-01-01', to: '2026-01-31', entities: ['items'] });
    assert.equal(report.queued[0].state, 'queued');
  });

  it('rejects a request whose range ends before it starts, queuing nothing', async () => {
    const { company, importer } = setup();
    await assert.rejects(importer.request({ from: '2026-02-01', to: '2026-01-01' }), /\/to must not be before \/from/);
    assert.deepEqual(await company.outbox.list(), []);
  });

  it('rejects an unknown entity naming the field', () => {
    assert.throws(() => parseImportMessage({ payload: { from: '2026-01-01', to: '2026-01-31', entities: ['vendors'] } }), /\/entities\/0 must be equal to one of the allowed values/);
  });

  it('an imported page becomes {entity, job, records: [{id, name, active, fields}], count, done}', () => {
    const out = toImportOutput({ ...page('import:items:a:b', [{ id: '80-1', name: 'Hosting' }], false), count: 41, total: 120 });
    assert.deepEqual(out, {
      entity: 'items', job: 'import:items:a:b', count: 41, total: 120, done: false,
      records: [{ id: '80-1', name: 'Hosting', active: true, fields: { ListID: '80-1', Name: 'Hosting' } }],
    });
  });

  it('counts the records of an import across pages when the company does not', async () => {
    const { importer } = setup();
    const key = 'import:items:2026-01-01:2026-01-31';
    await importer.request({ from: '2026-01-01', to: '2026-01-31', entities: ['items'] });
    await importer.onImported(page(key, [{ id: '1', name: 'A' }, { id: '2', name: 'B' }], false));
    const last = await importer.onImported(page(key, [{ id: '3', name: 'C' }], true));
    assert.deepEqual([last?.count, last?.done], [3, true]);
  });

  it('leaves the company\'s own Re-sync imports alone', async () => {
    const { importer } = setup();
    assert.equal(await importer.onImported(page('resync:items:full:2026', [{ id: '1', name: 'A' }], true)), undefined);
  });

  it('shows progress as status text', async () => {
    const { importer } = setup();
    const key = 'import:items:2026-01-01:2026-01-31';
    await importer.request({ from: '2026-01-01', to: '2026-01-31', entities: ['items', 'customers'] });
    await importer.onImported(page(key, [{ id: '1', name: 'A' }], false));
    assert.equal(importStatusText(await importer.progress()), 'customers: queued, items: 1 imported');
  });

  it('the history shows a finished import as Complete with its count', async () => {
    const { company, importer } = setup();
    const key = 'import:items:2026-01-01:2026-01-31';
    await importer.request({ from: '2026-01-01', to: '2026-01-31', entities: ['items'] });
    await importer.onImported(page(key, [{ id: '1', name: 'A' }, { id: '2', name: 'B' }], true));
    const done = await company.outbox.complete((await company.outbox.markSent((await company.outbox.get(key))!))!, { count: 2, from: '2026-01-01', to: '2026-01-31' });
    assert.equal((await importer.onJob(done))?.count, 2);
    const row = (await new ExportHandler(company, { timeZone: 'UTC' }).history()).find((r) => r.key === key);
    assert.deepEqual([row?.operation, row?.status, row?.count], ['Import Items', 'Complete', 2]);
  });

  it('warns before importing invoices while charges are not mapped, in BluBilling\'s words', async () => {
    const { company, importer } = setup();
    await new ChargeHandler(company).ingest([{ id: 'ch-1', name: 'Setup', priceCode: 'Setup Fee' }]);
    const report = await importer.request({ from: '2026-01-01', to: '2026-01-31' });
    assert.equal(report.warnings.length, 1);
    assert.ok(report.warnings[0].startsWith(BEFORE_INVOICES));
    assert.match(report.warnings[0], /1 charge\(s\) are not mapped to a QuickBooks item: "Setup"/);
  });

  it('does not warn when invoices are not imported', async () => {
    const { importer } = setup();
    assert.deepEqual((await importer.request({ from: '2026-01-01', to: '2026-01-31', entities: ['items'] })).warnings, []);
  });

  it('does not warn about invoices once customers are imported and charges mapped', async () => {
    const { company, importer } = setup();
    await mirrorOf(company, 'customers', [{ id: '800-1', name: 'Acme' }]);
    await mirrorOf(company, 'items', [{ id: 'IT-1', name: 'Setup Fee' }]);
    await new ChargeHandler(company).ingest([{ id: 'ch-1', name: 'Setup', priceCode: 'Setup Fee' }]);
    assert.deepEqual((await importer.request({ from: '2026-01-01', to: '2026-01-31', entities: ['invoices'] })).warnings, []);
  });

  it('builds keys from the entity and the range', () => {
    assert.equal(importKey('customers', '2000-01-01', '2026-01-31'), 'import:customers:2000-01-01:2026-01-31');
  });
});
