/** The Web Connector simulator fails where the real client fails: checked against a deliberately wrong server. */
import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebConnectorSimulator, DOTNET_USER_AGENT, INTUIT_NS } from '../../sim/qbwc';
import { FakeProcessor } from './service-helpers';

type Answers = Record<string, { status?: number; body: string }>;

const ENV = (inner: string): string =>
  `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>${inner}</soap:Body></soap:Envelope>`;
const RESULT = (op: string, value: string | null): string =>
  ENV(`<${op}Response xmlns="${INTUIT_NS}">${value === null ? '' : `<${op}Result>${value}</${op}Result>`}</${op}Response>`);
const AUTH = (...strings: string[]): string =>
  ENV(`<authenticateResponse xmlns="${INTUIT_NS}"><authenticateResult>${strings.map((s) => `<string>${s}</string>`).join('')}</authenticateResult></authenticateResponse>`);

function goodAnswers(): Answers {
  return {
    serverVersion: { body: RESULT('serverVersion', 'test 1') },
    clientVersion: { body: RESULT('clientVersion', '') },
    authenticate: { body: AUTH('T1', '') },
    sendRequestXML: { body: RESULT('sendRequestXML', '&lt;QBXML/&gt;') },
    receiveResponseXML: { body: RESULT('receiveResponseXML', '100') },
    getLastError: { body: RESULT('getLastError', 'something failed') },
    closeConnection: { body: RESULT('closeConnection', 'OK') },
    connectionError: { body: RESULT('connectionError', 'done') },
  };
}

let answers: Answers;
const seen: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
let server: http.Server;
let url: string;

function sim(): WebConnectorSimulator {
  return new WebConnectorSimulator({ url, username: 'u', password: 'p', processor: new FakeProcessor() });
}

describe('qbwc simulator strictness', () => {
  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        const op = String(req.headers.soapaction ?? '').replace(/"/g, '').split('/').pop() ?? '';
        const a = answers[op] ?? { status: 500, body: 'no such op' };
        res.writeHead(a.status ?? 200, { 'Content-Type': 'text/xml; charset=utf-8' });
        res.end(a.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/qbwc`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    answers = goodAnswers();
    seen.length = 0;
  });

  it('runs cleanly against correct answers', async () => {
    const r = await sim().runSession();
    assert.deepEqual(r.errors, []);
    assert.equal(r.closeMessage, 'OK');
  });

  it('sends the .NET client headers: quoted SOAPAction, text/xml utf-8, .NET user agent, Expect 100-continue', async () => {
    await sim().runSession();
    const h = seen[0].headers;
    assert.equal(h.soapaction, '"http://developer.intuit.com/serverVersion"');
    assert.equal(h['content-type'], 'text/xml; charset=utf-8');
    assert.equal(h['user-agent'], DOTNET_USER_AGENT);
    assert.equal(h.expect, '100-continue');
  });

  it('sends envelopes with the operation unprefixed in the developer.intuit.com default namespace', async () => {
    await sim().runSession();
    assert.match(seen[0].body, /<soap:Body><serverVersion xmlns="http:\/\/developer.intuit.com\/" \/><\/soap:Body>/);
    assert.match(seen[2].body, /<authenticate xmlns="http:\/\/developer.intuit.com\/"><strUserName>u<\/strUserName><strPassword>p<\/strPassword><\/authenticate>/);
  });

  it('sends empty parameters as empty elements', async () => {
    await sim().runSession();
    const receive = seen.find((s) => s.headers.soapaction?.includes('receiveResponseXML'));
    assert.match(receive?.body ?? '', /<hresult \/><message \/>/);
  });

  it('fails on a non-200 HTTP answer', async () => {
    answers.serverVersion = { status: 404, body: 'not found' };
    const r = await sim().runSession();
    assert.match(r.errors.join(), /HTTP 404/);
  });

  it('fails on a SOAP Fault', async () => {
    answers.authenticate = { status: 500, body: ENV('<soap:Fault><faultcode>soap:Server</faultcode><faultstring>boom</faultstring></soap:Fault>') };
    const r = await sim().runSession();
    assert.match(r.errors.join(), /QBWC1012 authenticate: SOAP Fault soap:Server: boom/);
  });

  it('fails when authenticate returns fewer than 2 strings (the dropped empty string)', async () => {
    answers.authenticate = { body: AUTH('T1') };
    const r = await sim().runSession();
    assert.match(r.errors.join(), /QBWC1012 .*1 string/);
  });

  it('fails when authenticate returns more than 4 strings', async () => {
    answers.authenticate = { body: AUTH('T1', '', '', '', '') };
    const r = await sim().runSession();
    assert.match(r.errors.join(), /QBWC1012 .*5 strings/);
  });

  it('fails on an answer in the wrong namespace (.NET would read null)', async () => {
    answers.serverVersion = { body: ENV('<serverVersionResponse xmlns="http://localhost:8000//"><serverVersionResult>x</serverVersionResult></serverVersionResponse>') };
    const r = await sim().runSession();
    assert.match(r.errors.join(), /no serverVersionResponse element/);
  });

  it('fails on a missing result element', async () => {
    answers.sendRequestXML = { body: RESULT('sendRequestXML', null) };
    const r = await sim().runSession();
    assert.match(r.errors.join(), /QBWC1041 sendRequestXML: sendRequestXMLResult is missing/);
  });

  it('fails on a result that holds elements (the nested <string> style)', async () => {
    answers.serverVersion = { body: RESULT('serverVersion', '<string>1.0</string>') };
    const r = await sim().runSession();
    assert.match(r.errors.join(), /holds elements/);
  });

  it('fails on a percent with a decimal', async () => {
    answers.receiveResponseXML = { body: RESULT('receiveResponseXML', '50.5') };
    const r = await sim().runSession();
    assert.match(r.errors.join(), /QBWC1042 .*not an integer/);
  });

  it('fails on an ill-formed answer', async () => {
    answers.closeConnection = { body: '<soap:Envelope><oops>' };
    const r = await sim().runSession();
    assert.match(r.errors.join(), /QBWC1044 closeConnection: .*not well-formed/);
  });

  it('fails when getLastError is empty or null after an empty request', async () => {
    answers.sendRequestXML = { body: RESULT('sendRequestXML', '') };
    answers.getLastError = { body: RESULT('getLastError', '') };
    const r = await sim().runSession();
    assert.match(r.errors.join(), /QBWC1043/);
  });

  it('calls getLastError after a negative percent and reports it', async () => {
    answers.receiveResponseXML = { body: RESULT('receiveResponseXML', '-101') };
    const r = await sim().runSession();
    assert.deepEqual(r.calls.slice(-3), ['receiveResponseXML', 'getLastError', 'closeConnection']);
    assert.match(r.errors.join(), /-101: something failed/);
  });

  it('warns (does not fail) when the percent goes backwards', async () => {
    let n = 0;
    const values = ['50', '40', '100'];
    Object.defineProperty(answers, 'receiveResponseXML', { get: () => ({ body: RESULT('receiveResponseXML', values[n++]) }) });
    const r = await sim().runSession();
    assert.deepEqual(r.percents, [50, 40, 100]);
    assert.deepEqual(r.errors, []);
    assert.match(r.warnings.join(), /backwards/);
  });

  it('stops before authenticate when clientVersion answers E:', async () => {
    answers.clientVersion = { body: RESULT('clientVersion', 'E:too old') };
    const r = await sim().runSession();
    assert.deepEqual(r.calls, ['serverVersion', 'clientVersion']);
    assert.match(r.errors.join(), /QBWC1037/);
  });

  it('fails on a clientVersion answer of unknown syntax (QBWC1046)', async () => {
    answers.clientVersion = { body: RESULT('clientVersion', 'whatever') };
    const r = await sim().runSession();
    assert.match(r.errors.join(), /QBWC1046/);
  });

  it('retries opening the company with a path from connectionError, at most twice', async () => {
    answers.connectionError = { body: RESULT('connectionError', 'C:\\other.QBW') };
    const r = await new WebConnectorSimulator({ url, username: 'u', password: 'p', processor: new FakeProcessor(), openFails: true }).runSession();
    assert.equal(r.calls.filter((c) => c === 'connectionError').length, 3);
    assert.match(r.errors.join(), /gave up opening QuickBooks/);
  });

  it('records the password as *** in the transcript', async () => {
    const s = sim();
    await s.runSession();
    const auth = s.transcript.find((t) => t.op === 'authenticate');
    assert.equal(auth?.params.strPassword, '***');
  });
});
