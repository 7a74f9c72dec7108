import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeError, QboError, scrub } from '../../../nodes/lib/company/qbo/errors';

const axiosLike = (status: number, data: unknown, headers: Record<string, string> = {}) => ({
  message: `Request failed with status code ${status}`,
  config: { headers: { Authorization: 'Bearer SECRET-ACCESS-TOKEN' } },
  request: { _header: 'Authorization: Bearer SECRET-ACCESS-TOKEN' },
  response: { status, headers, data, config: { headers: { Authorization: 'Bearer SECRET-ACCESS-TOKEN' } } },
});

describe('QboError normalisation', () => {
  it('reads Fault.Error from an AxiosError response', () => {
    const e = normalizeError(axiosLike(400, { Fault: { Error: [{ Message: 'Stale Object Error', Detail: 'Stale', code: '5010', element: '' }], type: 'ValidationFault' } }, { intuit_tid: '1-abc' }));
    assert.deepEqual([e.code, e.message.includes('Stale Object Error'), e.status, e.intuitTid, e.type], ['5010', true, 400, '1-abc', 'ValidationFault']);
  });

  it('reads the gateway\'s lower-case fault.error', () => {
    const e = normalizeError(axiosLike(401, { fault: { error: [{ message: 'message=AuthenticationFailed', detail: 'Token expired', code: '3200', element: null }], type: 'AUTHENTICATION' } }));
    assert.deepEqual([e.code, e.detail, e.status], ['3200', 'Token expired', 401]);
  });

  it('reads a raw Fault body passed as the error (HTTP 200 with a Fault)', () => {
    const body = { Fault: { Error: [{ Message: 'Duplicate Name Exists Error', Detail: 'The name supplied already exists. : Id=42', code: '6240' }] } };
    const e = normalizeError(body, body);
    assert.equal(e.code, '6240');
    assert.equal(e.existingId, '42');
  });

  it('reads an XML fault body', () => {
    const xml = '<IntuitResponse><Fault type="ThrottleExceeded"><Error code="3001"><Message>ThrottleExceeded</Message><Detail>The request limit was reached.</Detail></Error></Fault></IntuitResponse>';
    const e = normalizeError(axiosLike(429, xml, { 'retry-after': '12' }));
    assert.deepEqual([e.code, e.status, e.retryAfterMs, e.transient], ['3001', 429, 12_000, true]);
  });

  it('reads an OAuth error body', () => {
    assert.equal(normalizeError(axiosLike(400, { error: 'invalid_grant' })).code, 'invalid_grant');
  });

  it('marks a dropped connection as a network failure with an unknown outcome', () => {
    const e = normalizeError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    assert.deepEqual([e.code, e.unknownOutcome, e.transient], ['NETWORK', true, true]);
  });

  it('marks 5xx as transient with an unknown outcome, and 4xx as neither', () => {
    assert.equal(normalizeError(axiosLike(503, '')).unknownOutcome, true);
    assert.equal(normalizeError(axiosLike(400, { Fault: { Error: [{ code: '6000' }] } })).transient, false);
  });

  it('keeps the Authorization header out of the error', () => {
    const e = normalizeError(axiosLike(500, { Fault: { Error: [{ Message: 'boom', code: '10000' }] } }));
    const text = `${e.message} ${JSON.stringify(e)} ${Object.values(e).join(' ')}`;
    assert.ok(!text.includes('SECRET-ACCESS-TOKEN'));
  });

  it('scrubs credentials that a server echoes into a message', () => {
    assert.equal(scrub('bad Bearer abc.def and refresh_token=xyz'), 'bad Bearer [redacted] and refresh_token=[redacted]');
    const e = new QboError({ code: 'X', message: 'Authorization: Basic QUJDOkRFRg==' });
    assert.ok(!e.message.includes('QUJDOkRFRg'));
  });
});
