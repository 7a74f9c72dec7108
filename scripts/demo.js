#!/usr/bin/env node
// `npm run demo`: Node-RED with every shipped flow against a simulated QuickBooks Online and simulated
// QuickBooks Desktop companies (a Web Connector runs every few seconds), loaded with sample BlueTrace
// and BluBilling data. Prints a short guide, then what appears in the simulated QuickBooks.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
const { startQboSimulator } = require(path.join(dist, 'test/sim/qbo'));
const { QbdCompany } = require(path.join(dist, 'test/sim/qbd'));
const { WebConnectorSimulator } = require(path.join(dist, 'test/sim/qbwc'));

const PORT = Number(process.env.PORT || 1880);
const EVERY = Number(process.env.DEMO_WC_SECONDS || 10);
const BASE = `http://127.0.0.1:${PORT}`;
const userDir = path.join(root, '.node-red-demo');
const flows = fs.existsSync(path.join(root, 'flows')) ? fs.readdirSync(path.join(root, 'flows')).filter((f) => f.endsWith('.json')) : [];
const has = (name) => flows.includes(name);
const today = new Date().toISOString().slice(0, 10);
const log = (...args) => console.log('[demo]', ...args);
let red; // the Node-RED child process, killed whenever the demo ends
process.on('exit', () => red?.kill('SIGTERM'));

async function request(method, url, body) {
  const res = await fetch(BASE + url, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  try { return { status: res.status, body: JSON.parse(text) }; } catch { return { status: res.status, body: text }; }
}

async function waitFor(what, check, ms = 60_000) {
  const until = Date.now() + ms;
  for (;;) {
    try { const v = await check(); if (v) return v; } catch { /* not yet */ }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function main() {
  // 1. Simulated QuickBooks Online, with a small seafood distributor's lists.
  const qbo = await startQboSimulator({ latencyMs: 20 });
  qbo.seed('Term', [{ Name: 'Net 30', DueDays: 30 }]);
  qbo.seed('Item', [
    { Name: 'Kumamoto Oysters 60ct', Sku: 'KUM-60', Type: 'NonInventory', UnitPrice: 42.5 },
    { Name: 'Mussels 10lb', Sku: 'MUS-10', Type: 'NonInventory', UnitPrice: 19.99 },
    { Name: 'Hosting - Monthly', Type: 'Service', UnitPrice: 50 },
    { Name: 'Setup Fee', Type: 'Service', UnitPrice: 100 },
  ]);
  qbo.seed('Customer', [
    { DisplayName: 'Oyster Bay Co', PrimaryEmailAddr: { Address: 'ap@oysterbay.example' }, SalesTermRef: { value: qbo.all('Term')[0].Id } },
    { DisplayName: 'Harbor Fish', PrimaryEmailAddr: { Address: 'billing@harbor.example' } },
  ]);
  // 2. Simulated QuickBooks Desktop companies, one per Web Connector application.
  const desktop = {
    blubilling: new QbdCompany({ companyFile: 'C:\\QuickBooks\\BluBilling Demo.QBW', seed: { items: [
      { type: 'ItemService', Name: 'Hosting - Monthly', Price: 50 }, { type: 'ItemService', Name: 'Setup Fee', Price: 100 },
    ], customers: [{ Name: 'Oyster Bay Co', Email: 'ap@oysterbay.example' }] } }),
    bluetrace: new QbdCompany({ companyFile: 'C:\\QuickBooks\\BlueTrace Demo.QBW', seed: { items: [
      { type: 'ItemNonInventory', Name: 'Kumamoto Oysters 60ct', ManufacturerPartNumber: 'KUM-60', Price: 42.5 },
      { type: 'ItemNonInventory', Name: 'MUS-10', Price: 19.99 },
    ], customers: [{ Name: 'Oyster Bay Co', Email: 'ap@oysterbay.example', TermsName: 'Net 30' }] } }),
  };

  // 3. Node-RED with every shipped flow, configured only through the environment.
  fs.rmSync(userDir, { recursive: true, force: true });
  const env = {
    ...process.env, PORT: String(PORT), QB_USER_DIR: userDir, QB_STORE_DIR: path.join(userDir, 'quickbooks'),
    QBO_ENVIRONMENT: 'custom', QBO_BASE_URL: qbo.baseUrl, QBO_TOKEN_URL: qbo.tokenUrl, QBO_AUTH_URL: qbo.authorizeUrl,
    QBO_CLIENT_ID: qbo.clientId, QBO_CLIENT_SECRET: qbo.clientSecret, QBO_REALM_ID: qbo.realmId, QBO_REFRESH_TOKEN: qbo.issueRefreshToken(),
    QBWC_USERNAME: 'demo', QBWC_PASSWORD: 'demo-password', QBWC_PUBLIC_URL: `http://localhost:${PORT}`, QB_LOG_LEVEL: 'warn',
  };
  red = spawn(process.execPath, [path.join(__dirname, 'start.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let redOutput = '';
  red.stdout.on('data', (d) => { redOutput += d; if (process.env.DEMO_VERBOSE) process.stdout.write(d); });
  red.stderr.on('data', (d) => process.stderr.write(d));
  const stop = () => { red.kill('SIGTERM'); connectors.forEach((c) => c.stop()); qbo.close().finally(() => process.exit(0)); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const connectors = [];
  red.on('exit', (code) => { if (code) { console.error(redOutput); log(`Node-RED exited with ${code}`); process.exit(1); } });
  await waitFor('Node-RED', async () => (await fetch(BASE + '/')).ok);
  log(`Node-RED is running at ${BASE}/ with ${flows.join(', ') || 'no flows'}`);

  // 4. Web Connectors polling every few seconds, like AutoRun.
  for (const [app, company] of Object.entries(desktop)) {
    const flow = app === 'blubilling' ? 'blubilling-qbd.json' : 'bluetrace-qbd.json';
    if (!has(flow)) continue;
    const wc = new WebConnectorSimulator({ url: `${BASE}/${app}/qbwc`, username: 'demo', password: 'demo-password', processor: company, companyFile: company.companyFile });
    connectors.push(wc);
    wc.runEvery(EVERY * 1000, Number.MAX_SAFE_INTEGER).catch((err) => log(`${app} Web Connector stopped: ${err.message}`));
  }

  // 5. Sample data through the flows' endpoints, as BlueTrace and BluBilling would send it.
  if (has('bluetrace-qbo.json')) {
    await waitFor('QuickBooks Online to connect', async () => (await request('POST', '/bluetrace/items', [])).status === 200);
    await request('POST', '/bluetrace/items', [{ id: 'it-101', name: 'Kumamoto Oysters 60ct', sku: 'KUM-60' }, { id: 'it-102', name: 'Mussels 10lb', sku: 'MUS-10' }, { id: 'it-103', name: 'Shucking Knife' }]);
    await request('POST', '/bluetrace/customers', [{ id: 'c-7', name: 'Oyster Bay Co', billingEmail: 'ap@oysterbay.example' }, { id: 'c-8', name: 'Dockside Grill' }]);
    for (let i = 1; i <= 3; i++) {
      await request('POST', '/bluetrace/orders/packed', { id: `so-${1000 + i}`, orderNumber: `SO-${1000 + i}`, customerId: 'c-7', packedDate: today, lines: [{ itemId: 'it-101', quantity: i, unitPrice: 42.5 }, { itemId: 'it-102', quantity: 1, unitPrice: 19.99 }] });
    }
    await request('POST', '/bluetrace/orders/packed', { id: 'so-1009', orderNumber: 'SO-1009', customerId: 'c-8', packedDate: today, lines: [{ itemId: 'it-103', quantity: 1, unitPrice: 12 }] });
  }
  if (has('blubilling-qbd.json')) {
    await request('POST', '/blubilling/imports', { from: '2000-01-01', to: today, entities: ['items', 'customers'] });
    await request('POST', '/blubilling/charges', [{ id: 'ch-1', name: 'Monthly Hosting', priceCode: 'Hosting - Monthly' }, { id: 'ch-2', name: 'Setup', priceCode: 'setup fee' }]);
    const now = new Date().toISOString();
    await request('POST', '/blubilling/customers', { id: 'cu-2', name: 'Dockside Grill', email: 'ap@dockside.example', createdAt: now });
    await request('POST', '/blubilling/invoices', { id: 'in-1', invoiceNumber: 'BB-1001', customerId: 'cu-2', invoiceDate: today, createdAt: now, lines: [{ chargeId: 'ch-1', quantity: 1, unitPrice: 50 }] });
    await request('POST', '/blubilling/payments', { id: 'pa-1', customerId: 'cu-2', invoiceId: 'in-1', paymentDate: today, createdAt: now, amount: 50, reference: 'CHK 1001' });
  }

  console.log(`
──────────────────────────────────────────────────────────────────────────────
 @qbsync/node-red-quickbooks demo
  Console:       ${BASE}/qbsync/console   (every step by clicking; also the QuickBooks tab of the editor's sidebar)
  Editor:        ${BASE}/   (palette: QuickBooks; flows: ${flows.map((f) => f.replace('.json', '')).join(', ')})
  BlueTrace → QuickBooks Online (simulated):
    curl ${BASE}/bluetrace/invoices          # the invoice log: created, needs-action (SO-1009 lacks matches)
    curl ${BASE}/bluetrace/issues/items      # each item match issue with its resolution
    curl -X POST ${BASE}/bluetrace/orders/packed -H 'content-type: application/json' \\
      -d '{"id":"so-2001","orderNumber":"SO-2001","customerId":"c-7","packedDate":"${today}","lines":[{"itemId":"it-101","quantity":2,"unitPrice":42.5}]}'
  BluBilling → QuickBooks Desktop (a simulated Web Connector runs every ${EVERY} s):
    curl ${BASE}/blubilling/charges/issues   # "setup fee" is not exactly "Setup Fee"
    curl -X POST ${BASE}/blubilling/exports -H 'content-type: application/json' -d '{"from":"${today}","to":"${today}"}'
    curl ${BASE}/blubilling/queue; curl -X POST ${BASE}/blubilling/queue/approve -H 'content-type: application/json' -d '{}'
    curl ${BASE}/blubilling/history
  Ctrl-C stops everything. The simulated QuickBooks companies print what they receive below.
──────────────────────────────────────────────────────────────────────────────`);

  // 6. What the simulated QuickBooks companies now hold.
  let last = '';
  setInterval(() => {
    const online = qbo.all('Invoice').map((i) => `${i.DocNumber} $${i.TotalAmt}`);
    const bb = desktop.blubilling;
    const line = `QuickBooks Online invoices: ${online.length ? online.join(', ') : 'none yet'} | QuickBooks Desktop (BluBilling): ${bb.count('Invoice')} invoices, ${bb.count('ReceivePayment')} payments, ${bb.count('Customer')} customers`;
    if (line !== last) log((last = line));
  }, 2000).unref();
}

main().catch((err) => {
  console.error('[demo] failed:', err);
  process.exit(1);
});
