/**
 * The console's service without Node-RED or a browser: lists paged, searched and filtered on the
 * server; actions through the registered nodes' own handlers; validation naming the field; the rule
 * preview writing nothing; General settings applied to the running company; en-US strings complete.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { HandlerRegistry } from '../../../nodes/lib/console/registry';
import { ConsoleService, mirrorView, progressOf } from '../../../nodes/lib/console/service';
import { syncEnabled } from '../../../nodes/lib/console/settings';
import { listQuery, safeMessage } from '../../../nodes/lib/console/validate';
import { InvoiceHandler } from '../../../nodes/lib/handlers/invoices';
import { ExportHandler } from '../../../nodes/lib/handlers/exporter';
import { ExportScheduler } from '../../../nodes/lib/handlers/scheduler';
import { MatcherHandler } from '../../../nodes/lib/handlers/matcher';
import { ISSUES } from '../../../nodes/lib/matching';
import { connectionStatus } from '../../../nodes/lib/node-red/admin-routes';
import { mirrorOf, newCompany, useStore, type TestCompany } from '../handlers/support';

const root = path.resolve(__dirname, '..', '..', '..', '..');
const store = useStore();

async function rig(edition: 'qbo' | 'qbd' = 'qbo'): Promise<{ company: TestCompany; service: ConsoleService; registry: HandlerRegistry; items: MatcherHandler; customers: MatcherHandler }> {
  const company = newCompany(store(), edition);
  const registry = new HandlerRegistry();
  const service = new ConsoleService({
    connections: () => [{ id: company.id, type: edition === 'qbo' ? 'qbo-connection' : 'qbwc-server', name: 'Test', edition, whenCompany: async () => company }],
    status: connectionStatus,
  }, registry);
  const items = new MatcherHandler(company, { kind: 'item' });
  const customers = new MatcherHandler(company, { kind: 'customer' });
  registry.add({ nodeId: 'n-items', type: 'qb-item-matcher', name: 'items', company, handler: items });
  registry.add({ nodeId: 'n-customers', type: 'qb-customer-matcher', name: 'customers', company, handler: customers });
  const skuOf = edition === 'qbo' ? (s: string) => ({ Sku: s }) : (s: string) => ({ ManufacturerPartNumber: s });
  await mirrorOf(company, 'items', Array.from({ length: 30 }, (_, i) => ({ id: `q${i}`, name: `QB Item ${i}`, data: { Name: `QB Item ${i}`, ...skuOf(`SKU-${i}`) } })));
  const email = edition === 'qbo' ? (e: string) => ({ PrimaryEmailAddr: { Address: e } }) : (e: string) => ({ Email: e });
  await mirrorOf(company, 'customers', [
    { id: 'qc1', name: 'Harbor Fish', data: { DisplayName: 'Harbor Fish', ...email('billing@harbor.example') } },
    { id: 'qc2', name: 'Harbor Fish Market', data: { DisplayName: 'Harbor Fish Market', ...email('billing@harbor.example') } },
  ]);
  await mirrorOf(company, 'terms', [{ id: 't1', name: 'Net 30', data: {} }]);
  await mirrorOf(company, 'accounts', [{ id: 'a1', name: 'Sales', data: { AccountType: 'Income' } }]);
  // 20 matched, 5 not found, 3 without a SKU.
  await items.run({ command: 'match', records: [
    ...Array.from({ length: 20 }, (_, i) => ({ id: `it-${i}`, name: `Item ${i}`, sku: `sku-${i}` })),
    ...Array.from({ length: 5 }, (_, i) => ({ id: `nf-${i}`, name: `Missing ${i}`, sku: `NOPE-${i}` })),
    ...Array.from({ length: 3 }, (_, i) => ({ id: `ns-${i}`, name: `No SKU ${i}` })),
  ] });
  await customers.run({ command: 'match', records: [{ id: 'c-8', name: 'Harbor', billingEmail: 'billing@harbor.example' }] });
  return { company, service, registry, items, customers };
}

async function eventuallyTrue(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check());
}

async function rejects(work: Promise<unknown>, status: number, field?: string): Promise<void> {
  await assert.rejects(work, (err: Error & { status?: number; problems?: Array<{ field: string }> }) => {
    assert.equal(err.status, status, err.message);
    if (field) assert.ok(err.problems?.some((p) => p.field === field), `names ${field}: ${err.message}`);
    return true;
  });
}

describe('console service', () => {
  it('Items: counts per issue type, and one page searched and filtered on the server', async () => {
    const { company, service } = await rig();
    const first = await service.matches(company.id, 'item', { limit: '10' });
    assert.equal(first.total, 28);
    assert.equal(first.rows.length, 10);
    assert.deepEqual(first.counts, { total: 28, matched: 20, pending: 0, issues: 8, byIssue: { 'item-not-found': 5, 'missing-sku': 3 } });
    const second = await service.matches(company.id, 'item', { limit: '10', offset: '20' });
    assert.equal(second.rows.length, 8);
    assert.ok(!first.rows.some((r) => second.rows.some((s) => s.appId === r.appId)), 'pages do not overlap');
    const notFound = await service.matches(company.id, 'item', { filter: 'item-not-found' });
    assert.equal(notFound.total, 5);
    assert.ok(notFound.rows.every((r) => r.title === ISSUES['item-not-found'].title && r.resolution === ISSUES['item-not-found'].resolution && r.creatable));
    const search = await service.matches(company.id, 'item', { q: 'missing 3' });
    assert.deepEqual(search.rows.map((r) => r.appId), ['nf-3']);
    const matched = await service.matches(company.id, 'item', { filter: 'matched', q: 'item 7' });
    assert.deepEqual(matched.rows.map((r) => [r.appId, r.qbName]), [['it-7', 'QB Item 7']]);
  });

  it('a duplicate match lists its candidates by name and email; Link uses the matcher and settles it; Unlink undoes it', async () => {
    const { company, service } = await rig();
    const before = await service.matches(company.id, 'customer', {});
    const row = before.rows.find((r) => r.appId === 'c-8')!;
    assert.equal(row.issue, 'duplicate-match');
    assert.deepEqual(row.candidates!.map((c) => `${c.name} <${c.email}>`).sort(), ['Harbor Fish <billing@harbor.example>', 'Harbor Fish Market <billing@harbor.example>']);
    await rejects(service.link(company.id, 'customer', { appId: 'c-8', qbId: 'qc-unknown' }), 400, 'qbId');
    await rejects(service.link(company.id, 'customer', { appId: 'c-404', qbId: 'qc2' }), 404);
    const linked = await service.link(company.id, 'customer', { appId: 'c-8', qbId: 'qc2' });
    assert.equal((linked.row as { qbId: string }).qbId, 'qc2');
    const doc = await company.matches('customer').get('c-8');
    assert.deepEqual([doc?.status, doc?.qbId, doc?.linkedQbId], ['matched', 'qc2', 'qc2']);
    await service.link(company.id, 'customer', { appId: 'c-8' }, true);
    assert.equal((await company.matches('customer').get('c-8'))?.issue, 'duplicate-match');
  });

  it('Create in QuickBooks queues the matcher\'s own create job once per record, only for not-found records', async () => {
    const { company, service } = await rig();
    const first = await service.create(company.id, 'item', { appIds: ['nf-1', 'it-1', 'ns-0'] });
    assert.deepEqual(first.results, [
      { appId: 'nf-1', key: 'item:nf-1', state: 'queued', created: true }, // this company's queue waits for approval
      { appId: 'it-1', created: false, reason: 'matched' },
      { appId: 'ns-0', created: false, reason: 'issue missing-sku' },
    ]);
    const again = await service.create(company.id, 'item', { appIds: ['nf-1'] });
    assert.equal((again.results as Array<{ created: boolean }>)[0].created, false);
    const jobs = await company.outbox.list({ kind: 'item.add' });
    assert.deepEqual(jobs.map((j) => j.key), ['item:nf-1']);
    assert.deepEqual((jobs[0].payload as { match: unknown }).match, { kind: 'item', appId: 'nf-1' });
    await rejects(service.create(company.id, 'item', { appIds: [] }), 400, 'appIds');
  });

  it('actions without the node they need answer 409; unknown connections 404; bad queries 400 naming the field', async () => {
    const { company, service, registry } = await rig();
    registry.remove('n-items');
    await rejects(service.create(company.id, 'item', { appIds: ['nf-1'] }), 409);
    await rejects(service.invoices(company.id, {}), 409);
    await rejects(service.matches('nope', 'item', {}), 404);
    await rejects(service.matches(company.id, 'thing', {}), 400, 'kind');
    await rejects(service.matches(company.id, 'item', { limit: '0' }), 400, 'limit');
    await rejects(service.matches(company.id, 'item', { q: ['a', 'b'] }), 400, 'q');
    await rejects(service.mirror(company.id, 'vendors', {}), 400, 'entity');
    assert.throws(() => listQuery({ offset: '1e99' }), /offset/);
  });

  it('the mirror browser shows name, SKU / part number, email and active, paged and searched', async () => {
    const { company, service } = await rig('qbd');
    const page = await service.mirror(company.id, 'items', { q: 'sku-1', limit: '5' });
    assert.equal(page.total, 11); // SKU-1, SKU-10 … SKU-19
    assert.deepEqual(page.rows[0], { id: 'q1', name: 'QB Item 1', sku: 'SKU-1', active: true });
    assert.deepEqual(mirrorView({ id: 'x', name: 'A', active: false, data: { PrimaryEmailAddr: { Address: 'a@b.example' } } }), { id: 'x', name: 'A', active: false, email: 'a@b.example' });
  });

  it('General: terms and accounts must be names in the copy; a saved change applies to the running company at once', async () => {
    const { company, service } = await rig();
    await rejects(service.saveGeneral(company.id, { defaultTermsId: 't-unknown', incomeAccountId: 7 }), 400);
    assert.equal(company.settings.defaultTermsId, undefined, 'nothing changed');
    await rejects(service.saveGeneral(company.id, { bogus: true }), 400, 'bogus');
    const g = await service.saveGeneral(company.id, { defaultTermsId: 't1', incomeAccountId: 'a1', invoiceCreation: false, itemsSync: false });
    assert.deepEqual(g.settings, { defaultTermsId: 't1', incomeAccountId: 'a1', expenseAccountId: undefined, assetAccountId: undefined, invoiceCreation: false, itemsSync: false, customersSync: true });
    assert.equal(company.settings.invoiceCreation, false);
    assert.equal(syncEnabled(company.id, 'item'), false);
    const invoices = new InvoiceHandler(company);
    const outcome = await invoices.handle({ id: 'so-1', orderNumber: 'SO-1', customerId: 'c-8', packedDate: '2026-11-20', lines: [{ itemId: 'it-1', quantity: 1, unitPrice: 1 }] });
    assert.equal(outcome.status, 'disabled');
    await rejects(service.resyncKind(company.id, 'item'), 409);
    await service.saveGeneral(company.id, { itemsSync: true });
    assert.equal(syncEnabled(company.id, 'item'), true);
    assert.equal((await service.resyncKind(company.id, 'item')).matched, 20);
  });

  it('Rule preview: counts for the edited rule beside the current one and the records that change; nothing is written', async () => {
    const { company, service } = await rig();
    const docsBefore = JSON.stringify(await company.matches('item').list());
    const same = await service.preview(company.id, { kind: 'item' });
    assert.deepEqual(same.current, same.edited);
    assert.equal(same.changed, 0);
    // Keyed by name instead of SKU: "Item 3" ≠ "QB Item 3", so every matched item becomes not found.
    const edited = await service.preview(company.id, { kind: 'item', appRule: '$normKey(name)', qbRule: '$normKey(Name)' });
    assert.equal(edited.current.matched, 20);
    assert.equal(edited.edited.matched, 0);
    assert.equal(edited.changed, 23);
    assert.equal(edited.changes.length, 20);
    assert.ok(edited.changes.every((c) => c.after.status === 'issue'));
    assert.equal(JSON.stringify(await company.matches('item').list()), docsBefore, 'the preview wrote nothing');
    await rejects(service.preview(company.id, { kind: 'item', appRule: '$normKey(sku' }), 400, 'appRule');
    await rejects(service.preview(company.id, { kind: 'item', appRule: '$error("boom")' }), 400, 'appRule');
    // One at a time.
    const both = await Promise.allSettled([service.preview(company.id, { kind: 'item', appRule: '$normKey(name)' }), service.preview(company.id, { kind: 'item', appRule: '$normKey(name)' })]);
    assert.deepEqual(both.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    // A runaway rule is stopped by the rule limits and named, never left running.
    await rejects(service.preview(company.id, { kind: 'item', qbRule: '($f := function($n){ $f($n + 1) }; $f(0))' }), 400, 'qbRule');
  });

  it('Retry now: a refused invoice job is approved again; an order that waited is handled again by the invoice creator', async () => {
    const { company, service, registry, customers } = await rig();
    await customers.run({ command: 'link', appId: 'c-8', qbId: 'qc1' });
    const invoices = new InvoiceHandler(company);
    registry.add({ nodeId: 'n-invoices', type: 'qb-invoice-creator', name: 'invoices', company, handler: invoices });
    const order = { id: 'so-9', orderNumber: 'SO-9', customerId: 'c-8', packedDate: '2026-11-20', lines: [{ itemId: 'it-1', quantity: 1, unitPrice: 10 }] };
    assert.equal((await invoices.handle(order)).status, 'queued');
    const job = (await company.outbox.get('invoice:so-9'))!;
    await company.outbox.approve([job.key]);
    const failed = await company.outbox.fail((await company.outbox.markSent((await company.outbox.get(job.key))!))!, { code: 'qb', message: 'Invalid Reference Id', statusCode: '2500' });
    await invoices.onJob(failed);
    const page = await service.invoices(company.id, { filter: 'needs-action' });
    assert.deepEqual(page.rows.map((r) => [r.orderId, r.retryable, r.qbNumber]), [['so-9', true, 'SO-9']]);
    assert.match(String((page.rows[0].actions as string[])[0]), /Invalid Reference Id/);
    const kicks = company.kicks;
    const retried = await service.retryInvoice(company.id, { orderId: 'so-9' });
    assert.deepEqual([retried.status, retried.retried], ['queued', 'job']);
    assert.equal((await company.outbox.get(job.key))?.state, 'approved');
    assert.ok(company.kicks > kicks, 'sent at once where the edition can');
    await rejects(service.retryInvoice(company.id, { orderId: 'so-404' }), 404);
    await rejects(service.retryInvoice(company.id, {}), 400, 'orderId');
  });

  it('approving or skipping from the queue tells the open consoles (and those of the other instances) of a job change', async () => {
    const { company, service, registry } = await rig('qbd');
    registry.add({ nodeId: 'n-exporter', type: 'qb-date-range-exporter', name: 'export', company, handler: new ExportHandler(company, { timeZone: 'UTC' }) });
    await company.outbox.enqueue({ key: 'invoice:q1', kind: 'invoice.upsert', payload: {}, summary: 'Invoice Q1' });
    await company.outbox.enqueue({ key: 'invoice:q2', kind: 'invoice.upsert', payload: {}, summary: 'Invoice Q2' });
    const pushed: string[] = [];
    service.changed = (id, event) => pushed.push(`${id}:${event}`);
    assert.deepEqual(await service.approve(company.id, { keys: ['invoice:q1'] }), { approved: 1 });
    assert.deepEqual(pushed, [`${company.id}:job`]);
    assert.deepEqual(await service.skip(company.id, { keys: ['invoice:q2'] }), { skipped: 1 });
    assert.deepEqual(pushed, [`${company.id}:job`, `${company.id}:job`]);
  });

  it('the Accounting Scheduler\'s next export date comes from the exporter\'s own scheduler', async () => {
    const { company, service, registry } = await rig('qbd');
    const exporter = new ExportHandler(company, { timeZone: 'UTC' });
    const scheduler = new ExportScheduler(store(), `${company.id}|n-exporter`, {
      periodStart: '2026-01-01', every: 1, unit: 'months', timeZone: 'UTC', entities: ['invoices'], exporter: async () => ({}) as never, now: () => new Date('2026-01-15T12:00:00Z'),
    });
    registry.add({ nodeId: 'n-exporter', type: 'qb-date-range-exporter', name: 'export', company, handler: exporter, extras: { scheduler } });
    const r = await service.scheduler(company.id);
    assert.deepEqual(r.schedules, [{ nodeId: 'n-exporter', name: 'export', enabled: true, exportDate: '2026-02-01', from: '2026-01-01', to: '2026-01-31' }]);
  });

  it('Connections: state with a progress bar during the first load; Desktop: the last Web Connector run and what waits', async () => {
    const { company, service } = await rig('qbd');
    (company as unknown as { setStatus(s: unknown): void }).setStatus({ state: 'connecting', progress: 'customers 1,200 / 5,000' });
    const view = await service.connection(company.id);
    assert.equal(view.state, 'connecting');
    assert.deepEqual(view.progressBar, { entity: 'customers', done: 1200, total: 5000 });
    assert.deepEqual(Object.keys(view.mirror as object), ['items', 'customers', 'terms', 'accounts']);
    assert.deepEqual((view.nodes as Array<{ type: string }>).map((n) => n.type), ['qb-customer-matcher', 'qb-item-matcher']);
    await company.outbox.enqueue({ key: 'import:x', kind: 'import.items', payload: { from: '2026-01-01', to: '2026-01-31' }, autoApprove: true });
    let pushed = '';
    service.changed = (_id, event) => (pushed = event);
    const refused = (await company.outbox.enqueue({ key: 'invoice:x', kind: 'invoice.upsert', payload: {}, summary: 'Invoice X for Y', autoApprove: true })).job;
    await company.outbox.fail((await company.outbox.markSent(refused))!, { message: 'There is an invalid reference to QuickBooks Customer "Y"', statusCode: 3140 });
    company.emit('session', { ticket: 't', reason: 'closed', summary: '2 sent, 1 complete, 1 error' });
    await eventuallyTrue(() => pushed === 'session');
    const desktop = (await service.connection(company.id)).desktop as { lastRun: { outcome: string; summary: string; errors: string[] }; nextRun: { count: number; byKind: Record<string, number> } };
    assert.deepEqual([desktop.lastRun.outcome, desktop.lastRun.summary], ['error', '2 sent, 1 complete, 1 error']);
    assert.deepEqual(desktop.lastRun.errors, ['Invoice X for Y: There is an invalid reference to QuickBooks Customer "Y"']);
    assert.deepEqual(desktop.nextRun.byKind, { 'import.items': 1 });
  });

  it('answers never carry a file-system path', () => {
    assert.equal(safeMessage('the store /home/nr/.node-red/quickbooks is locked by 42'), 'the store … is locked by 42');
    assert.equal(safeMessage('C:\\QuickBooks\\Co.QBW cannot be opened'), '… cannot be opened');
    assert.equal(safeMessage('customers 1,200 / 5,000'), 'customers 1,200 / 5,000');
  });

  it('progress texts become a bar: "customers 1,200 / 5,000"', () => {
    assert.deepEqual(progressOf('customers 1,200 / 5,000'), { entity: 'customers', done: 1200, total: 5000 });
    assert.deepEqual(progressOf('items 700'), { entity: 'items', done: 700 });
    assert.equal(progressOf('waiting for the Web Connector'), undefined);
  });

  it('themes apply: every colour of the console\'s stylesheet is an editor CSS variable (a literal only as its fallback)', () => {
    const css = fs.readFileSync(path.join(root, 'resources', 'qb-console.css'), 'utf8');
    const literals = css.match(/#[0-9a-fA-F]{3,8}\b|rgba?\(|hsla?\(/g) ?? [];
    const asFallback = css.match(/var\(--red-ui-[a-z-]+, #[0-9a-fA-F]{3,8}\)/g) ?? [];
    assert.ok(asFallback.length > 20);
    assert.equal(literals.length, asFallback.length, 'no colour outside var(--red-ui-…, fallback)');
  });

  it('every string the console shows is an en-US key that exists (issue titles, states and editions included)', () => {
    const catalog = JSON.parse(fs.readFileSync(path.join(root, 'nodes', 'qbsync-console', 'locales', 'en-US', 'qbsync-console.json'), 'utf8')).console;
    const has = (key: string) => typeof key.split('.').reduce((o: any, k) => (o ? o[k] : undefined), catalog) === 'string';
    const js = fs.readFileSync(path.join(root, 'resources', 'qb-console.js'), 'utf8');
    const literal = [...js.matchAll(/\bt\('([\w.-]+)'/g)].map((m) => m[1]).filter((k) => !k.endsWith('.')); // 'issues.' + code: listed below
    assert.ok(literal.length > 80, `found ${literal.length} keys`);
    const dynamic = [
      ...Object.keys(ISSUES).map((c) => `issues.${c}`),
      ...['connecting', 'connected', 'reconnect-needed', 'error', 'idle'].map((s) => `state.${s}`),
      'edition.qbo', 'edition.qbd', ...['items', 'customers', 'terms', 'accounts'].map((e) => `entity.${e}`),
      ...['connections', 'general', 'items', 'customers', 'invoices', 'blubilling', 'preview'].map((tab) => `tabs.${tab}`),
      ...['needs-action', 'queued', 'created', 'updated', 'error', 'disabled'].map((s) => `invoices.statuses.${s}`),
      'connections.outcome.ok', 'connections.outcome.error', ...['items', 'customers', 'invoices', 'payments'].map((e) => `blubilling.${e}`),
      ...['p1', 'p2', 'p3', 'p4', 'p5'].map((p) => `helpText.${p}`),
      ...['defaultTermsId', 'incomeAccountId', 'expenseAccountId', 'assetAccountId', 'invoiceCreation', 'itemsSync', 'customersSync'].map((f) => `general.${f}`),
    ];
    const missing = [...new Set([...literal, ...dynamic])].filter((k) => !has(k));
    assert.deepEqual(missing, []);
  });
});
