import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OnlineCompany } from '../../../nodes/lib/company/qbo/online-company';
import { invoicePayload, OnlineRig, seedBasics } from './online-company-rig';

const HOUR = 3_600_000;

describe('OnlineCompany and a refused refresh token (invalid_grant)', () => {
  let rig: OnlineRig;
  let ids: { customerId: string; itemId: string };

  before(async () => {
    rig = await new OnlineRig().open();
    ids = seedBasics(rig);
    rig.clock.advance(1000);
    await rig.started();
    rig.sim.oauth.revokeAll(); // the user disconnected the app in QuickBooks…
    rig.sim.oauth.expireAccessTokens(); // …and the access token has run out
    rig.sim.resetStats();
    await rig.write('invoice:SO-1', 'invoice.upsert', invoicePayload('SO-1', ids.customerId, ids.itemId));
    await rig.send();
  });
  after(() => rig.close());

  it('shows reconnect-needed', () => {
    assert.equal(rig.company.status().state, 'reconnect-needed');
    assert.match(rig.company.status().message ?? '', /re-authorised/);
  });

  it('asks the token endpoint once and does not loop', async () => {
    assert.equal(rig.sim.stats.requests.token, 1);
    rig.company.kick();
    await rig.company.resync().catch(() => undefined);
    await rig.company.idle({ retries: true });
    assert.equal(rig.sim.stats.requests.token, 1);
    assert.equal(rig.sim.stats.requests.batch, 1, 'only the request that met the 401');
  });

  it('keeps the job approved for after the reconnect, and nothing was created', async () => {
    const job = await rig.job('invoice:SO-1');
    assert.equal(job.state, 'approved');
    assert.equal(rig.sim.all('Invoice').length, 0);
  });
});

describe('OnlineCompany token rotation across a restart', () => {
  let rig: OnlineRig;
  let firstRefresh: string;

  before(async () => {
    rig = await new OnlineRig().open();
    seedBasics(rig);
    rig.clock.advance(1000);
    firstRefresh = (await rig.vault.load(rig.h.key))?.refreshToken as string;
    await rig.started();
  });
  after(() => rig.close());

  it('saves the rotated refresh token, encrypted, before using the new access token', async () => {
    rig.clock.advance(2 * HOUR);
    await rig.company.resync();
    const saved = await rig.vault.load(rig.h.key);
    assert.ok(saved && saved.refreshToken !== firstRefresh);
    const file = fs.readFileSync(path.join(rig.store.dir, 'tokens.db'), 'utf8');
    assert.ok(!file.includes(saved.refreshToken));
    assert.ok(!file.includes(saved.accessToken));
  });

  it('a new company over the same store keeps working with the rotated token', async () => {
    await rig.company.close();
    const { client } = rig.h.newClient(); // a fresh TokenManager: reads the vault, nothing in memory
    const company = new OnlineCompany({ id: 'qbo-test', store: rig.store, settings: { invoiceCreation: true }, client, clock: rig.clock, syncEveryMinutes: 0, lingerMs: 0 });
    try {
      await company.start();
      rig.clock.advance(2 * HOUR);
      rig.sim.resetStats();
      await company.resync();
      assert.equal(rig.sim.stats.requests.token, 1);
      assert.equal(company.status().state, 'connected');
    } finally {
      await company.close();
    }
  });
});
