/**
 * The QuickBooks console in Chromium (the rig: test/console/rig.ts): each step of the two help pages
 * is done by clicking in the console, and the outcome is checked in the store (through the flows' own
 * REST endpoints) or in the simulators afterwards. Screenshots of every tab are saved by the run into
 * docs/screenshots/ (git-ignored; the README shows copies in docs/).
 *
 * Skips itself, saying why, when no Chromium (CHROMIUM_PATH, else /usr/bin/chromium) or no
 * playwright-core is installed. The admin routes are tested without a browser in admin-api.test.ts.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ConsoleRig, eventually as eventuallyRig, root, sleep, today, USERS, type User } from './rig';
import { browserTestsUnavailable, CHROMIUM } from '../support/chromium';

declare const document: any;
declare const RED: any;
declare const localStorage: any;
declare const window: any;

const SHOTS = path.join(root, 'docs', 'screenshots');
const eventually = eventuallyRig;

const skipReason = browserTestsUnavailable('nodes/qbsync-console/qbsync-console.html');
if (skipReason) console.log(`# console tests skipped: ${skipReason}`);

describe('the QuickBooks console in Chromium', { skip: skipReason ?? false, timeout: 240_000 }, () => {
  const rig = new ConsoleRig();
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  let commsAuthFailures = 0;
  const rest = (method: string, url: string, body?: unknown) => rig.rest(method, url, body);
  const admin = (method: string, url: string, user?: User, body?: unknown) => rig.admin(method, url, user, body);
  let base = '';
  let qbo: ConsoleRig['qbo'];
  const desktop = rig.desktop;
  const wc = rig.wc;
  const tokens = rig.tokens;

  const untranslatedSeen: string[] = [];
  async function shot(name: string): Promise<void> {
    await sleep(200);
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
    untranslatedSeen.push(...(await untranslated()).map((k) => `${name}: ${k}`));
  }

  const q = (name: string) => `[data-qbc="${name}"]`;

  async function openTab(connectionId: string, tab: string): Promise<void> {
    await page.selectOption(q('connection'), connectionId);
    await page.click(q(`tab-${tab}`));
    await page.waitForSelector(`.qbc-panel[data-qbc-tab="${tab}"]`);
    await page.waitForLoadState('networkidle', { timeout: 5_000 }).catch(() => undefined);
  }

  /** Text of the open console (all its tabs' labels, buttons, options, placeholders) that looks like an untranslated key. */
  async function untranslated(scope = '.qbc'): Promise<string[]> {
    const texts: string[] = await page.evaluate((sel: string) => {
      const out: string[] = [];
      document.querySelectorAll(sel).forEach((el: any) => {
        out.push(el.textContent || '');
        el.querySelectorAll('[placeholder],[title],[aria-label]').forEach((e: any) => out.push(e.getAttribute('placeholder') || '', e.getAttribute('title') || '', e.getAttribute('aria-label') || ''));
      });
      return out;
    }, scope);
    return [...new Set(texts.flatMap((t) => t.match(/\bconsole\.[a-zA-Z]+(?:\.[\w-]+)*/g) ?? []))];
  }

  before(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    await rig.start();
    base = rig.base;
    qbo = rig.qbo;
    const { chromium } = require('playwright-core') as typeof import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM, headless: true, timeout: 20_000,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (err) => pageErrors.push(String(err.stack || err.message)));
    page.on('websocket', (ws) => ws.on('framereceived', (f) => {
      if (String(f.payload).includes('"auth":"fail"')) commsAuthFailures++;
    }));
  }, { timeout: 120_000 });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await rig.stop();
    console.log(`# console screenshots: ${SHOTS}`);
  });

  it('the page of its own logs in with adminAuth and shows Connections (Online connected, Desktop with its .qwc)', async () => {
    await page.goto(`${base}/qbsync/console`);
    await page.fill(q('login-username'), 'admin');
    await page.fill(q('login-password'), USERS.admin);
    await page.click(q('login-submit'));
    await page.waitForSelector(q('connections'));
    await page.waitForSelector(`${q('connection-bt-qbo')} .qbc-state-connected`);
    assert.match(await page.textContent(`${q('connection-bt-qbo')} ${q('mirror-items')}`) ?? '', /2 items, synced/);
    assert.ok(await page.isVisible(q('qwc-btd-qbwc')), 'Desktop connections offer the .qwc file');
    assert.ok(await page.isVisible(q('connect-bt-qbo')), 'Online connections offer Connect');
    await shot('console-connections');
    assert.deepEqual(await untranslated(), []);
    // Keyboard: the selected tab takes focus, arrow keys move between tabs.
    await page.selectOption(q('connection'), 'bt-qbo');
    await page.focus(q('tab-connections'));
    await page.keyboard.press('ArrowRight');
    await page.waitForSelector('.qbc-panel[data-qbc-tab="general"]');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-qbc')), 'tab-general');
    await page.keyboard.press('ArrowLeft');
    await page.waitForSelector('.qbc-panel[data-qbc-tab="connections"]');
    // The .qwc file of a Desktop connection downloads with the admin's token.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(q('qwc-btd-qbwc'))]);
    const qwc = fs.readFileSync((await download.path()) as string, 'utf8');
    assert.match(qwc, /<AppURL>http:\/\/localhost:\d+\/bluetrace\/qbwc<\/AppURL>/);
    assert.equal(download.suggestedFilename(), 'BlueTrace_QuickBooks_Desktop.qwc');
  });

  it('Re-sync on Desktop queues the import for the next Web Connector run; the run shows as the last run', async () => {
    await page.click(q('resync-btd-qbwc'));
    await page.waitForFunction((sel: string) => /[1-9]\d* job\(s\) approved/.test(document.querySelector(sel)?.textContent ?? ''), `${q('connection-btd-qbwc')} ${q('next-run')}`);
    const before = await admin('GET', '/qbsync/console/api/connections/btd-qbwc', 'admin');
    assert.ok(before.body.desktop.nextRun.count > 0, 'imports wait for the Web Connector');
    const run = await wc.bluetrace.runSession();
    assert.deepEqual(run.errors, []);
    // Pushed over comms (the console never polls): the card shows the run and the loaded copy without a reload.
    await page.waitForFunction((sel: string) => /complete/.test(document.querySelector(sel)?.textContent ?? ''), `${q('connection-btd-qbwc')} ${q('last-run')}`, { timeout: 15_000 });
    await page.waitForSelector(`${q('connection-btd-qbwc')} .qbc-state-connected`, { timeout: 15_000 });
    const after = await admin('GET', '/qbsync/console/api/connections/btd-qbwc', 'admin');
    assert.equal(after.body.mirror.items.count, 1);
    assert.equal(after.body.desktop.nextRun.count, 0);
  });

  it('Re-sync on Online refreshes the QuickBooks copy (a new QuickBooks item appears)', async () => {
    qbo.seed('Item', [{ Name: 'Shucking Knife Pro', Sku: 'KNIFE-PRO', Type: 'NonInventory', UnitPrice: 12 }]);
    await page.click(q('resync-bt-qbo'));
    await eventually('the new item in the copy', async () => (await admin('GET', '/qbsync/console/api/connections/bt-qbo/mirror/items?q=pro', 'admin')).body.total === 1);
    await page.waitForFunction((sel: string) => /3 items/.test(document.querySelector(sel)?.textContent ?? ''), `${q('connection-bt-qbo')} ${q('mirror-items')}`);
  });

  it('Connect (Online): Intuit\'s consent in a new window, the tokens kept, the connection stays connected', async () => {
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.click(q('connect-bt-qbo'))]);
    await popup.waitForLoadState();
    await popup.waitForFunction(() => /Connected to QuickBooks/.test(document.body?.textContent ?? '')).catch(async (err) => {
      throw new Error(`${err.message}: ${popup.url()} ${await popup.textContent('body').catch(() => '')}`);
    });
    await page.waitForFunction((sel: string) => /Connected to QuickBooks company/.test(document.querySelector(sel)?.textContent ?? ''), `${q('connection-bt-qbo')}`);
    // A refresh (a live update, or Refresh) re-draws the cards: the message stays beside its connection.
    await page.evaluate((sel: string) => document.querySelector(sel)?.setAttribute('data-before-refresh', '1'), `${q('connection-bt-qbo')}`);
    await page.click(q('refresh'));
    await page.waitForSelector(`${q('connection-bt-qbo')}:not([data-before-refresh])`);
    assert.match(await page.textContent(q('connection-bt-qbo')) ?? '', /Connected to QuickBooks company/);
    await popup.close();
    const status = await admin('GET', '/qbsync/console/api/connections/bt-qbo', 'admin');
    assert.equal(status.body.state, 'connected');
    assert.equal((await rest('POST', '/bluetrace/items', [{ id: 'it-101', name: 'Kumamoto Oysters 60ct', sku: 'KUM-60' }])).body.matched, 1, 'QuickBooks Online still answers');
  });

  it('General: terms and accounts chosen from the copy, invoice creation off; an order is then not invoiced', async () => {
    await openTab('bt-qbo', 'general');
    await page.waitForSelector(`${q('general-defaultTermsId')} option:has-text("Net 15")`, { state: 'attached' });
    const net15 = qbo.all('Term').find((t) => t.Name === 'Net 15')!.Id as string;
    const income = qbo.all('Account').find((a) => a.Name === 'Sales of Product Income')!.Id as string;
    await page.selectOption(q('general-defaultTermsId'), net15);
    await page.selectOption(q('general-incomeAccountId'), income);
    await page.uncheck(q('general-invoiceCreation'));
    await shot('console-general');
    await page.click(q('general-save'));
    await page.waitForSelector('.qbc-panel .qbc-ok');
    const g = await admin('GET', '/qbsync/console/api/connections/bt-qbo/general', 'viewer');
    assert.equal(g.body.settings.defaultTermsId, net15);
    assert.equal(g.body.settings.incomeAccountId, income);
    assert.equal(g.body.settings.invoiceCreation, false);
    const packed = await rest('POST', '/bluetrace/orders/packed', { id: 'so-1', orderNumber: 'SO-1', customerId: 'c-7', packedDate: today, lines: [{ itemId: 'it-101', quantity: 2, unitPrice: 42.5 }] });
    assert.equal(packed.body.status, 'disabled', 'the runtime follows the console\'s setting');
    // Items sync off: the item matcher refuses records (the flow answers 400 with the reason) and matches nothing.
    await page.uncheck(q('general-itemsSync'));
    await page.click(q('general-save'));
    await eventually('items sync off', async () => (await admin('GET', '/qbsync/console/api/connections/bt-qbo/general', 'admin')).body.settings.itemsSync === false);
    const refused = await rest('POST', '/bluetrace/items', [{ id: 'it-900', name: 'Clams', sku: 'CLM-1' }]);
    assert.equal(refused.status, 400);
    assert.match(refused.body.error, /Items sync is turned off/);
    assert.ok(!(await rest('GET', '/bluetrace/issues/items')).body.some((i: { appId: string }) => i.appId === 'it-900'), 'nothing stored');
    // Back on, for the next steps.
    await page.check(q('general-itemsSync'));
    await page.check(q('general-invoiceCreation'));
    await page.click(q('general-save'));
    await eventually('invoice creation and items sync on', async () => {
      const s = (await admin('GET', '/qbsync/console/api/connections/bt-qbo/general', 'admin')).body.settings;
      return s.invoiceCreation === true && s.itemsSync === true;
    });
  });

  it('Items: counts and issues with their resolution; Create in QuickBooks for a missing item', async () => {
    await openTab('bt-qbo', 'items');
    await page.waitForSelector('[data-qbc-row="it-103"]');
    assert.match(await page.textContent(q('item-counts')) ?? '', /1 matched · 2 with issues/);
    assert.match(await page.textContent('[data-qbc-row="it-103"]') ?? '', /Item Not Found in QB.*create a new item in QB/s);
    assert.match(await page.textContent('[data-qbc-row="it-104"]') ?? '', /missing a SKU/);
    await page.fill(q('item-list-search'), 'knife');
    await page.waitForFunction(() => document.querySelectorAll('[data-qbc="item-list"] tbody tr').length === 1);
    await shot('console-items');
    await page.click(q('create-it-103'));
    const created = await eventually('the item in QuickBooks Online', () => qbo.all('Item').find((i) => i.Name === 'Shucking Knife'));
    assert.equal(created.Sku, 'KNIFE-1');
    // The created item settles the match (the store), and the console shows it without a reload.
    await eventually('it-103 matched', async () => !(await rest('GET', '/bluetrace/issues/items')).body.some((i: { appId: string }) => i.appId === 'it-103'));
    await page.fill(q('item-list-search'), '');
    await page.waitForFunction(() => /Matched: Shucking Knife/.test(document.querySelector('[data-qbc-row="it-103"]')?.textContent ?? ''), undefined, { timeout: 15_000 });
    // The mirror browser: an item Name to copy into a Price Code.
    await page.fill(q('items-mirror-search'), 'hosting');
    await page.waitForFunction(() => /Hosting - Monthly/.test(document.querySelector('[data-qbc="items-mirror"]')?.textContent ?? ''));
  });

  it('Customers: a duplicate match is linked to the candidate chosen by name and email', async () => {
    await openTab('bt-qbo', 'customers');
    await page.waitForSelector(q('candidates-c-8'));
    const options = await page.$$eval(`${q('candidates-c-8')} option`, (els: any[]) => els.map((e) => e.textContent));
    assert.deepEqual(options.sort(), ['Harbor Fish <billing@harbor.example>', 'Harbor Fish Market <billing@harbor.example>']);
    await shot('console-customers');
    const market = qbo.all('Customer').find((c) => c.DisplayName === 'Harbor Fish Market')!.Id as string;
    await page.selectOption(q('candidates-c-8'), market);
    await page.click(q('link-c-8'));
    await page.waitForFunction(() => /Matched: Harbor Fish Market \(linked by hand\)/.test(document.querySelector('[data-qbc-row="c-8"]')?.textContent ?? ''));
    const issues = await rest('GET', '/bluetrace/issues/customers');
    assert.ok(!issues.body.some((i: { appId: string }) => i.appId === 'c-8'), 'the same outcome as POST /bluetrace/customers/link');
    const doc = await admin('GET', '/qbsync/console/api/connections/bt-qbo/matches/customer?q=c-8', 'admin');
    assert.equal(doc.body.rows[0].qbId, market);
  });

  it('Invoices: the Action column of an order that cannot be invoiced, and Retry now', async () => {
    const packed = await rest('POST', '/bluetrace/orders/packed', { id: 'so-2', orderNumber: 'SO-2', customerId: 'c-404', packedDate: today, lines: [{ itemId: 'it-101', quantity: 1, unitPrice: 42.5 }] });
    assert.equal(packed.body.status, 'needs-action');
    await openTab('bt-qbo', 'invoices');
    await page.waitForSelector('[data-qbc-row="so-2"]');
    assert.match(await page.textContent('[data-qbc-row="so-2"] .qbc-action') ?? '', /c-404|customer/i);
    assert.match(await page.textContent('[data-qbc-row="so-1"]') ?? '', /turned off/);
    await page.selectOption(q('invoices-filter'), 'disabled');
    await page.waitForFunction(() => document.querySelectorAll('[data-qbc="invoices"] tbody tr').length === 1);
    await shot('console-invoices');
    await page.click(q('retry-so-1'));
    const invoice = await eventually('SO-1 in QuickBooks Online', () => qbo.all('Invoice').find((i) => i.DocNumber === 'SO-1'));
    assert.equal(invoice.SalesTermRef?.value ?? qbo.all('Term').find((t) => t.Name === 'Net 15')!.Id, qbo.all('Term').find((t) => t.Name === 'Net 15')!.Id);
    const log = await rest('GET', '/bluetrace/invoices');
    const so1 = log.body.find((e: { sourceId?: string; orderId?: string }) => (e.sourceId ?? e.orderId) === 'so-1');
    assert.ok(so1 && ['created', 'queued'].includes(so1.status), JSON.stringify(so1));
  });

  it('BluBilling: import by date range, run the Web Connector, map charges', async () => {
    await openTab('bb-qbwc', 'blubilling');
    await page.fill(q('import-from'), '2000-01-01');
    await page.fill(q('import-to'), today);
    await page.uncheck(q('import-invoices'));
    await page.click(q('import-start'));
    await page.waitForSelector(`${q('import')} .qbc-ok`);
    const queued = await rest('GET', '/blubilling/imports');
    assert.deepEqual(queued.body.imports.map((i: { entity: string }) => i.entity).sort(), ['customers', 'items']);
    const run = await wc.blubilling.runSession();
    assert.deepEqual(run.errors, []);
    await eventually('imports complete', async () => (await rest('GET', '/blubilling/imports')).body.imports.every((i: { status: string }) => i.status === 'Complete'));
    await page.waitForFunction(() => /Complete/.test(document.querySelector('[data-qbc="imports-table"]')?.textContent ?? ''), undefined, { timeout: 15_000 });
    // Charges: one maps, one does not (BluBilling's instruction shows).
    await rest('POST', '/blubilling/charges', [{ id: 'ch-1', name: 'Monthly Hosting', priceCode: 'Hosting - Monthly' }, { id: 'ch-2', name: 'Setup', priceCode: 'setup fee' }]);
    // Previous History: an import row opens what it imported.
    await page.click(q('open-import:items:2000-01-01:' + today));
    await page.waitForFunction(() => /Hosting - Monthly/.test(document.querySelector('[data-qbc="history-detail"]')?.textContent ?? ''));
    await page.waitForFunction(() => /Exactly as it appears under the Name column/.test(document.querySelector('[data-qbc="charges"]')?.textContent ?? ''), undefined, { timeout: 15_000 });
    // The imported Item List, whose Name goes into a Price Code exactly.
    await page.waitForFunction(() => /Setup Fee/.test(document.querySelector('[data-qbc="blubilling-items"]')?.textContent ?? ''));
    await shot('console-blubilling-import');
  });

  it('BluBilling: export a date range, approve and skip selected jobs, the history shows Complete and Skipped', async () => {
    const now = new Date().toISOString();
    await rest('POST', '/blubilling/customers', { id: 'cu-2', name: 'Dockside Grill', email: 'ap@dockside.example', createdAt: now });
    await rest('POST', '/blubilling/invoices', { id: 'in-1', invoiceNumber: 'BB-1001', customerId: 'cu-2', invoiceDate: today, createdAt: now, lines: [{ chargeId: 'ch-1', quantity: 1, unitPrice: 50 }] });
    await rest('POST', '/blubilling/payments', { id: 'pa-1', customerId: 'cu-2', invoiceId: 'in-1', paymentDate: today, createdAt: now, amount: 50, reference: 'CHK 1001' });
    await page.fill(q('export-from'), today);
    await page.fill(q('export-to'), today);
    await page.click(q('export-start'));
    await page.waitForSelector(`${q('export')} .qbc-ok`);
    await page.waitForSelector(q('pick-invoice:in-1'));
    assert.match(await page.textContent('[data-qbc-row="invoice:in-1"]') ?? '', /Invoice/);
    await page.click('[data-qbc-row="invoice:in-1"] summary');
    await shot('console-blubilling-queue');
    await page.check(q('pick-customer:cu-2'));
    await page.check(q('pick-invoice:in-1'));
    await page.click(q('queue-approve'));
    await page.waitForFunction(() => /2 approved/.test(document.querySelector('[data-qbc="queue"]')?.textContent ?? ''));
    await page.check(q('pick-payment:pa-1'));
    await page.click(q('queue-skip'));
    await page.waitForFunction(() => /1 skipped/.test(document.querySelector('[data-qbc="queue"]')?.textContent ?? ''));
    const run = await wc.blubilling.runSession();
    assert.deepEqual(run.errors, []);
    assert.equal(desktop.blubilling.count('Invoice'), 1, 'the approved invoice reached QuickBooks Desktop');
    assert.equal(desktop.blubilling.count('ReceivePayment'), 0, 'the skipped payment did not');
    const history = await rest('GET', '/blubilling/history');
    const byKey = Object.fromEntries(history.body.history.map((h: { key: string; status: string }) => [h.key, h.status]));
    assert.equal(byKey['invoice:in-1'], 'Complete');
    assert.equal(byKey['payment:pa-1'], 'Skipped');
    await page.waitForFunction(() => /Complete/.test(document.querySelector('[data-qbc-row="invoice:in-1"] .qbc-badge')?.textContent ?? ''), undefined, { timeout: 15_000 });
    await page.click(q('open-invoice:in-1'));
    await page.waitForFunction(() => /BB-1001/.test(document.querySelector('[data-qbc="history-detail"]')?.textContent ?? ''));
    await shot('console-blubilling-history');
  });

  it('Rule preview: an edited key rule counted beside the current one, nothing written', async () => {
    const before = await rest('GET', '/bluetrace/issues/items');
    await openTab('bt-qbo', 'preview');
    await page.waitForFunction(() => ((document.querySelector('[data-qbc="preview-appRule"]') as any)?.value ?? '').length > 0);
    await page.fill(q('preview-appRule'), '$normKey(name)');
    await page.fill(q('preview-qbRule'), '$normKey(Name)');
    await page.click(q('preview-run'));
    await page.waitForSelector(q('preview-counts'));
    assert.match(await page.textContent(q('preview-changed')) ?? '', /\d+ record\(s\) would change/);
    await shot('console-preview');
    assert.deepEqual((await rest('GET', '/bluetrace/issues/items')).body, before.body, 'the preview wrote nothing');
  });

  it('the editor\'s sidebar has the QuickBooks tab with the same console', async () => {
    await page.goto(`${base}/`);
    await page.evaluate((tk: string) => localStorage.setItem('auth-tokens', JSON.stringify({ access_token: tk, expires_in: 3600, token_type: 'Bearer' })), tokens.admin);
    await page.goto(`${base}/`);
    await page.waitForFunction(() => {
      try {
        return typeof RED !== 'undefined' && RED.sidebar.containsTab('qbsync-console') && !!RED.nodes.node('bt-qbo') && document.querySelectorAll('.red-ui-palette-node').length > 0;
      } catch {
        return false;
      }
    }, undefined, { timeout: 30_000 });
    await sleep(1_000); // the editor shows its info tab once the flows are in: open ours after that
    await page.evaluate(() => RED.sidebar.show('qbsync-console'));
    await page.waitForSelector(`.qbc-sidebar ${q('connections')} .qbc-card`);
    await page.selectOption(`.qbc-sidebar ${q('connection')}`, 'bt-qbo');
    await page.click(`.qbc-sidebar ${q('tab-items')}`);
    await page.waitForSelector('.qbc-sidebar [data-qbc-row="it-101"]');
    assert.ok(await page.isVisible('.qbc-sidebar [data-qbc-row="it-101"]'), 'the sidebar tab is showing');
    await shot('console-sidebar');
    assert.deepEqual(await untranslated('.qbc-sidebar'), [], 'the editor\'s catalog of the plugin is complete');
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(untranslatedSeen, [], 'no untranslated key on any tab');
    assert.equal(commsAuthFailures, 0, 'the page of its own signs in to comms at once');
  });

  it('a read-only user sees the console and is told, not obeyed, when pressing a button', async () => {
    const context = await browser!.newContext({ viewport: { width: 1300, height: 900 } });
    const viewer = await context.newPage();
    try {
      await viewer.goto(`${base}/qbsync/console`);
      await viewer.fill(q('login-username'), 'viewer');
      await viewer.fill(q('login-password'), USERS.viewer);
      await viewer.click(q('login-submit'));
      // The page asks for the user's own permissions (scope ""), as the editor's login does.
      await viewer.waitForSelector(`${q('connection-bt-qbo')} .qbc-state-connected`);
      const mirrorBefore = (await admin('GET', '/qbsync/console/api/connections/bt-qbo', 'admin')).body.mirror.items.syncedAt;
      await viewer.click(q('resync-bt-qbo'));
      await viewer.waitForSelector(`${q('connection-bt-qbo')} .qbc-error`);
      assert.match(await viewer.textContent(`${q('connection-bt-qbo')} .qbc-error`) ?? '', /no write permission/);
      assert.equal((await admin('GET', '/qbsync/console/api/connections/bt-qbo', 'admin')).body.mirror.items.syncedAt, mirrorBefore, 'nothing was re-synced');
    } finally {
      await context.close();
    }
  });

  it('"Preview on QuickBooks data" from the item matcher\'s dialog runs the edited rule on the real data', async () => {
    await page.evaluate(() => RED.editor.edit(RED.nodes.node('bt-items')));
    await page.waitForSelector('#node-dialog-ok', { state: 'visible' });
    await page.waitForFunction(() => !!(window as any).$('#node-input-appRule').typedInput('value'));
    await page.evaluate(() => (window as any).$('#node-input-appRule').typedInput('value', '$normKey(name)'));
    await page.click('.qb-rule-preview-run');
    await page.waitForFunction(() => /would change/.test(document.querySelector('.qb-rule-preview-result')?.textContent ?? ''));
    const text = (await page.textContent('.qb-rule-preview-result')) ?? '';
    assert.match(text, /Deployed rules: 2 matched, 1 with issues · these rules: \d+ matched/);
    await shot('console-matcher-preview');
    await page.click('#node-dialog-cancel');
    assert.deepEqual(pageErrors, []);
  });
});
