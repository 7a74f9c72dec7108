/**
 * Browser-level smoke tests of the editor: Node-RED 4.1 started with `scripts/start.js` (this package
 * linked into a temporary user directory by scripts/userdir.js), a flow with one node of every type
 * deployed through the Admin API, and Debian's Chromium driven by playwright-core through the
 * editor's own `RED.*` APIs.
 *
 * Skips itself, saying why, when no Chromium binary (`CHROMIUM_PATH`, else /usr/bin/chromium) or no
 * playwright-core is installed, so `npm test` stays green on machines without a browser.
 * Screenshots of every dialog go to a temporary folder whose path is printed (they are not removed).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { freePort } from '../support/net';
import { tempDir } from '../support/tmp';
import { browserTestsUnavailable, CHROMIUM } from '../support/chromium';

// Globals of the editor page; only used inside page.evaluate / waitForFunction callbacks.
declare const RED: any;
declare const $: any;
declare const document: any;

const root = path.resolve(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string; 'node-red': { nodes: Record<string, string> } };
const ALL_TYPES = Object.keys(pkg['node-red'].nodes).sort();
const CONFIG_TYPES = ['qbo-connection', 'qbwc-server'];
const FLOW_TYPES = ALL_TYPES.filter((t) => !CONFIG_TYPES.includes(t));

const CREDENTIAL_SECRET = 'qbsync-editor-test-credential-secret';
/** Secret values deployed in the config nodes' credentials: none may reach the editor page. */
const SECRETS = {
  clientSecret: 'S3cr3t-qbo-client-7f1c2a',
  refreshToken: 'S3cr3t-qbo-refresh-9b4e6d',
  qbwcPassword: 'S3cr3t-qbwc-password-3d8a51',
};
/** Text that looks like an i18n key of this package left untranslated. */
const UNTRANSLATED = /(?:@qbsync\/node-red-quickbooks\/[\w-]+:)?\b(?:qb-[a-z-]+|qbo-connection|qbwc-server)\.[A-Za-z][\w-]*(?:\.[\w-]+)*/g;
const BROKEN_RULE = '$normKey(sku';

const skipReason = browserTestsUnavailable('nodes/qb-rule/qb-rule.html');
if (skipReason) console.log(`# editor tests skipped: ${skipReason}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The flow: one node of every non-config type, and the two config nodes with secret credentials. */
function testFlow(): Record<string, unknown>[] {
  const common = (id: string, type: string, y: number) => ({ id, type, z: 'ed-tab', name: '', x: 200, y, wires: [] as string[][] });
  return [
    { id: 'ed-tab', type: 'tab', label: 'Editor test' },
    {
      id: 'ed-qbo', type: 'qbo-connection', name: 'Test QBO', environment: 'sandbox', baseUrl: '', tokenUrl: '', authUrl: '', realmId: '',
      redirectUri: '', syncEveryMinutes: 60, defaultTermsId: '', incomeAccountId: '', expenseAccountId: '', assetAccountId: '', invoiceCreation: true,
      credentials: { clientId: 'editor-test-client-id', clientSecret: SECRETS.clientSecret, refreshToken: SECRETS.refreshToken },
    },
    {
      id: 'ed-qbwc', type: 'qbwc-server', name: 'Test QBWC', path: '/editor-test/qbwc', appName: 'Editor test', companyFile: '', publicUrl: '',
      runEveryMinutes: 15, pageSize: 500, autoApprove: false, defaultTermsId: '', incomeAccountId: '', invoiceCreation: true,
      credentials: { username: 'editor-test-user', password: SECRETS.qbwcPassword },
    },
    { ...common('ed-qb-rule', 'qb-rule', 40), rule: 'item-key.app', expression: '', property: 'payload', output: 'payload', wires: [[]] },
    { ...common('ed-qb-validate', 'qb-validate', 80), schema: 'bluetrace-item', wires: [[], []] },
    { ...common('ed-qb-item-matcher', 'qb-item-matcher', 120), edition: 'qbo', qbo: 'ed-qbo', qbwc: '', appRule: '', qbRule: '', createMissing: false, wires: [[], [], []] },
    { ...common('ed-qb-customer-matcher', 'qb-customer-matcher', 160), edition: 'qbo', qbo: 'ed-qbo', qbwc: '', appRule: '', qbRule: '', createMissing: false, wires: [[], [], []] },
    { ...common('ed-qb-invoice-creator', 'qb-invoice-creator', 200), edition: 'qbo', qbo: 'ed-qbo', qbwc: '', rule: '', wires: [[], [], []] },
    { ...common('ed-qb-charge-mapper', 'qb-charge-mapper', 240), edition: 'qbd', qbo: '', qbwc: 'ed-qbwc', rule: '', wires: [[], [], []] },
    {
      ...common('ed-qb-date-range-exporter', 'qb-date-range-exporter', 280), edition: 'qbd', qbo: '', qbwc: 'ed-qbwc', autoApprove: false, timeZone: '',
      schedule: false, periodStart: '', every: 1, unit: 'months', exportCustomers: true, exportInvoices: true, exportPayments: true, checkMinutes: 60, wires: [[], [], []],
    },
    { ...common('ed-qb-importer', 'qb-importer', 320), edition: 'qbd', qbo: '', qbwc: 'ed-qbwc', autoApprove: true, wires: [[], [], []] },
  ];
}
const nodeId = (type: string) => (CONFIG_TYPES.includes(type) ? { 'qbo-connection': 'ed-qbo', 'qbwc-server': 'ed-qbwc' }[type]! : `ed-${type}`);

describe('editor in Chromium', { skip: skipReason ?? false, timeout: 60_000 }, () => {
  let tmp: ReturnType<typeof tempDir> | undefined;
  let shotsDir = '';
  let server: ChildProcess | undefined;
  let serverLog = '';
  let base = '';
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  const failedRequests: string[] = [];
  const credentialResponses: string[] = [];
  const started = Date.now();

  before(async () => {
    tmp = tempDir('qbsync-editor-');
    shotsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbsync-editor-shots-'));
    console.log(`# editor screenshots: ${shotsDir}`);
    const userDir = path.join(tmp.dir, 'userdir');
    fs.mkdirSync(userDir, { recursive: true });
    // An empty flow file: scripts/userdir.js then deploys nothing of flows/; the test deploys its own.
    fs.writeFileSync(path.join(userDir, 'flows.json'), '[]\n');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', QB_USER_DIR: userDir, QB_STORE_DIR: path.join(userDir, 'store'), QB_CREDENTIAL_SECRET: CREDENTIAL_SECRET, QB_LOG_LEVEL: 'warn' };
    for (const k of Object.keys(env)) if (/^(QBO|QBWC)_/.test(k)) delete env[k];
    server = spawn(process.execPath, [path.join(root, 'scripts', 'start.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (d) => (serverLog += d));
    server.stderr!.on('data', (d) => (serverLog += d));
    const exited = new Promise<never>((_, reject) => server!.once('exit', (code) => reject(new Error(`Node-RED exited with ${code}:\n${serverLog}`))));
    exited.catch(() => undefined);

    // Wait (bounded) for the Admin API, then deploy the test flow.
    const until = Date.now() + 25_000;
    for (;;) {
      const ok = await Promise.race([fetch(`${base}/settings`).then((r) => r.ok, () => false), exited]);
      if (ok) break;
      if (Date.now() > until) throw new Error(`Node-RED did not answer within 25 s:\n${serverLog}`);
      await sleep(100);
    }
    const deploy = await fetch(`${base}/flows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': 'full' },
      body: JSON.stringify({ flows: testFlow() }),
    });
    assert.equal(deploy.status, 200, `deploy failed: ${await deploy.text()}`);

    const { chromium } = require('playwright-core') as typeof import('playwright-core');
    // playwright-core starts Chromium with a new empty --user-data-dir of its own (removed on close).
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      timeout: 15_000,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.setDefaultTimeout(5_000);
    page.on('pageerror', (err) => pageErrors.push(String(err.stack || err.message)));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !/Failed to load resource/.test(msg.text())) consoleErrors.push(msg.text());
    });
    page.on('response', (res) => {
      const url = new URL(res.url());
      if (/^\/credentials\//.test(url.pathname)) res.text().then((t) => credentialResponses.push(t), () => undefined);
      // The qbo-connection dialog asks a connection that was never connected for its status: 409 is its answer.
      if (res.status() >= 400 && !/^\/qbsync\/connections\/[^/]+\/status$/.test(url.pathname)) failedRequests.push(`${res.status()} ${res.request().method()} ${url.pathname}`);
    });
    await page.goto(base + '/');
    await page.waitForFunction((id: string) => typeof RED !== 'undefined' && RED.nodes && !!RED.nodes.node(id) && $('.red-ui-palette-node').length > 0, 'ed-qb-rule', { timeout: 20_000 });
    console.log(`# editor ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, { timeout: 45_000 });

  after(async () => {
    await browser?.close().catch(() => undefined);
    if (server && server.exitCode === null && server.signalCode === null) {
      const gone = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await Promise.race([gone, sleep(5_000)]);
      if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    }
    tmp?.cleanup();
    console.log(`# editor tests took ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${shotsDir}`);
  });

  /** Opens a node's edit dialog (flow node or config node) and waits for its form. */
  async function openDialog(type: string): Promise<void> {
    const id = nodeId(type);
    const config = CONFIG_TYPES.includes(type);
    await page.evaluate(([t, nid, cfg]: [string, string, boolean]) => {
      if (cfg) RED.editor.editConfig('', t, nid);
      else RED.editor.edit(RED.nodes.node(nid));
    }, [type, id, config] as [string, string, boolean]);
    await page.waitForSelector(config ? '#node-config-dialog-ok' : '#node-dialog-ok', { state: 'visible' });
    await page.waitForSelector(config ? '#node-config-dialog-edit-form' : '#dialog-form', { state: 'visible' });
  }

  /** Closes the open dialog with Done (true) or Cancel (false) and waits for the tray to go. */
  async function closeDialog(type: string, done = false): Promise<void> {
    const prefix = CONFIG_TYPES.includes(type) ? 'node-config-dialog' : 'node-dialog';
    await page.click(`#${prefix}-${done ? 'ok' : 'cancel'}`);
    await page.waitForFunction(() => document.querySelectorAll('.red-ui-tray').length === 0);
  }

  /** After a failed check: cancels whatever dialogs are still open, so the next test starts clean. */
  async function cancelOpenDialogs(): Promise<void> {
    for (let i = 0; i < 4; i++) {
      const open: number = await page.evaluate(() => document.querySelectorAll('.red-ui-tray').length).catch(() => 0);
      if (open === 0) return;
      await page.evaluate(() => $('.red-ui-tray').last().find('#node-config-dialog-cancel, #node-dialog-cancel').first().trigger('click')).catch(() => undefined);
      await page.waitForFunction((n: number) => document.querySelectorAll('.red-ui-tray').length < n, open, { timeout: 3_000 }).catch(() => undefined);
    }
  }

  /** Runs `check` with the dialog of `type` open; cancels it (and anything it opened) if `check` throws. */
  async function withDialog(type: string, check: () => Promise<void>): Promise<void> {
    await openDialog(type);
    try {
      await check();
    } catch (err) {
      await cancelOpenDialogs();
      throw err;
    }
  }

  async function screenshot(name: string): Promise<void> {
    await page.screenshot({ path: path.join(shotsDir, `${name}.png`) });
  }

  /** Every text and text attribute of the open dialog, hidden rows included, that looks like a key. */
  async function untranslatedKeys(): Promise<string[]> {
    const texts: string[] = await page.evaluate(() => {
      const out: string[] = [];
      document.querySelectorAll('.red-ui-tray').forEach((tray: any) => {
        out.push(tray.textContent || '');
        tray.querySelectorAll('[placeholder],[title],option,button').forEach((el: any) => {
          out.push(el.getAttribute('placeholder') || '', el.getAttribute('title') || '', el.textContent || '');
        });
      });
      return out;
    });
    return [...new Set(texts.flatMap((t) => t.match(UNTRANSLATED) ?? []))];
  }

  it('shows every node type of the package in the palette under "QuickBooks"', async () => {
    const palette: Record<string, string | null> = await page.evaluate((types: string[]) => {
      const found: Record<string, string | null> = {};
      for (const t of types) {
        const el = $(`.red-ui-palette-node[data-palette-type='${t}']`);
        found[t] = el.length ? $.trim(el.closest('.red-ui-palette-category').find('.red-ui-palette-header span').first().text()) : null;
      }
      return found;
    }, FLOW_TYPES);
    assert.deepEqual(palette, Object.fromEntries(FLOW_TYPES.map((t) => [t, 'QuickBooks'])));
    const registered: string[] = await page.evaluate((types: string[]) => types.filter((t) => !!RED.nodes.getType(t)), ALL_TYPES);
    assert.deepEqual(registered, ALL_TYPES, 'every type of package.json is registered in the editor');
    await screenshot('00-palette');
  });

  it('shows every deployed node as valid (an empty rule means "the default rule", not an error)', async () => {
    const invalid: Array<{ id: string; errors: unknown }> = await page.evaluate((ids: string[]) => {
      return ids.map((id) => RED.nodes.node(id)).filter((n: any) => !n.valid).map((n: any) => ({ id: n.id, errors: n.validationErrors }));
    }, ALL_TYPES.map(nodeId));
    assert.deepEqual(invalid, []);
  });

  for (const type of ALL_TYPES) {
    it(`opens the ${type} dialog with no page errors and no untranslated keys`, async () => {
      const errorsBefore = pageErrors.length;
      const consoleBefore = consoleErrors.length;
      const failedBefore = failedRequests.length;
      let keys: string[] = [];
      await withDialog(type, async () => {
        // Let oneditprepare's admin calls (default rules, credentials, status) settle.
        await page.waitForLoadState('networkidle', { timeout: 5_000 }).catch(() => undefined);
        await sleep(300);
        await screenshot(`dialog-${type}`);
        keys = await untranslatedKeys();
        await closeDialog(type);
      });
      assert.deepEqual(pageErrors.slice(errorsBefore), [], 'page errors');
      assert.deepEqual(consoleErrors.slice(consoleBefore), [], 'console errors');
      assert.deepEqual(failedRequests.slice(failedBefore), [], 'failed admin requests');
      assert.deepEqual(keys, [], 'untranslated i18n keys in the dialog');
    });
  }

  /** The text box an admin types into: typedInput hides #node-input-<field> and puts its own input in the container that follows it. */
  function typedInputField(field: string) {
    return page.locator(`#node-input-${field} + .red-ui-typedInput-container input.red-ui-typedInput-input`);
  }

  /** The default rule file as the server serves it. */
  function ruleFile(name: string): { source: string; samples: Array<{ input: unknown; expected: unknown }> } {
    return {
      source: fs.readFileSync(path.join(root, 'rules', `${name}.jsonata`), 'utf8'),
      samples: JSON.parse(fs.readFileSync(path.join(root, 'rules', `${name}.sample.json`), 'utf8')),
    };
  }

  /** Checks one rule field: pre-filled default, Test on the sample, then a typed broken expression. */
  async function checkRuleField(field: string, container: string, ruleName: string): Promise<void> {
    const rule = ruleFile(ruleName);
    const value = (): Promise<string> => page.evaluate((f: string) => $(`#node-input-${f}`).typedInput('value'), field);
    // Line breaks are kept as tabs in the one-line field, as Node-RED's JSONata typedInput does.
    const prefilled = rule.source.replace(/\r?\n/g, '\t');
    await page.waitForFunction((f: string) => !!$(`#node-input-${f}`).typedInput('value'), field);
    assert.equal(await value(), prefilled, `${field} is pre-filled with rules/${ruleName}.jsonata`);
    const sample = await page.inputValue(`${container} textarea.qb-rule-sample`);
    assert.deepEqual(JSON.parse(sample), rule.samples[0].input, 'the sample is the rule\'s first sample');

    const result = page.locator(`${container} pre.qb-rule-result`);
    const testButton = page.locator(`${container} button`, { hasText: 'Test on server' });
    await testButton.click();
    await page.waitForFunction((sel: string) => { const t = $(sel).text(); return t && t !== 'running…'; }, `${container} pre.qb-rule-result`);
    const shown = await result.textContent();
    assert.deepEqual(JSON.parse(shown ?? ''), rule.samples[0].expected, 'Test on server shows the expected result of the sample');

    // Type a broken expression into the field itself, as an admin would.
    const input = typedInputField(field);
    await input.click();
    await input.press('ControlOrMeta+a');
    await input.press('Backspace');
    await input.pressSequentially(BROKEN_RULE);
    assert.equal(await value(), BROKEN_RULE);
    await testButton.click();
    await page.waitForFunction((sel: string) => { const t = $(sel).text(); return t && t !== 'running…' && /position/.test(t); }, `${container} pre.qb-rule-result`).catch(() => undefined);
    const error = (await result.textContent()) ?? '';
    assert.match(error, /position \d+/, `the error shows its position: ${error}`);
    assert.equal(await result.evaluate((el: any) => el.classList.contains('qb-rule-error')), true, 'the result is marked as an error');
    assert.match(error, new RegExp(ruleName.replace(/\./g, '\\.') + '|rule'), 'the error names the rule');

    // Reset to default brings the shipped rule back.
    await page.locator(`${container} button`, { hasText: 'Reset to default' }).click();
    await page.waitForFunction(([f, src]: [string, string]) => $(`#node-input-${f}`).typedInput('value') === src, [field, prefilled] as [string, string]);
  }

  it('qb-item-matcher: rules pre-filled from rules/, Test on server gives the sample\'s result, a broken rule shows its position', async () => {
    const errorsBefore = pageErrors.length;
    await withDialog('qb-item-matcher', async () => {
      await checkRuleField('appRule', '#qb-app-rule-test', 'item-key.app');
      await checkRuleField('qbRule', '#qb-qb-rule-test', 'item-key.qbo');
      await screenshot('qb-item-matcher-rules');
      await closeDialog('qb-item-matcher');
    });
    assert.deepEqual(pageErrors.slice(errorsBefore), []);
  });

  it('qb-invoice-creator: rule pre-filled from rules/, Test on server gives the sample\'s result, a broken rule shows its position', async () => {
    const errorsBefore = pageErrors.length;
    await withDialog('qb-invoice-creator', async () => {
      await checkRuleField('rule', '#qb-invoice-rule-test', 'invoice.qbo');
      await screenshot('qb-invoice-creator-rule');
      await closeDialog('qb-invoice-creator');
    });
    assert.deepEqual(pageErrors.slice(errorsBefore), []);
  });

  it('a broken JSONata rule marks the node invalid after Done', async () => {
    const id = nodeId('qb-item-matcher');
    await withDialog('qb-item-matcher', async () => {
      await page.waitForFunction(() => !!$('#node-input-appRule').typedInput('value'));
      assert.equal(await page.evaluate((nid: string) => RED.nodes.node(nid).valid, id), true, 'valid before');
      const input = typedInputField('appRule');
      await input.click();
      await input.press('ControlOrMeta+a');
      await input.press('Backspace');
      await input.pressSequentially(BROKEN_RULE);
      await screenshot('qb-item-matcher-broken');
      await closeDialog('qb-item-matcher', true);
    });
    const after: { appRule: string; valid: boolean } = await page.evaluate((nid: string) => {
      const n = RED.nodes.node(nid);
      return { appRule: n.appRule, valid: n.valid };
    }, id);
    assert.deepEqual(after, { appRule: BROKEN_RULE, valid: false });
  });

  for (const [type, fields] of [
    ['qbo-connection', ['clientSecret', 'refreshToken']],
    ['qbwc-server', ['password']],
  ] as const) {
    it(`the ${type} dialog shows has_ flags for its secrets, never their values`, async () => {
      const id = nodeId(type);
      let page$ = '';
      await withDialog(type, async () => {
        await page.waitForFunction(
          (names: readonly string[]) => names.every((n) => $(`#node-config-input-${n}`).val() === '__PWRD__'),
          fields,
        );
        const creds: Record<string, unknown> = await page.evaluate((nid: string) => RED.nodes.node(nid).credentials || {}, id);
        for (const f of fields) {
          assert.equal(creds[`has_${f}`], true, `has_${f}`);
          assert.ok(!(f in creds) || creds[f] === '__PWRD__', `${f} is not in the editor's copy of the node`);
        }
        page$ = await page.evaluate(() => {
          const values: string[] = [];
          document.querySelectorAll('input, textarea').forEach((el: any) => values.push(String(el.value)));
          return document.documentElement.outerHTML + '\n' + values.join('\n');
        });
        await screenshot(`config-${type}`);
        await closeDialog(type);
      });
      for (const secret of Object.values(SECRETS)) {
        assert.ok(!page$.includes(secret), `the secret ${secret.slice(0, 10)}… is not in the page`);
        assert.ok(!credentialResponses.some((r) => r.includes(secret)), `the secret ${secret.slice(0, 10)}… is not sent to the editor`);
      }
      assert.ok(credentialResponses.length > 0, 'the editor fetched the credentials flags');
    });
  }
});
