/**
 * The flows' perimeter without Node-RED: bounded JSON bodies, no CORS allowance, cross-site writes
 * refused, JSON only, authentication; and which HTTP In endpoints it guards.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { jsonNestingExceeds, parseJsonBody, valueNestingExceeds, BodyError } from '../../../nodes/lib/http/body';
import { Perimeter, guardedRoutes, type PerimeterOptions } from '../../../nodes/lib/http/perimeter';

function deep(n: number): string {
  return '['.repeat(n) + ']'.repeat(n);
}

describe('JSON bodies', () => {
  it('finds nesting deeper than the limit by scanning the text, strings skipped', () => {
    assert.equal(jsonNestingExceeds(deep(64), 64), false);
    assert.equal(jsonNestingExceeds(deep(65), 64), true);
    assert.equal(jsonNestingExceeds(JSON.stringify({ a: '[[[[[[[[[[' }), 3), false);
    assert.equal(jsonNestingExceeds(JSON.stringify({ a: '\\"[[[[' }), 2), false);
  });

  it('refuses deep, broken and __proto__ bodies with a 400 that quotes nothing of the body', () => {
    assert.throws(() => parseJsonBody(Buffer.from(deep(2000))), (e: BodyError) => e.status === 400 && /deeper than 64/.test(e.message));
    assert.throws(() => parseJsonBody(Buffer.from('{"secret-value": ')), (e: BodyError) => e.status === 400 && !e.message.includes('secret-value'));
    assert.throws(() => parseJsonBody(Buffer.from('{"a":{"__proto__":{"admin":true}}}')), (e: BodyError) => e.status === 400 && /__proto__/.test(e.message));
    assert.deepEqual(parseJsonBody(Buffer.from('{"a":[1,{"b":2}]}')), { a: [1, { b: 2 }] });
    assert.equal(parseJsonBody(Buffer.from('  ')), undefined);
  });

  it('walks parsed values without recursion, cycles and huge graphs included', () => {
    let v: unknown = 1;
    for (let i = 0; i < 100_000; i++) v = [v];
    assert.equal(valueNestingExceeds(v, 64), true);
    assert.equal(valueNestingExceeds({ a: [{ b: 1 }] }, 64), false);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.equal(valueNestingExceeds(cyclic, 64), true);
  });
});

describe('guardedRoutes', () => {
  it('guards the HTTP In endpoints whose messages reach a QuickBooks node, through other nodes', () => {
    const nodes = [
      { id: 'in1', type: 'http in', url: '/a', method: 'post', wires: [['ch']] },
      { id: 'ch', type: 'change', wires: [['sw']] },
      { id: 'sw', type: 'switch', wires: [[], ['qb']] },
      { id: 'qb', type: 'qb-item-matcher', wires: [] },
      { id: 'in2', type: 'http in', url: '/other', method: 'get', wires: [['fn']] },
      { id: 'fn', type: 'function', wires: [['fn']] },
      { id: 'in3', type: 'http in', url: '/off', method: 'post', d: true, wires: [['qb']] },
    ];
    assert.deepEqual(guardedRoutes(nodes, new Set(['qb-item-matcher'])), [{ method: 'post', url: '/a' }]);
  });
});

describe('Perimeter', () => {
  let server: http.Server;
  let base = '';
  let options: PerimeterOptions = {};
  let reached: Array<{ path: string; body: unknown }> = [];
  let perimeter: Perimeter;

  before(async () => {
    server = http.createServer((req, res) => {
      // What an earlier app (Node-RED's editor) does to every response under its root.
      res.setHeader('Access-Control-Allow-Origin', '*');
      perimeter.middleware(req as never, res, () => {
        reached.push({ path: req.url ?? '', body: (req as { body?: unknown }).body });
        res.setHeader('Content-Type', 'application/json');
        res.end('{"ok":true}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => new Promise((r) => server.close(r)));

  function use(o: PerimeterOptions): void {
    options = o;
    perimeter = new Perimeter(options);
    perimeter.setRoutes([{ method: 'post', url: '/blubilling/queue/approve' }, { method: 'get', url: '/blubilling/history' }, { method: 'post', url: '/items/:id' }]);
    reached = [];
  }

  async function send(path: string, init: RequestInit = {}): Promise<{ status: number; body: any; headers: Headers }> {
    const res = await fetch(base + path, init);
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, body, headers: res.headers };
  }
  const json = (body: string, headers: Record<string, string> = {}): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  it('passes a good JSON request with its parsed body, and paths it does not guard untouched', async () => {
    use({});
    const ok = await send('/blubilling/queue/approve', json('{"keys":["a"]}'));
    assert.equal(ok.status, 200);
    assert.deepEqual(reached[0]?.body, { keys: ['a'] });
    assert.equal(ok.headers.get('access-control-allow-origin'), null, 'no CORS allowance');
    const param = await send('/items/42', json('{}'));
    assert.equal(param.status, 200);
    const other = await send('/somewhere/else', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    assert.equal(other.status, 200);
    assert.equal(other.headers.get('access-control-allow-origin'), '*', 'not ours: left alone');
  });

  it('refuses bodies that are deep (400), too large (413), broken (400) or not JSON (415), in JSON, before the handler', async () => {
    use({ maxBodyBytes: 1000 });
    const cases: Array<[RequestInit, number, RegExp]> = [
      [json(deep(2000).slice(0, 999)), 400, /deeper than 64/],
      [json(`[${'1,'.repeat(600)}1]`), 413, /larger than 1000 bytes/],
      [json('{"a":'), 400, /not valid JSON/],
      [{ method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' }, 415, /must be JSON/],
      [{ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' }, 415, /must be JSON/],
    ];
    for (const [init, status, message] of cases) {
      const res = await send('/blubilling/queue/approve', init);
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.match(res.body.error, message);
      assert.deepEqual(Object.keys(res.body), ['error']);
    }
    assert.equal(reached.length, 0);
  });

  it('gives no CORS allowance and refuses cross-site writes; a configured origin is allowed', async () => {
    use({ corsOrigins: ['https://app.example'] });
    const preflight = await send('/blubilling/queue/approve', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(preflight.status, 403);
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    const form = await send('/blubilling/queue/approve', { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'text/plain' }, body: '{}' });
    assert.equal(form.status, 403);
    const fetchSite = await send('/blubilling/queue/approve', json('{}', { 'sec-fetch-site': 'cross-site' }));
    assert.equal(fetchSite.status, 403);
    const sameHost = await send('/blubilling/queue/approve', json('{}', { origin: base }));
    assert.equal(sameHost.status, 200);
    const allowedPre = await send('/blubilling/queue/approve', { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } });
    assert.equal(allowedPre.status, 204);
    assert.equal(allowedPre.headers.get('access-control-allow-origin'), 'https://app.example');
    const allowed = await send('/blubilling/queue/approve', json('{}', { origin: 'https://app.example' }));
    assert.equal(allowed.status, 200);
    assert.equal(reached.length, 2);
  });

  it('asks for the token or the user and password when configured (401), comparing in constant time', async () => {
    use({ token: 'a-long-enough-token-1234', user: 'blu', password: 'billing-pass' });
    assert.equal((await send('/blubilling/history')).status, 401);
    assert.equal((await send('/blubilling/history', { headers: { authorization: 'Bearer wrong' } })).status, 401);
    assert.equal((await send('/blubilling/history', { headers: { authorization: 'Bearer a-long-enough-token-1234' } })).status, 200);
    const basic = (u: string, p: string) => ({ headers: { authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` } });
    assert.equal((await send('/blubilling/history', basic('blu', 'billing-pass'))).status, 200);
    assert.equal((await send('/blubilling/history', basic('blu', 'wrong'))).status, 401);
    const refused = await send('/blubilling/queue/approve', json('{}'));
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate') ?? '', /Basic/);
    assert.equal(reached.length, 2);
  });
});
