import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { resolveEndpoints } from '../../../nodes/lib/company/qbo/environment';
import { buildAuthorizeUrl, exchangeCode, parseRedirect } from '../../../nodes/lib/company/qbo/oauth';
import { startQboSimulator, QboSimulator } from '../../sim/qbo/server';

describe('environment resolution', () => {
  it('resolves sandbox and production to Intuit hosts', () => {
    assert.equal(resolveEndpoints({ environment: 'sandbox' }).apiBase, 'https://sandbox-quickbooks.api.intuit.com/v3/company/');
    const prod = resolveEndpoints({ environment: 'production' });
    assert.equal(prod.apiBase, 'https://quickbooks.api.intuit.com/v3/company/');
    assert.equal(prod.tokenUrl, 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer');
    assert.equal(prod.authorizeUrl, 'https://appcenter.intuit.com/connect/oauth2');
  });

  it('appends /v3/company/ to a custom base URL', () => {
    const e = resolveEndpoints({ environment: 'custom', baseUrl: 'http://127.0.0.1:8080/', tokenUrl: 'http://127.0.0.1:8080/t', authorizeUrl: 'http://127.0.0.1:8080/a' });
    assert.equal(e.apiBase, 'http://127.0.0.1:8080/v3/company/');
  });

  it('requires the token and authorize URLs for custom', () => {
    assert.throws(() => resolveEndpoints({ environment: 'custom', baseUrl: 'http://127.0.0.1:1' }), /token URL is required/);
  });
});

describe('OAuth helpers against the simulator', () => {
  let sim: QboSimulator;
  const redirectUri = 'http://127.0.0.1:1880/qbo/callback';
  before(async () => {
    sim = await startQboSimulator({ redirectUris: [redirectUri] });
  });
  after(() => sim.close());

  it('builds the consent URL with client_id, scope, redirect_uri, response_type and state', () => {
    const endpoints = resolveEndpoints({ environment: 'production' });
    const u = new URL(buildAuthorizeUrl(endpoints, { clientId: 'cid', redirectUri, state: 's1' }));
    assert.deepEqual(Object.fromEntries(u.searchParams), {
      client_id: 'cid',
      scope: 'com.intuit.quickbooks.accounting',
      redirect_uri: redirectUri,
      response_type: 'code',
      state: 's1',
    });
  });

  it('completes the code flow: consent → redirect → exchange', async () => {
    const endpoints = resolveEndpoints({ environment: 'custom', baseUrl: sim.baseUrl, tokenUrl: sim.tokenUrl, authorizeUrl: sim.authorizeUrl });
    const res = await fetch(buildAuthorizeUrl(endpoints, { clientId: sim.clientId, redirectUri, state: 'xyz' }), { redirect: 'manual' });
    const back = new URL(res.headers.get('location') as string);
    const { code, realmId } = parseRedirect(back.searchParams, 'xyz');
    assert.equal(realmId, sim.realmId);
    const tokens = await exchangeCode(endpoints, { clientId: sim.clientId, clientSecret: sim.clientSecret }, { code, redirectUri, realmId }, { now: () => 1000 });
    assert.equal(tokens.realmId, sim.realmId);
    assert.equal(tokens.accessTokenExpiresAt, 1000 + 3600_000);
    assert.ok(tokens.refreshToken);
    await assert.rejects(exchangeCode(endpoints, { clientId: sim.clientId, clientSecret: sim.clientSecret }, { code, redirectUri, realmId }, { now: () => 1000 }), (e: { code: string }) => e.code === 'invalid_grant');
  });

  it('refuses a redirect whose state does not match', () => {
    assert.throws(() => parseRedirect(new URLSearchParams({ code: 'c', realmId: '1', state: 'other' }), 'xyz'), /state/);
  });
});

describe('connection wiring', () => {
  it('starts from a refresh token alone: the first call refreshes and saves', async () => {
    const { createQboConnection } = await import('../../../nodes/lib/company/qbo/connection');
    const { MemoryTokenStore } = await import('../../../nodes/lib/company/qbo/tokens');
    const sim = await startQboSimulator();
    try {
      const store = new MemoryTokenStore();
      await store.save(`qbo:${sim.realmId}`, { realmId: sim.realmId, accessToken: 'none', refreshToken: sim.issueRefreshToken(), accessTokenExpiresAt: 0, refreshTokenExpiresAt: Date.now() + 86_400_000, updatedAt: 0 });
      const { client } = createQboConnection({
        realmId: sim.realmId,
        app: { clientId: sim.clientId, clientSecret: sim.clientSecret },
        environment: { environment: 'custom', baseUrl: sim.baseUrl, tokenUrl: sim.tokenUrl, authorizeUrl: sim.authorizeUrl },
        store,
      });
      assert.ok((await client.companyInfo()).CompanyName);
      assert.equal(store.saved.length, 2);
      assert.equal(sim.stats.requests.token, 1);
    } finally {
      await sim.close();
    }
  });
});

describe('parseRedirect refuses hostile values', () => {
  it('takes only a digits realmId, a token-like code, plain single values, and never echoes an error text', () => {
    const ok = parseRedirect(new URLSearchParams({ code: 'AB11.c-d_e~', realmId: '9130347596240000', state: 's' }), 's');
    assert.deepEqual(ok, { code: 'AB11.c-d_e~', realmId: '9130347596240000' });
    assert.throws(() => parseRedirect(new URLSearchParams({ code: 'c', realmId: '1<script>', state: 's' }), 's'), /realmId is not a QuickBooks company id/);
    assert.throws(() => parseRedirect(new URLSearchParams({ code: 'c"><img>', realmId: '1', state: 's' }), 's'), /authorization code is not valid/);
    assert.throws(() => parseRedirect({ code: ['a', 'b'], realmId: '1', state: 's' }, 's'), /code or realmId missing/);
    assert.throws(() => parseRedirect(new URLSearchParams({ error: '<b>x</b>', state: 's' }), 's'), (e: Error) => !e.message.includes('<b>') && /consent failed/.test(e.message));
    assert.throws(() => parseRedirect(new URLSearchParams({ error: 'access_denied', state: 's' }), 's'), /access_denied/);
  });
});
