/**
 * What the console tests share: Node-RED 4.1 with every shipped flow (scripts/userdir.js) and
 * Node-RED's adminAuth on (an admin with "*", a viewer with "read"), the QuickBooks Online simulator
 * and two simulated QuickBooks Desktop companies with Web Connector simulators, loaded with BlueTrace
 * records through the flows' own endpoints.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startQboSimulator, type QboSimulator } from '../sim/qbo';
import { QbdCompany } from '../sim/qbd';
import { WebConnectorSimulator } from '../sim/qbwc';
import { freePort } from '../support/net';
import { tempDir } from '../support/tmp';

export const root = path.resolve(__dirname, '..', '..', '..');
export const USERS = { admin: 'admin-Pa55-console', viewer: 'viewer-Pa55-console' } as const;
export type User = keyof typeof USERS;
const WC = { username: 'console-wc', password: 'console-wc-password' };
export const today = new Date().toISOString().slice(0, 10);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function eventually<T>(what: string, check: () => Promise<T | undefined | false | null> | T | undefined | false | null, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(150);
  }
}

/** A settings file: the package's own (scripts/settings.js) plus adminAuth with an admin and a read-only user. */
function settingsFile(dir: string): string {
  const file = path.join(dir, 'console-settings.js');
  fs.writeFileSync(file, `'use strict';
const base = require(${JSON.stringify(path.join(root, 'scripts', 'settings.js'))});
const users = { admin: { password: ${JSON.stringify(USERS.admin)}, permissions: '*' }, viewer: { password: ${JSON.stringify(USERS.viewer)}, permissions: 'read' } };
module.exports = Object.assign({}, base, {
  adminAuth: {
    type: 'credentials',
    users: (username) => Promise.resolve(users[username] ? { username, permissions: users[username].permissions } : null),
    authenticate: (username, password) => Promise.resolve(users[username] && users[username].password === password ? { username, permissions: users[username].permissions } : null),
  },
});
`);
  return file;
}

async function parsed(res: Response): Promise<{ status: number; body: any }> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* text */
  }
  return { status: res.status, body };
}

export class ConsoleRig {
  base = '';
  qbo!: QboSimulator;
  readonly tokens: Record<string, string> = {};
  readonly desktop = {
    blubilling: new QbdCompany({ companyFile: 'C:\\QuickBooks\\BluBilling Console.QBW', seed: { items: [
      { type: 'ItemService', Name: 'Hosting - Monthly', Price: 50 }, { type: 'ItemService', Name: 'Setup Fee', Price: 100 },
    ], customers: [{ Name: 'Oyster Bay Co', Email: 'ap@oysterbay.example' }] } }),
    bluetrace: new QbdCompany({ companyFile: 'C:\\QuickBooks\\BlueTrace Console.QBW', seed: { items: [
      { type: 'ItemNonInventory', Name: 'Kumamoto Oysters 60ct', ManufacturerPartNumber: 'KUM-60', Price: 42.5 },
    ], customers: [{ Name: 'Oyster Bay Co', Email: 'ap@oysterbay.example', TermsName: 'Net 30' }] } }),
  };
  readonly wc = {} as Record<keyof ConsoleRig['desktop'], WebConnectorSimulator>;
  private tmp?: ReturnType<typeof tempDir>;
  private server?: ChildProcess;
  private serverLog = '';

  async start(): Promise<void> {
    this.tmp = tempDir('qbsync-console-');
    const qbo = (this.qbo = await startQboSimulator({ latencyMs: 0 }));
    qbo.seed('Term', [{ Name: 'Net 30', DueDays: 30 }, { Name: 'Net 15', DueDays: 15 }]);
    qbo.seed('Account', [{ Name: 'Sales of Product Income', AccountType: 'Income' }, { Name: 'Cost of Goods Sold', AccountType: 'Cost of Goods Sold' }]);
    qbo.seed('Item', [
      { Name: 'Kumamoto Oysters 60ct', Sku: 'KUM-60', Type: 'NonInventory', UnitPrice: 42.5 },
      { Name: 'Hosting - Monthly', Type: 'Service', UnitPrice: 50 },
    ]);
    qbo.seed('Customer', [
      { DisplayName: 'Oyster Bay Co', PrimaryEmailAddr: { Address: 'ap@oysterbay.example' } },
      { DisplayName: 'Harbor Fish', PrimaryEmailAddr: { Address: 'billing@harbor.example' } },
      { DisplayName: 'Harbor Fish Market', PrimaryEmailAddr: { Address: 'billing@harbor.example' } },
    ]);

    const userDir = path.join(this.tmp.dir, 'userdir');
    const { prepareUserDir } = require(path.join(root, 'scripts', 'userdir.js')) as { prepareUserDir: (dir: string) => unknown };
    prepareUserDir(userDir); // the package linked in, every shipped flow deployed
    const port = await freePort();
    this.base = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env, PORT: String(port), HOST: '127.0.0.1', QB_USER_DIR: userDir, QB_STORE_DIR: path.join(userDir, 'store'),
      QB_CREDENTIAL_SECRET: 'qbsync-console-test-secret', QB_LOG_LEVEL: 'warn',
      QBO_ENVIRONMENT: 'custom', QBO_BASE_URL: qbo.baseUrl, QBO_TOKEN_URL: qbo.tokenUrl, QBO_AUTH_URL: qbo.authorizeUrl,
      QBO_CLIENT_ID: qbo.clientId, QBO_CLIENT_SECRET: qbo.clientSecret, QBO_REALM_ID: qbo.realmId, QBO_REFRESH_TOKEN: qbo.issueRefreshToken(),
      QBWC_USERNAME: WC.username, QBWC_PASSWORD: WC.password, QBWC_PUBLIC_URL: `http://localhost:${port}`,
    };
    // QB_NODE_RED: another Node-RED's red.js (e.g. 5.x) to run the same tests against.
    const red = process.env.QB_NODE_RED || require.resolve('node-red/red.js');
    const server = (this.server = spawn(process.execPath, [red, '--userDir', userDir, '--settings', settingsFile(this.tmp.dir)], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
    server.stdout!.on('data', (d) => (this.serverLog += d));
    server.stderr!.on('data', (d) => (this.serverLog += d));
    const exited = new Promise<never>((_, reject) => server.once('exit', (code) => reject(new Error(`Node-RED exited with ${code}:\n${this.serverLog}`))));
    exited.catch(() => undefined);
    await Promise.race([
      exited,
      eventually('Node-RED', async () => (await fetch(`${this.base}/auth/login`)).ok, 40_000).catch((err) => {
        throw new Error(`${(err as Error).message}\n${this.serverLog}`);
      }),
    ]);
    for (const user of Object.keys(USERS) as User[]) {
      const res = await fetch(`${this.base}/auth/token`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope: '', username: user, password: USERS[user] }),
      });
      assert.equal(res.status, 200, `login of ${user}`);
      this.tokens[user] = ((await res.json()) as { access_token: string }).access_token;
    }
    for (const [app, company] of Object.entries(this.desktop) as Array<[keyof ConsoleRig['desktop'], QbdCompany]>) {
      this.wc[app] = new WebConnectorSimulator({ url: `${this.base}/${app}/qbwc`, username: WC.username, password: WC.password, processor: company, companyFile: company.companyFile });
    }

    // What BlueTrace sends, through the flows' own endpoints.
    await eventually('QuickBooks Online connected', async () => (await this.rest('POST', '/bluetrace/items', [])).status === 200, 30_000);
    assert.equal((await this.rest('POST', '/bluetrace/items', [
      { id: 'it-101', name: 'Kumamoto Oysters 60ct', sku: 'KUM-60' },
      { id: 'it-103', name: 'Shucking Knife', sku: 'KNIFE-1' },
      { id: 'it-104', name: 'Oyster Gloves' },
    ])).status, 200);
    assert.equal((await this.rest('POST', '/bluetrace/customers', [
      { id: 'c-7', name: 'Oyster Bay Co', billingEmail: 'ap@oysterbay.example' },
      { id: 'c-8', name: 'Harbor Fish Market', billingEmail: 'billing@harbor.example' },
    ])).status, 200);
  }

  async stop(): Promise<void> {
    for (const w of Object.values(this.wc)) w?.stop();
    const server = this.server;
    if (server && server.exitCode === null && server.signalCode === null) {
      const gone = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await Promise.race([gone, sleep(5_000)]);
      if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    }
    await this.qbo?.close().catch(() => undefined);
    this.tmp?.cleanup();
  }

  /** A call to a flow endpoint (the apps' interface: no admin token). */
  async rest(method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> {
    return parsed(await fetch(this.base + url, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }));
  }

  /** An admin call with a user's token (or none); a string body is sent as it is. */
  async admin(method: string, url: string, user?: User, body?: unknown): Promise<{ status: number; body: any }> {
    const headers: Record<string, string> = {};
    if (user) headers.authorization = `Bearer ${this.tokens[user]}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    return parsed(await fetch(this.base + url, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) }));
  }
}
