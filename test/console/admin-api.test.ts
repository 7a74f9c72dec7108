/**
 * The console's admin routes on a Node-RED with adminAuth (no browser needed): no token 401, a
 * read-only user reads and gets 403 on every action, hostile queries and bodies get 400 naming the
 * field and change nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConsoleRig, today, type User } from './rig';

describe('the console\'s admin routes with adminAuth', { timeout: 120_000 }, () => {
  const rig = new ConsoleRig();
  const admin = (method: string, url: string, user?: User, body?: unknown) => rig.admin(method, url, user, body);
  before(() => rig.start(), { timeout: 90_000 });
  after(() => rig.stop());

  it('adminAuth: no token 401, a read-only user reads (200) and gets 403 on every action; the admin may act', async () => {
    assert.equal((await admin('GET', '/qbsync/console/api/connections')).status, 401);
    const list = await admin('GET', '/qbsync/console/api/connections', 'viewer');
    assert.equal(list.status, 200);
    const ids = list.body.connections.map((c: { id: string }) => c.id).sort();
    assert.deepEqual(ids, ['bb-qbwc', 'bbo-qbo', 'bt-qbo', 'btd-qbwc']);
    for (const [url, body] of [
      ['/qbsync/console/api/connections/bt-qbo/resync', {}],
      ['/qbsync/console/api/connections/bt-qbo/general', { invoiceCreation: false }],
      ['/qbsync/console/api/connections/bt-qbo/matches/customer/link', { appId: 'c-8', qbId: '1' }],
      ['/qbsync/console/api/connections/bt-qbo/matches/item/create', { appIds: ['it-103'] }],
      ['/qbsync/console/api/connections/bt-qbo/invoices/retry', { orderId: 'x' }],
      ['/qbsync/console/api/connections/bb-qbwc/imports', { from: '2000-01-01', to: today }],
      ['/qbsync/console/api/connections/bb-qbwc/exports', { from: '2000-01-01', to: today }],
      ['/qbsync/console/api/connections/bb-qbwc/queue/approve', { keys: ['a'] }],
      ['/qbsync/console/api/connections/bb-qbwc/queue/skip', { keys: ['a'] }],
      ['/qbsync/console/api/connections/bt-qbo/preview', { kind: 'item' }],
    ] as const) {
      const res = await admin('POST', url, 'viewer', body);
      assert.equal(res.status, 403, `read-only ${url}`);
      assert.match(res.body.error, /qbsync\.write/);
    }
    // Nothing changed: the read-only user's General edit did not apply.
    assert.equal((await admin('GET', '/qbsync/console/api/connections/bt-qbo/general', 'admin')).body.settings.invoiceCreation, true);
    assert.equal((await admin('POST', '/qbsync/console/api/connections/bt-qbo/preview', 'admin', { kind: 'item' })).status, 200);
  });

  it('hostile input: 400 naming the field, never a crash or a stack trace', async () => {
    const cases: Array<[string, string, unknown, string]> = [
      ['GET', '/qbsync/console/api/connections/bt-qbo/matches/item?limit=100000', undefined, 'limit'],
      ['GET', '/qbsync/console/api/connections/bt-qbo/matches/item?offset=-1', undefined, 'offset'],
      ['GET', '/qbsync/console/api/connections/bt-qbo/matches/item?q=a&q=b', undefined, 'q'],
      ['GET', '/qbsync/console/api/connections/bt-qbo/matches/item?filter=nope', undefined, 'filter'],
      ['GET', '/qbsync/console/api/connections/bt-qbo/matches/nope', undefined, 'kind'],
      ['GET', `/qbsync/console/api/connections/bt-qbo/matches/item?q=${'x'.repeat(500)}`, undefined, 'q'],
      ['POST', '/qbsync/console/api/connections/bt-qbo/matches/customer/link', { appId: ['c-8'], qbId: 5 }, 'appId'],
      ['POST', '/qbsync/console/api/connections/bt-qbo/general', { defaultTermsId: 'no-such-term' }, 'defaultTermsId'],
      ['POST', '/qbsync/console/api/connections/bt-qbo/general', { invoiceCreation: 'yes' }, 'invoiceCreation'],
      ['POST', '/qbsync/console/api/connections/bb-qbwc/imports', { from: '2026-13-45', to: 'tomorrow' }, 'from'],
      ['POST', '/qbsync/console/api/connections/bb-qbwc/exports', { from: '2026-01-01', to: '2026-01-31', entities: ['invoices', { $where: 1 }] }, 'entities'],
      ['POST', '/qbsync/console/api/connections/bb-qbwc/queue/approve', { keys: 'all' }, 'keys'],
      ['POST', '/qbsync/console/api/connections/bt-qbo/preview', { kind: 'item', appRule: '$normKey(sku' }, 'appRule'],
      ['POST', '/qbsync/console/api/connections/bt-qbo/resync', [1, 2], 'body'],
    ];
    for (const [method, url, body, field] of cases) {
      const res = await admin(method, url, 'admin', body);
      assert.equal(res.status, 400, `${method} ${url.slice(0, 90)}: ${JSON.stringify(res.body).slice(0, 200)}`);
      assert.ok(res.body.problems.some((p: { field: string }) => p.field === field), `${url.slice(0, 90)} names ${field}: ${JSON.stringify(res.body)}`);
      assert.doesNotMatch(JSON.stringify(res.body), /\/work\/|node_modules|at \w+ \(/, 'no path or stack trace');
    }
    assert.equal((await admin('GET', '/qbsync/console/api/connections/nope', 'admin')).status, 404);
    assert.equal((await admin('POST', '/qbsync/console/api/connections/bt-qbo/general', 'admin', '{not json')).status, 400);
    assert.equal((await admin('GET', '/qbsync/console/api/connections', 'admin')).status, 200, 'still running');
  });

});
