/**
 * A bounded fuzz run against `npm start` with the four shipped flows: generated hostile bodies (deep,
 * huge, wrong types, prototype keys, `$`-keys, broken JSON) to every REST endpoint, hostile query
 * strings to every GET endpoint, and broken XML and SOAP to both Web Connector paths. Node-RED must stay
 * up, answer every REST request with a JSON 4xx (no stack, no path), answer SOAP with a 4xx or a SOAP
 * Fault, and QuickBooks must receive no write. The seed is printed, so a failure can be replayed with
 * QB_FUZZ_SEED.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rng } from '../sim/qbo/faults';
import { POST_ENDPOINTS, startShippedRed, type ShippedRed } from '../support/shipped-red';
import { tempDir } from '../support/tmp';

const GET_ENDPOINTS = [
  '/bluetrace/issues/items', '/bluetrace/issues/customers', '/bluetrace/invoices',
  '/bluetrace-desktop/issues/items', '/bluetrace-desktop/issues/customers', '/bluetrace-desktop/invoices',
  '/blubilling/charges/issues', '/blubilling/imports', '/blubilling/queue', '/blubilling/history',
  '/blubilling-online/charges/issues', '/blubilling-online/imports', '/blubilling-online/queue', '/blubilling-online/history',
];
const SOAP_PATHS = ['/blubilling/qbwc', '/bluetrace/qbwc'];
const CASES_PER_ENDPOINT = 14;

type Body = { text: string; type: string; note: string };

function hostileBodies(rand: () => number): Body[] {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const json = (v: unknown, note: string): Body => ({ text: typeof v === 'string' ? v : JSON.stringify(v), type: 'application/json', note });
  // Never an empty list or object: for some endpoints those mean "nothing" or "all queued jobs".
  const wrongValue = () => pick<unknown>([5, -1e308, true, false, [[[]]], [7, [8]], { $gt: '' }, 1.5e-300]);
  const deep = (n: number, open: string, close: string) => open.repeat(n) + close.repeat(n);
  const generators: Array<() => Body> = [
    () => json(deep(int(65, 3000), '[', ']'), 'deep arrays'),
    () => json(deep(int(65, 3000), '{"a":', '}').replace(/}+$/, (m) => `1${m}`), 'deep objects'),
    () => json(wrongValue(), 'wrong type at the top'),
    () => json([wrongValue(), wrongValue()], 'array of wrong types'),
    () => json({ id: wrongValue(), sku: wrongValue(), email: wrongValue(), orderId: wrongValue(), from: wrongValue(), to: wrongValue(), keys: wrongValue() }, 'wrong field types'),
    () => json('{"__proto__":{"polluted":true},"id":"P-1"}', '__proto__ key'),
    () => json({ constructor: { prototype: { polluted: true } }, id: 'P-2' }, 'constructor.prototype keys'),
    () => json({ $where: 'return true', $set: { x: 1 }, 'a.b': 1, id: '$-1' }, '$ and dotted keys'),
    () => json([{ id: 'A', $inc: { n: 1 } }, { sku: { $ne: null } }], '$-keys in records'),
    () => json(pick(['{"a":', '[1,2', '{"a" 1}', 'nul', '"\\u12"', '{\'a\':1}', '\u0000']), 'broken JSON'),
    () => ({ text: '{"id":"X"}', type: pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']), note: 'not JSON' }),
    () => json({ from: '2026-02-30', to: '0000-00-00', entities: ['__proto__', 'constructor'], orderNumber: '\u202e'.repeat(100) }, 'impossible values'),
  ];
  return Array.from({ length: CASES_PER_ENDPOINT }, (_, i) => (i < generators.length ? generators[i]!() : pick(generators)()));
}

function hostileQueries(rand: () => number): string[] {
  const qs = [
    'limit=abc', 'limit=-1', 'limit=1e309', 'limit[]=1&limit[]=2', 'limit[$gt]=0', 'status[$ne]=x', 'status=__proto__',
    '__proto__[polluted]=1', 'constructor[prototype][x]=1', `status=${'x'.repeat(4000)}`, 'a[b][c][d][e][f][g][h][i][j][k]=1',
    'limit=%00', 'status=%E0%A4%A', `${'a'.repeat(100)}=${'b'.repeat(100)}&`.repeat(40),
  ];
  return qs.sort(() => rand() - 0.5);
}

function hostileSoap(rand: () => number): Array<{ body: string; action?: string }> {
  const env = (inner: string) => `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>${inner}</soap:Body></soap:Envelope>`;
  const cases = [
    { body: '<not-xml', action: 'authenticate' },
    { body: '', action: 'authenticate' },
    { body: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><x>&b;</x>', action: 'authenticate' },
    { body: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', action: 'authenticate' },
    { body: env('<a>'.repeat(5000) + '</a>'.repeat(5000)), action: 'authenticate' },
    { body: env(`<authenticate xmlns="http://developer.intuit.com/"><strUserName>${'u'.repeat(100_000)}</strUserName><strPassword>p</strPassword></authenticate>`), action: 'http://developer.intuit.com/authenticate' },
    { body: env('<sendRequestXML xmlns="http://developer.intuit.com/"><ticket>nope</ticket></sendRequestXML>'), action: 'http://developer.intuit.com/sendRequestXML' },
    { body: env('<receiveResponseXML xmlns="http://developer.intuit.com/"><ticket>nope</ticket><response>&lt;QBXML&gt;</response><hresult/><message/></receiveResponseXML>'), action: 'http://developer.intuit.com/receiveResponseXML' },
    { body: env('<closeConnection xmlns="http://developer.intuit.com/"><ticket><x/></ticket></closeConnection>'), action: 'http://developer.intuit.com/closeConnection' },
    { body: env('<authenticate/>'), action: 'http://developer.intuit.com/doesNotExist' },
    { body: env('<authenticate xmlns="http://developer.intuit.com/"/>') },
    { body: 'A'.repeat(1024) + '\u0000'.repeat(64), action: 'authenticate' },
  ];
  return cases.sort(() => rand() - 0.5);
}

const tmp = tempDir();
after(() => tmp.cleanup());

describe('fuzz: hostile requests to every endpoint of the shipped flows', () => {
  const seed = Number(process.env.QB_FUZZ_SEED) || Date.now() % 1_000_000;
  const rand = rng(seed);
  let app: ShippedRed;

  before(async () => {
    app = await startShippedRed(tmp.dir);
  });
  after(() => app?.stop());

  async function call(path: string, init: RequestInit): Promise<{ status: number; text: string }> {
    const res = await fetch(app.red.base + path, { ...init, signal: AbortSignal.timeout(20_000) });
    return { status: res.status, text: await res.text() };
  }

  function assertJson4xx(r: { status: number; text: string }, what: string): void {
    assert.ok(r.status >= 400 && r.status < 500, `${what}: ${r.status} ${r.text.slice(0, 300)} (seed ${seed})`);
    let body: { error?: unknown };
    try {
      body = JSON.parse(r.text);
    } catch {
      assert.fail(`${what}: not JSON: ${r.text.slice(0, 300)} (seed ${seed})`);
    }
    assert.equal(typeof body.error, 'string', `${what}: ${r.text.slice(0, 300)}`);
    assert.doesNotMatch(r.text, /\bat .+:\d+:\d+|node_modules|\/tmp\/|\/work\//, what);
  }

  it(`POST endpoints answer hostile bodies with a JSON 4xx (${POST_ENDPOINTS.length} endpoints × ${CASES_PER_ENDPOINT})`, async () => {
    console.log(`fuzz seed ${seed} (replay: QB_FUZZ_SEED=${seed})`);
    for (const path of POST_ENDPOINTS) {
      for (const b of hostileBodies(rand)) {
        const r = await call(path, { method: 'POST', headers: { 'content-type': b.type }, body: b.text });
        assertJson4xx(r, `POST ${path} with ${b.note}`);
      }
    }
    // Over-large bodies, streamed without a declared length, on a few endpoints.
    for (const path of ['/bluetrace/items', '/blubilling/charges', '/blubilling-online/queue/approve']) {
      const chunk = new TextEncoder().encode(`[${'"xxxxxxxxxxxxxxxx",'.repeat(50_000)}`);
      let sent = 0;
      const stream = new ReadableStream({
        pull(controller) {
          if (sent++ < 8) controller.enqueue(chunk);
          else controller.close();
        },
      });
      const r = await call(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
      assert.equal(r.status, 413, r.text);
    }
    assert.ok(app.red.alive(), app.red.output().slice(-3000));
  });

  it('GET endpoints answer hostile query strings with 200 or a JSON 4xx, never a hang or a 5xx', async () => {
    for (const path of GET_ENDPOINTS) {
      for (const q of hostileQueries(rand)) {
        const r = await call(`${path}?${q}`, { method: 'GET' });
        if (r.status === 200) assert.doesNotThrow(() => JSON.parse(r.text), `${path}?${q}`);
        else assertJson4xx(r, `GET ${path}?${q.slice(0, 60)}`);
      }
    }
    assert.ok(app.red.alive());
  });

  it('the Web Connector paths answer broken XML and SOAP with a 4xx or a SOAP Fault, no stack', async () => {
    for (const path of SOAP_PATHS) {
      for (const c of hostileSoap(rand)) {
        const r = await call(path, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', ...(c.action ? { soapaction: c.action } : {}) }, body: c.body });
        const fault = r.status === 500 && /<(soap:)?Fault>/.test(r.text);
        const answered = r.status === 200 && /Result>/.test(r.text); // e.g. authenticate answered "nvu"
        assert.ok((r.status >= 400 && r.status < 500) || fault || answered, `${path} ${c.action}: ${r.status} ${r.text.slice(0, 300)}`);
        assert.doesNotMatch(r.text, /\bat .+:\d+:\d+|node_modules|root:x:0/, path);
      }
    }
    assert.ok(app.red.alive());
  });

  it('nothing reached QuickBooks and nothing was queued', async () => {
    assert.equal(app.writes(), 0);
    for (const path of ['/blubilling/queue', '/blubilling-online/queue', '/bluetrace/invoices', '/bluetrace-desktop/invoices']) {
      const r = await call(path, { method: 'GET' });
      assert.equal(r.status, 200, r.text);
      const rows = JSON.parse(r.text);
      assert.deepEqual(Array.isArray(rows) ? rows : rows.queue ?? rows, [], `${path}: ${r.text.slice(0, 300)}`);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});
