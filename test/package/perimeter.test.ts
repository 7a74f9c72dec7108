/**
 * Issue 10 against `npm start` with the shipped flows: no request crashes or stalls Node-RED, no other
 * site can act, errors are JSON without stack or path, and authentication comes from the environment.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import { startRed, startRedRefused } from '../support/red-process';
import { POST_ENDPOINTS, startShippedRed, QBWC_TEST_PASSWORD, QBWC_TEST_USER, type ShippedRed } from '../support/shipped-red';
import { call } from '../support/http-call';
import { tempDir } from '../support/tmp';

const tmp = tempDir();
after(() => tmp.cleanup());


/** An error answer as the issue asks: JSON `{error, problems?}`, no stack, no file path. */
function assertCleanError(r: { status: number; text: string; body: any }, status: number): void {
  assert.equal(r.status, status, r.text);
  assert.ok(r.body && typeof r.body.error === 'string', `JSON {error}: ${r.text}`);
  assert.deepEqual(Object.keys(r.body).filter((k) => k !== 'error' && k !== 'problems'), [], r.text);
  assert.doesNotMatch(r.text, /\bat .+:\d+:\d+|node_modules|\/work\/|\/tmp\/|[A-Z]:\\\\/, r.text);
}

describe('the shipped flows behind the perimeter (npm start, no authentication configured)', () => {
  let app: ShippedRed;
  before(async () => {
    app = await startShippedRed(tmp.dir + '/open');
  });
  after(() => app?.stop());

  it('answers 2,000 nested arrays on every POST endpoint with a JSON 400 and stays up', async () => {
    const body = '['.repeat(2000) + ']'.repeat(2000);
    for (const path of POST_ENDPOINTS) {
      assertCleanError(await call(app.red.base, path, { method: 'POST', headers: { 'content-type': 'application/json' }, body }), 400);
    }
    assert.ok(app.red.alive(), app.red.output());
    assert.equal((await call(app.red.base, '/blubilling/queue')).status, 200);
  });

  it('answers malformed JSON, an over-large body and a form post with JSON 400 / 413 / 415', async () => {
    const post = (body: string, type = 'application/json') => call(app.red.base, '/blubilling/charges', { method: 'POST', headers: { 'content-type': type }, body });
    assertCleanError(await post('{"priceCode": '), 400);
    assertCleanError(await post(' '.repeat(6 * 1024 * 1024)), 413);
    assertCleanError(await post('priceCode=x', 'application/x-www-form-urlencoded'), 415);
    assertCleanError(await post('{}', 'text/plain'), 415);
  });

  it('gives other sites no CORS allowance, and a cross-site form post approves nothing and creates no invoice', async () => {
    await call(app.red.base, '/blubilling/customers', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'C-1', name: 'Harbor Freight Co', email: 'ap@harbor.example', createdAt: new Date().toISOString() }) });
    const preflight = await call(app.red.base, '/blubilling/queue/approve', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    assert.equal(preflight.status, 403);
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    const read = await call(app.red.base, '/blubilling/queue', { headers: { origin: 'https://evil.example' } });
    assert.equal(read.headers.get('access-control-allow-origin'), null);
    const writesBefore = app.writes();
    for (const [path, type] of [['/blubilling/queue/approve', 'text/plain'], ['/blubilling/queue/approve', 'application/x-www-form-urlencoded'], ['/bluetrace/orders/packed', 'text/plain'], ['/bluetrace/orders/packed', 'application/json']]) {
      const r = await call(app.red.base, path!, { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': type! }, body: '{"orderId":"O-1","orderNumber":"1001"}' });
      assertCleanError(r, 403);
    }
    assert.equal(app.writes(), writesBefore);
    const log = await call(app.red.base, '/bluetrace/invoices');
    assert.equal(log.status, 200);
    assert.deepEqual(log.body, []);
  });

  it('answers a broken or deep body to this package\'s admin routes with JSON, not an HTML stack trace', async () => {
    const post = (body: string) => call(app.red.base, '/qbsync/rules/test', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assertCleanError(await post('{"expression": '), 400);
    assertCleanError(await post('['.repeat(2000) + ']'.repeat(2000)), 400);
    const ok = await post('{"expression":"2*3"}');
    assert.deepEqual(ok.body, { ok: true, result: 6 });
  });

  it('validates query parameters with a JSON 400 instead of hanging', async () => {
    assertCleanError(await call(app.red.base, '/blubilling/history?limit=abc'), 400);
    assertCleanError(await call(app.red.base, '/blubilling-online/history?limit=-1'), 400);
    assertCleanError(await call(app.red.base, '/bluetrace/invoices?status=bogus'), 400);
    assertCleanError(await call(app.red.base, '/bluetrace-desktop/invoices?limit=1e9'), 400);
    const ok = await call(app.red.base, '/blubilling/history?limit=5');
    assert.equal(ok.status, 200, ok.text);
  });

  it('answers GET /bluetrace/invoices and /bluetrace-desktop/invoices with 200 (the invoice log), not 202', async () => {
    for (const path of ['/bluetrace/invoices', '/bluetrace-desktop/invoices', '/bluetrace/invoices?status=error,needs-action']) {
      const r = await call(app.red.base, path);
      assert.equal(r.status, 200, r.text);
      assert.ok(Array.isArray(r.body));
    }
  });
});

describe('authentication from the environment', () => {
  it('refuses to start on a non-loopback HOST without authentication, saying what to set', async () => {
    const { code, output } = await startRedRefused({ HOST: '0.0.0.0', PORT: '1', QB_USER_DIR: tmp.dir + '/refused' });
    assert.equal(code, 1);
    assert.match(output, /QB_ADMIN_USER and QB_ADMIN_PASSWORD/);
    assert.match(output, /QB_API_TOKEN/);
    assert.doesNotMatch(output, /Started flows/);
  });

  it('serves https with the certificate and key files from QB_TLS_CERT and QB_TLS_KEY', async (t) => {
    const dir = `${tmp.dir}/tls`;
    fs.mkdirSync(dir, { recursive: true });
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`, '-days', '1', '-subj', '/CN=localhost'], { encoding: 'utf8' });
    if (made.error || made.status !== 0) return t.skip('openssl is not available to make a test certificate');
    const red = await startRed(`${dir}/user`, { QB_TLS_CERT: `${dir}/cert.pem`, QB_TLS_KEY: `${dir}/key.pem` });
    try {
      const answer = await new Promise<{ status?: number; cert: string }>((resolve, reject) => {
        const req = https.get({ host: '127.0.0.1', port: red.port, path: '/', rejectUnauthorized: false }, (res) => {
          const subject = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().subject?.CN ?? '';
          res.resume();
          resolve({ status: res.statusCode, cert: String(subject) });
        });
        req.on('error', reject);
      });
      assert.equal(answer.status, 200);
      assert.equal(answer.cert, 'localhost');
      await assert.rejects(fetch(`http://127.0.0.1:${red.port}/`), 'plain http is not served');
    } finally {
      await red.stop();
    }
  });

  describe('with an admin, a read-only viewer and a token for the flows', () => {
    const TOKEN = 'flows-token-0123456789';
    let app: ShippedRed;
    before(async () => {
      app = await startShippedRed(tmp.dir + '/auth', { QB_ADMIN_USER: 'admin', QB_ADMIN_PASSWORD: 'admin-password', QB_VIEWER_USER: 'viewer', QB_VIEWER_PASSWORD: 'viewer-password', QB_API_TOKEN: TOKEN });
    });
    after(() => app?.stop());

    async function login(username: string, password: string, scope: string): Promise<string> {
      const r = await call(app.red.base, '/auth/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ client_id: 'node-red-admin', grant_type: 'password', scope, username, password }).toString() });
      assert.equal(r.status, 200, r.text);
      return r.body.access_token;
    }

    it('closes the editor\'s admin API to anonymous callers; the viewer can look but not act; the admin can act', async () => {
      assert.equal((await call(app.red.base, '/flows')).status, 401);
      assert.equal((await call(app.red.base, '/qbsync/rules')).status, 401);
      const viewer = await login('viewer', 'viewer-password', 'read');
      const asViewer = { authorization: `Bearer ${viewer}` };
      assert.equal((await call(app.red.base, '/flows', { headers: asViewer })).status, 200);
      assert.equal((await call(app.red.base, '/qbsync/rules', { headers: asViewer })).status, 200);
      assert.equal((await call(app.red.base, '/flows', { method: 'POST', headers: { ...asViewer, 'content-type': 'application/json' }, body: '[]' })).status, 401);
      assert.equal((await call(app.red.base, '/qbsync/rules/test', { method: 'POST', headers: { ...asViewer, 'content-type': 'application/json' }, body: '{"expression":"1"}' })).status, 401);
      const admin = await login('admin', 'admin-password', '*');
      const test = await call(app.red.base, '/qbsync/rules/test', { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: '{"expression":"1+1"}' });
      assert.deepEqual(test.body, { ok: true, result: 2 });
    });

    it('asks the flows\' endpoints for the token, and leaves the Web Connector\'s SOAP path to SOAP authentication', async () => {
      assertCleanError(await call(app.red.base, '/blubilling/queue'), 401);
      assertCleanError(await call(app.red.base, '/blubilling/queue', { headers: { authorization: 'Bearer wrong-token-0000000' } }), 401);
      assert.equal((await call(app.red.base, '/blubilling/queue', { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
      const soap = await call(app.red.base, '/blubilling/qbwc', {
        method: 'POST',
        headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: 'http://developer.intuit.com/authenticate' },
        body: `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><authenticate xmlns="http://developer.intuit.com/"><strUserName>${QBWC_TEST_USER}</strUserName><strPassword>${QBWC_TEST_PASSWORD}</strPassword></authenticate></soap:Body></soap:Envelope>`,
      });
      assert.equal(soap.status, 200, soap.text);
      assert.match(soap.text, /authenticateResult/);
    });
  });
});
