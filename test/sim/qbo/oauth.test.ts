import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startQboSimulator, QboSimulator } from './server';

const REDIRECT = 'http://127.0.0.1:1880/qbo/callback';

async function tokenCall(sim: QboSimulator, form: Record<string, string>, secret = sim.clientSecret) {
  const res = await fetch(sim.tokenUrl, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${sim.clientId}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, json: (await res.json()) as Record<string, string | number> };
}

async function authorize(sim: QboSimulator, params: Record<string, string>) {
  const res = await fetch(`${sim.authorizeUrl}?${new URLSearchParams(params)}`, { redirect: 'manual' });
  return { status: res.status, location: res.headers.get('location') };
}

const consent = { client_id: '', scope: 'com.intuit.quickbooks.accounting', redirect_uri: REDIRECT, response_type: 'code', state: 'st-1' };

describe('simulator OAuth 2.0', () => {
  let sim: QboSimulator;
  before(async () => {
    sim = await startQboSimulator({ redirectUris: [REDIRECT] });
    consent.client_id = sim.clientId;
  });
  after(() => sim.close());

  it('redirects the consent to redirect_uri with code, state and realmId', async () => {
    const r = await authorize(sim, consent);
    assert.equal(r.status, 302);
    const back = new URL(r.location as string);
    assert.equal(`${back.origin}${back.pathname}`, REDIRECT);
    assert.equal(back.searchParams.get('state'), 'st-1');
    assert.equal(back.searchParams.get('realmId'), sim.realmId);
    assert.ok(back.searchParams.get('code'));
  });

  it('refuses an unregistered redirect_uri without redirecting', async () => {
    const r = await authorize(sim, { ...consent, redirect_uri: 'http://127.0.0.1:9/evil' });
    assert.equal(r.status, 400);
  });

  it('redirects with error=invalid_scope when the accounting scope is missing', async () => {
    const r = await authorize(sim, { ...consent, scope: 'openid' });
    assert.equal(new URL(r.location as string).searchParams.get('error'), 'invalid_scope');
  });

  it('exchanges a code once for a bearer token pair', async () => {
    const code = new URL((await authorize(sim, consent)).location as string).searchParams.get('code') as string;
    const first = await tokenCall(sim, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT });
    assert.equal(first.status, 200);
    assert.equal(first.json.token_type, 'bearer');
    assert.equal(first.json.expires_in, 3600);
    assert.equal(first.json.x_refresh_token_expires_in, 8726400);
    const again = await tokenCall(sim, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT });
    assert.deepEqual([again.status, again.json.error], [400, 'invalid_grant']);
  });

  it('requires the client credentials in Basic auth', async () => {
    const r = await tokenCall(sim, { grant_type: 'refresh_token', refresh_token: 'x' }, 'wrong');
    assert.deepEqual([r.status, r.json.error], [401, 'invalid_client']);
  });

  it('rotates the refresh token and refuses the superseded one with invalid_grant', async () => {
    const t = sim.issueTokens();
    const r1 = await tokenCall(sim, { grant_type: 'refresh_token', refresh_token: t.refresh_token });
    assert.equal(r1.status, 200);
    assert.notEqual(r1.json.refresh_token, t.refresh_token);
    const stale = await tokenCall(sim, { grant_type: 'refresh_token', refresh_token: t.refresh_token });
    assert.deepEqual([stale.status, stale.json.error], [400, 'invalid_grant']);
    const r2 = await tokenCall(sim, { grant_type: 'refresh_token', refresh_token: String(r1.json.refresh_token) });
    assert.equal(r2.status, 200);
  });

  it('refuses an unknown refresh token with invalid_grant', async () => {
    const r = await tokenCall(sim, { grant_type: 'refresh_token', refresh_token: 'never-issued' });
    assert.deepEqual([r.status, r.json.error], [400, 'invalid_grant']);
  });

  it('refuses a refresh token after its lifetime', async () => {
    const t = sim.issueTokens();
    sim.clock.advance(8_726_400_000);
    const r = await tokenCall(sim, { grant_type: 'refresh_token', refresh_token: t.refresh_token });
    assert.deepEqual([r.status, r.json.error], [400, 'invalid_grant']);
  });

  it('refuses refresh tokens of a revoked grant', async () => {
    const t = sim.issueTokens();
    const res = await fetch(sim.revokeUrl, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${sim.clientId}:${sim.clientSecret}`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ token: t.refresh_token }),
    });
    assert.equal(res.status, 200);
    const r = await tokenCall(sim, { grant_type: 'refresh_token', refresh_token: t.refresh_token });
    assert.equal(r.json.error, 'invalid_grant');
  });
});

describe('simulator OAuth 2.0 with daily rotation', () => {
  let sim: QboSimulator;
  before(async () => {
    sim = await startQboSimulator({ rotation: 'daily' });
  });
  after(() => sim.close());

  it('returns the same refresh token within 24 hours and a new one after', async () => {
    const t = sim.issueTokens();
    const same = await tokenCall(sim, { grant_type: 'refresh_token', refresh_token: t.refresh_token });
    assert.equal(same.json.refresh_token, t.refresh_token);
    sim.clock.advance(24 * 3600 * 1000);
    const rotated = await tokenCall(sim, { grant_type: 'refresh_token', refresh_token: t.refresh_token });
    assert.notEqual(rotated.json.refresh_token, t.refresh_token);
  });
});
