/**
 * qbo-connection: Intuit's OAuth 2.0 authorization-code flow through the admin routes (against the
 * QuickBooks Online simulator's authorize and token endpoints), the single-use state, sealed tokens
 * that survive a redeploy, and the clear error of a connection that was never connected.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { startQboSimulator, type QboSimulator } from '../sim/qbo';
import { eventually } from '../support/flow-server';
import { nodeHelper as helper } from '../support/helper';
import { tempDir } from '../support/tmp';

const connection = require('../../nodes/qbo-connection/qbo-connection');
const tmp = tempDir();
let sim: QboSimulator;

const flow = () => [
  { id: 'conn', type: 'qbo-connection', environment: 'custom', baseUrl: sim.baseUrl, tokenUrl: sim.tokenUrl, authUrl: sim.authorizeUrl, realmId: '', syncEveryMinutes: 0, invoiceCreation: true },
];
const creds = () => ({ conn: { clientId: sim.clientId, clientSecret: sim.clientSecret } });

describe('qbo-connection', () => {
  before(async () => {
    sim = await startQboSimulator({ latencyMs: 0 });
    process.env.QB_STORE_DIR = path.join(tmp.dir, 'store');
    await helper.startServer();
  });
  after(async () => {
    await helper.stopServer();
    await sim.close();
    delete process.env.QB_STORE_DIR;
    tmp.cleanup();
  });
  afterEach(() => helper.unload());

  it('before any connect, the company is refused with a clear instruction', async () => {
    await helper.load(connection, flow(), creds());
    await assert.rejects((helper.getNode('conn') as any).whenCompany(), /not connected yet: press "Connect to QuickBooks"/);
  });

  it('Connect to QuickBooks: consent, a checked single-use state, tokens sealed in the store, connected after deploy', async () => {
    await helper.load(connection, flow(), creds());
    const start = await helper.request().post('/qbo-connection/conn/auth').expect(200);
    const authorize = new URL(start.body.url);
    assert.equal(authorize.searchParams.get('client_id'), sim.clientId);
    assert.equal(authorize.searchParams.get('scope'), 'com.intuit.quickbooks.accounting');
    assert.match(start.body.redirectUri, /\/qbo-connection\/callback$/);
    const consent = await fetch(start.body.url, { redirect: 'manual' });
    assert.equal(consent.status, 302);
    const back = new URL(consent.headers.get('location') as string);
    assert.equal(back.searchParams.get('realmId'), sim.realmId);

    const tampered = await helper.request().get(`/qbo-connection/callback?code=${back.searchParams.get('code')}&state=forged&realmId=${sim.realmId}`).expect(400);
    assert.match(tampered.text, /unknown or has expired/);

    const done = await helper.request().get(`/qbo-connection/callback${back.search}`).expect(200);
    assert.match(done.text, new RegExp(`Company ${sim.realmId} is connected`));
    assert.doesNotMatch(done.text, /access_token|refresh_token|Bearer/);
    const replay = await helper.request().get(`/qbo-connection/callback${back.search}`).expect(400);
    assert.match(replay.text, /unknown or has expired/);

    const onDisk = fs.readFileSync(path.join(process.env.QB_STORE_DIR as string, 'tokens.db'), 'utf8');
    assert.match(onDisk, /"sealed":"v1:/);
    assert.doesNotMatch(onDisk, /"refreshToken"/);

    await helper.unload();
    await helper.load(connection, flow(), creds());
    const company = await (helper.getNode('conn') as any).whenCompany();
    await eventually('connected', () => company.status().state === 'connected');
  });

  it('the callback refuses a realmId that is not digits, escapes what it writes and posts only to the editor\'s origin', async () => {
    await helper.load(connection, flow(), creds());
    const start = await helper.request().post('/qbo-connection/conn/auth').expect(200);
    const consent = await fetch(start.body.url, { redirect: 'manual' });
    const back = new URL(consent.headers.get('location') as string);
    const hostile = '1</script><script>alert(1)</script>';
    back.searchParams.set('realmId', hostile);
    const exchangesBefore = sim.stats.requests.token;
    const page = await helper.request().get(`/qbo-connection/callback${back.search}`).expect(400);
    assert.match(page.text, /realmId is not a QuickBooks company id/);
    assert.doesNotMatch(page.text, /<script>alert/);
    assert.doesNotMatch(page.text, /postMessage\([^)]*'\*'\)/);
    assert.match(page.text, /window\.location\.origin\)/);
    assert.equal(sim.stats.requests.token, exchangesBefore, 'the code was not exchanged');
  });

  it('the auth route needs the app credentials and a deployed node', async () => {
    await helper.load(connection, flow(), {});
    const missing = await helper.request().post('/qbo-connection/conn/auth').expect(400);
    assert.match(missing.body.error, /Client ID and Client Secret/);
    await helper.request().post('/qbo-connection/nope/auth').expect(404);
  });
});
