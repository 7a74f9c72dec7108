import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { QboError, ReconnectNeededError } from '../../../nodes/lib/company/qbo/errors';
import type { TokenSet } from '../../../nodes/lib/company/qbo/oauth';
import { MemoryTokenStore } from '../../../nodes/lib/company/qbo/tokens';
import { Harness, harness } from './harness';

describe('token manager against the simulator', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('uses the stored access token while it is fresh', async () => {
    h = await harness();
    await h.client.companyInfo();
    assert.equal(h.sim.stats.requests.token, 0);
  });

  it('refreshes ahead of expiry, before the call', async () => {
    h = await harness();
    h.clock.advance(56 * 60_000);
    await h.client.companyInfo();
    assert.equal(h.sim.stats.requests.token, 1);
    assert.equal(h.sim.stats.unauthorized, 0);
  });

  it('answers a 401 with one refresh and a successful retry', async () => {
    h = await harness();
    h.sim.oauth.expireAccessTokens();
    await h.client.companyInfo();
    assert.equal(h.sim.stats.unauthorized, 1);
    assert.equal(h.sim.stats.requests.token, 1);
    assert.equal(h.sim.stats.requests.read, 2);
  });

  it('refreshes once for ten concurrent calls that all get 401', async () => {
    h = await harness();
    h.sim.oauth.expireAccessTokens();
    await Promise.all(Array.from({ length: 10 }, () => h!.client.companyInfo()));
    assert.equal(h.sim.stats.requests.token, 1);
    assert.equal(h.tokens.refreshCount, 1);
  });

  it('refreshes once for two managers sharing a store key', async () => {
    h = await harness();
    const other = h.newClient();
    h.clock.advance(3600_000);
    await Promise.all([h.client.companyInfo(), other.client.companyInfo(), h.client.companyInfo(), other.client.companyInfo()]);
    assert.equal(h.sim.stats.requests.token, 1);
  });

  it('saves the rotated refresh token before the new access token is used', async () => {
    const events: string[] = [];
    const inner = new MemoryTokenStore();
    h = await harness({
      store: {
        load: (k) => inner.load(k),
        save: async (k, t: TokenSet) => {
          events.push(`save ${t.refreshToken.slice(0, 12)} at api=${h ? h.sim.stats.requests.read : 0}`);
          await inner.save(k, t);
        },
      },
    });
    const before = (await inner.load(h.key)) as TokenSet;
    h.sim.oauth.expireAccessTokens();
    await h.client.companyInfo();
    const afterSave = (await inner.load(h.key)) as TokenSet;
    assert.notEqual(afterSave.refreshToken, before.refreshToken);
    // the save happened after the failed read (1) and before the retried read (2)
    assert.equal(events.at(-1), `save ${afterSave.refreshToken.slice(0, 12)} at api=1`);
  });

  it('does not use new tokens whose save failed, and saves them on the next call', async () => {
    const inner = new MemoryTokenStore();
    let failSaves = false;
    h = await harness({
      store: {
        load: (k) => inner.load(k),
        save: async (k, t) => {
          if (failSaves) throw new Error('disk full');
          await inner.save(k, t);
        },
      },
    });
    h.sim.oauth.expireAccessTokens();
    failSaves = true;
    await assert.rejects(h.client.companyInfo(), (e: QboError) => e.code === 'TOKEN_SAVE_FAILED');
    assert.equal(h.sim.stats.requests.read, 1);
    failSaves = false;
    await h.client.companyInfo();
    assert.equal(h.sim.stats.requests.token, 1);
    assert.equal(h.sim.stats.requests.read, 2);
  });

  it('retries the refresh call after a token-endpoint 5xx', async () => {
    h = await harness();
    h.sim.oauth.expireAccessTokens();
    h.sim.faults.serverError(1, { target: 'token', status: 503 });
    await h.client.companyInfo();
    assert.equal(h.sim.stats.requests.token, 2);
  });

  it('turns invalid_grant into ReconnectNeededError, once, without a retry loop', async () => {
    h = await harness();
    h.sim.oauth.revokeAll();
    await assert.rejects(h.client.companyInfo(), (e: unknown) => e instanceof ReconnectNeededError && /re-authorised/.test(e.message));
    await assert.rejects(h.client.companyInfo(), ReconnectNeededError);
    assert.equal(h.sim.stats.requests.token, 1);
  });

  it('never puts a token in the error message or properties', async () => {
    h = await harness();
    const stored = (await h.store.load(h.key)) as TokenSet;
    h.sim.oauth.revokeAll();
    const err = await h.client.companyInfo().then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e as Error,
    );
    const text = `${err.message} ${JSON.stringify(err)} ${String(err.stack)}`;
    assert.ok(!text.includes(stored.accessToken));
    assert.ok(!text.includes(stored.refreshToken));
    assert.ok(!text.includes(h.app.clientSecret));
  });
});
