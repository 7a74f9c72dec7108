/** The Web Connector service at the HTTP level: GET, WSDL, limits, hostile and malformed bodies, unknown tickets. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync, deflateSync } from 'node:zlib';
import * as soap from 'soap';
import { parseAnswer, requestEnvelope } from '../../sim/qbwc';
import { FakeWorkSource, SOAP_HEADERS, rawRequest, startService, type Running } from './service-helpers';

let running: Running;
let work: FakeWorkSource;

function post(op: string, params: ReadonlyArray<readonly [string, string | number]>) {
  return rawRequest(running.url, { headers: SOAP_HEADERS(op), body: requestEnvelope(op, params) });
}

async function result(op: string, params: ReadonlyArray<readonly [string, string | number]>): Promise<string | null> {
  const answer = await post(op, params);
  assert.equal(answer.status, 200);
  const parsed = parseAnswer(answer.body, op);
  assert.equal(parsed.kind, 'result');
  return parsed.kind === 'result' ? parsed.value : null;
}

function assertFault(answer: { status: number; body: string }, pattern: RegExp): void {
  assert.equal(answer.status, 500);
  const parsed = parseAnswer(answer.body, 'any');
  assert.equal(parsed.kind, 'fault');
  if (parsed.kind === 'fault') {
    assert.equal(parsed.faultcode, 'soap:Client');
    assert.match(parsed.faultstring, pattern);
  }
}

describe('qbwc service over raw HTTP', () => {
  before(async () => {
    work = new FakeWorkSource(1);
    running = await startService(work, { maxBodyBytes: 4096 });
  });
  after(() => running.close());

  it('answers a plain GET with 200 (the Web Connector checks the AppURL this way)', async () => {
    const r = await rawRequest(running.url, { method: 'GET' });
    assert.equal(r.status, 200);
    assert.match(r.body, /Web Connector/);
  });

  it('answers HEAD with 200', async () => {
    const r = await rawRequest(running.url, { method: 'HEAD' });
    assert.equal(r.status, 200);
  });

  it('serves the WSDL on ?wsdl with the developer.intuit.com namespace and this endpoint as location', async () => {
    const r = await rawRequest(`${running.url}?wsdl`, { method: 'GET' });
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'] ?? '', /text\/xml/);
    assert.match(r.body, /targetNamespace="http:\/\/developer.intuit.com\/"/);
    assert.ok(r.body.includes(`<soap:address location="${running.url}"`));
  });

  it('serves a WSDL that a generic SOAP client can use', async () => {
    const client = await soap.createClientAsync(`${running.url}?wsdl`);
    const [answer] = (await client.serverVersionAsync({})) as [{ serverVersionResult: string }];
    assert.match(answer.serverVersionResult, /node-red-quickbooks/);
  });

  it('refuses other methods with 405', async () => {
    const r = await rawRequest(running.url, { method: 'PUT', body: 'x' });
    assert.equal(r.status, 405);
  });

  it('answers 413 when Content-Length is over the limit, before reading the body', async () => {
    const big = requestEnvelope('clientVersion', [['strVersion', 'x'.repeat(5000)]]);
    const r = await rawRequest(running.url, { headers: SOAP_HEADERS('clientVersion'), body: big });
    assert.equal(r.status, 413);
  });

  it('answers 413 when a chunked body grows over the limit', async () => {
    const chunk = Buffer.alloc(1024, 'x');
    const r = await rawRequest(running.url, {
      headers: { ...SOAP_HEADERS('clientVersion'), 'Transfer-Encoding': 'chunked' },
      chunks: [chunk, chunk, chunk, chunk, chunk, chunk],
    });
    assert.equal(r.status, 413);
  });

  it('refuses a gzip body with 415 (the soap package would gunzip without a limit)', async () => {
    const body = gzipSync(requestEnvelope('serverVersion', []));
    const r = await rawRequest(running.url, { headers: { ...SOAP_HEADERS('serverVersion'), 'Content-Encoding': 'gzip' }, body });
    assert.equal(r.status, 415);
  });

  it('refuses a deflate body with 415', async () => {
    const body = deflateSync(requestEnvelope('serverVersion', []));
    const r = await rawRequest(running.url, { headers: { ...SOAP_HEADERS('serverVersion'), 'Content-Encoding': 'deflate' }, body });
    assert.equal(r.status, 415);
  });

  it('answers a DOCTYPE in the envelope with a SOAP Fault and never authenticates', async () => {
    const calls = work.calls.length;
    const body =
      '<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>' +
      requestEnvelope('authenticate', [['strUserName', '&lol2;'], ['strPassword', 'x']]).replace('<?xml version="1.0" encoding="utf-8"?>', '');
    const r = await rawRequest(running.url, { headers: SOAP_HEADERS('authenticate'), body });
    assertFault(r, /DOCTYPE/);
    assert.equal(work.calls.length, calls);
  });

  it('answers a malformed envelope with a SOAP Fault', async () => {
    const r = await rawRequest(running.url, { headers: SOAP_HEADERS('authenticate'), body: '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><authenticate' });
    assertFault(r, /Malformed/);
  });

  it('answers a body that is not XML with a SOAP Fault', async () => {
    const r = await rawRequest(running.url, { headers: SOAP_HEADERS('serverVersion'), body: 'hello' });
    assertFault(r, /Malformed/);
  });

  it('answers an empty body with a SOAP Fault', async () => {
    const r = await rawRequest(running.url, { headers: SOAP_HEADERS('serverVersion'), body: '' });
    assertFault(r, /Malformed/);
  });

  it('answers an unknown SOAPAction with a SOAP Fault', async () => {
    const r = await rawRequest(running.url, { headers: SOAP_HEADERS('dropTables'), body: requestEnvelope('dropTables', []) });
    assertFault(r, /Unknown SOAPAction/);
  });

  it('still serves requests after hostile ones', async () => {
    assert.match((await result('serverVersion', [])) ?? '', /node-red-quickbooks/);
  });

  it('decodes an XML-escaped password (S3cret&amp;Pass)', async () => {
    const answer = await post('authenticate', [['strUserName', 'nodered-qb'], ['strPassword', 'S3cret&Pass']]);
    const parsed = parseAnswer(answer.body, 'authenticate', true);
    assert.equal(parsed.kind, 'array');
    if (parsed.kind === 'array') {
      assert.equal(parsed.values[1], '');
      await result('closeConnection', [['ticket', parsed.values[0] ?? '']]);
    }
  });

  it('answers an empty sendRequestXML for an unknown ticket', async () => {
    const params = [['ticket', 'no-such-ticket'], ['strHCPResponse', ''], ['strCompanyFileName', ''], ['qbXMLCountry', 'US'], ['qbXMLMajorVers', 13], ['qbXMLMinorVers', 0]] as const;
    assert.equal(await result('sendRequestXML', params), '');
  });

  it('answers -1 to receiveResponseXML for an unknown ticket', async () => {
    const r = await result('receiveResponseXML', [['ticket', 'no-such-ticket'], ['response', '<QBXML/>'], ['hresult', ''], ['message', '']]);
    assert.equal(r, '-1');
  });

  it('answers getLastError for an unknown ticket with a message, never null', async () => {
    assert.equal(await result('getLastError', [['ticket', 'no-such-ticket']]), 'Unknown or expired ticket; run the update again.');
  });

  it('answers closeConnection for an unknown ticket with a message, never null', async () => {
    assert.equal(await result('closeConnection', [['ticket', 'no-such-ticket']]), 'Unknown or expired ticket; run the update again.');
  });

  it('answers done to connectionError for an unknown ticket', async () => {
    assert.equal(await result('connectionError', [['ticket', 'no-such-ticket'], ['hresult', '0x80040408'], ['message', 'x']]), 'done');
  });

  it('answers getLastError with a non-empty message when no error happened', async () => {
    work.jobs[0].state = 'done';
    const answer = await post('authenticate', [['strUserName', 'nodered-qb'], ['strPassword', 'S3cret&Pass']]);
    const parsed = parseAnswer(answer.body, 'authenticate', true);
    const ticket = parsed.kind === 'array' ? (parsed.values[0] ?? '') : '';
    assert.equal(await result('getLastError', [['ticket', ticket]]), 'No error recorded for this session.');
  });

  it('accepts a request without the optional elements (missing ticket is an unknown ticket)', async () => {
    const r = await rawRequest(running.url, {
      headers: SOAP_HEADERS('getLastError'),
      body: requestEnvelope('getLastError', []),
    });
    assert.equal(r.status, 200);
    assert.match(r.body, /Unknown or expired ticket/);
  });

  it('answers the interactive callbacks with strings', async () => {
    assert.equal(await result('getInteractiveURL', [['wcTicket', 't'], ['sessionID', 's']]), '');
    assert.equal(await result('interactiveDone', [['wcTicket', 't']]), 'Done');
    assert.equal(await result('interactiveRejected', [['wcTicket', 't'], ['reason', 'no']]), 'OK');
  });
});

describe('qbwc service: close()', () => {
  it('ends running sessions as expired and stops answering', async () => {
    work = new FakeWorkSource(1);
    running = await startService(work);
    const answer = await post('authenticate', [['strUserName', 'nodered-qb'], ['strPassword', 'S3cret&Pass']]);
    assert.equal(answer.status, 200);
    await running.service.close();
    assert.deepEqual(work.ended.map((e) => e.reason), ['expired']);
    const r = await rawRequest(running.url, { method: 'GET' });
    assert.equal(r.status, 503);
    await running.close();
  });
});
