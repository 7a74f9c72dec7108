/** The Web Connector service driven over real HTTP by the Web Connector simulator. */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { WebConnectorSimulator, type WebConnectorOptions } from '../../sim/qbwc';
import { DEFAULT_SERVER_VERSION } from '../../../nodes/lib/company/qbwc/operations';
import { FakeProcessor, FakeWorkSource, PASSWORD, USER, servicePerTest, startService, type Running } from './service-helpers';

let running: Running;
let work: FakeWorkSource;
/** Takes the service servicePerTest started (and its work source) for the current test. */
const use = (r: Running) => {
  running = r;
  work = r.work;
};

function sim(extra: Partial<WebConnectorOptions> = {}): WebConnectorSimulator {
  return new WebConnectorSimulator({ url: running.url, username: USER, password: PASSWORD, processor: new FakeProcessor(), ...extra });
}

describe('qbwc service: a full session', () => {
  servicePerTest(3, use);

  it('follows the real call order and ends with closeConnection', async () => {
    const r = await sim().runSession();
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.calls, [
      'serverVersion',
      'clientVersion',
      'authenticate',
      'sendRequestXML',
      'receiveResponseXML',
      'sendRequestXML',
      'receiveResponseXML',
      'sendRequestXML',
      'receiveResponseXML',
      'closeConnection',
    ]);
  });

  it('reports real progress: integer percents that rise to 100', async () => {
    const r = await sim().runSession();
    assert.deepEqual(r.percents, [33, 66, 100]);
    assert.equal(r.finalPercent, 100);
  });

  it('completes every job exactly once', async () => {
    await sim().runSession();
    assert.equal(work.count('done'), 3);
    assert.ok(work.jobs.every((j) => j.attempts === 1));
  });

  it('returns the work source summary as the closeConnection message and ends the session as closed', async () => {
    const r = await sim().runSession();
    assert.equal(r.closeMessage, 'OK: 3 done');
    assert.deepEqual(work.ended.map((e) => e.reason), ['closed']);
  });

  it('answers serverVersion with a version string', async () => {
    const r = await sim().runSession();
    assert.equal(r.serverVersion, DEFAULT_SERVER_VERSION);
  });

  it('answers clientVersion with an empty string (proceed)', async () => {
    const r = await sim().runSession();
    assert.equal(r.clientVersionAnswer, '');
  });

  it('passes the HCP response, company file and qbXML version of the first sendRequestXML to the work source', async () => {
    await sim({ companyFile: 'C:\\Books\\Acme & Co.QBW', qbXMLMajorVers: 13, qbXMLMinorVers: 0 }).runSession();
    const first = work.contexts[0];
    assert.match(first.hcpResponse, /<HostQueryRs/);
    assert.equal(first.companyFile, 'C:\\Books\\Acme & Co.QBW');
    assert.equal(first.qbXMLMajorVersion, 13);
    assert.equal(first.country, 'US');
    assert.equal(work.contexts[1].hcpResponse, '');
  });

  it('hands each qbXML response to the work source unescaped', async () => {
    await sim().runSession();
    assert.match(work.responses[0].xml, /^<\?xml version="1.0" \?><QBXML><QBXMLMsgsRs><CustomerQueryRs requestID="job-1"/);
    assert.equal(work.responses[0].hresult, '');
  });
});

describe('qbwc service: authenticate answers', () => {
  servicePerTest(1, use);

  it('answers nvu for a wrong password and starts no session', async () => {
    const r = await sim({ password: 'wrong' }).runSession();
    assert.equal(r.authStatus, 'nvu');
    assert.deepEqual(r.calls.slice(-2), ['authenticate', 'closeConnection']);
    assert.ok(!work.calls.includes('hasWork'));
  });

  it('names the reason in closeConnection after nvu', async () => {
    const r = await sim({ password: 'wrong' }).runSession();
    assert.equal(r.closeMessage, 'Invalid username or password.');
  });

  it('answers nvu for a wrong username', async () => {
    const r = await sim({ username: 'someone-else' }).runSession();
    assert.equal(r.authStatus, 'nvu');
  });

  it('answers nvu for an empty password', async () => {
    const r = await sim({ password: '' }).runSession();
    assert.equal(r.authStatus, 'nvu');
  });

  it('answers none when nothing is queued', async () => {
    work.jobs[0].state = 'done';
    const r = await sim().runSession();
    assert.equal(r.authStatus, 'none');
    assert.deepEqual(r.calls, ['serverVersion', 'clientVersion', 'authenticate', 'closeConnection']);
    assert.equal(r.closeMessage, 'OK: nothing to do.');
    assert.ok(r.ok);
  });

  it('answers a random ticket per authenticate', async () => {
    work.jobs[0].state = 'done';
    const a = await sim().runSession();
    const b = await sim().runSession();
    assert.match(a.ticket ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(a.ticket, b.ticket);
  });

  it('keeps the empty company-file string in the authenticate array (two <string> elements)', async () => {
    const r = await sim().runSession();
    assert.deepEqual(r.authAnswer, [r.ticket, '']);
    const raw = r.transcript.find((t) => t.op === 'authenticate')?.raw ?? '';
    assert.equal((raw.match(/<string>/g) ?? []).length, 2);
    assert.match(raw, /<string><\/string>|<string\/>/);
  });

  it('answers the company file path when the work source names one', async () => {
    work.companyFile = 'C:\\Company Files\\Acme Tools.QBW';
    const r = await sim().runSession();
    assert.equal(r.authStatus, 'C:\\Company Files\\Acme Tools.QBW');
    assert.equal(r.companyFile, 'C:\\Company Files\\Acme Tools.QBW');
    assert.ok(r.ok);
  });
});

describe('qbwc service: authenticate scheduling hints', () => {
  after(() => running.close());

  it('keeps empty placeholders: [ticket, "", "", minRun] with MinimumRunEveryNSeconds', async () => {
    work = new FakeWorkSource(1);
    running = await startService(work, { minRunEverySeconds: 300 });
    const r = await sim().runSession();
    assert.deepEqual(r.authAnswer, [r.ticket, '', '', '300']);
    const raw = r.transcript.find((t) => t.op === 'authenticate')?.raw ?? '';
    assert.equal((raw.match(/<string>/g) ?? []).length, 4);
  });
});

describe('qbwc service: clientVersion', () => {
  after(() => running.close());

  it('answers O:<version> to an older Web Connector, which then stops before authenticate', async () => {
    work = new FakeWorkSource(1);
    running = await startService(work, { minClientVersion: '2.2' });
    const r = await sim({ clientVersion: '2.1.0.30' }).runSession();
    assert.equal(r.clientVersionAnswer, 'O:2.2');
    assert.deepEqual(r.calls, ['serverVersion', 'clientVersion']);
  });
});

describe('qbwc service: errors during a session', () => {
  servicePerTest(3, use);

  it('returns a negative percent for an hresult response, then getLastError explains it', async () => {
    const r = await sim({ hresultOnResponse: 2 }).runSession();
    assert.deepEqual(r.percents, [33, -1]);
    assert.deepEqual(r.calls.slice(-3), ['receiveResponseXML', 'getLastError', 'closeConnection']);
    assert.match(r.lastError ?? '', /job-2 failed: 0x80040400 QuickBooks found an error/);
  });

  it('passes the hresult and message to the work source with an empty xml', async () => {
    await sim({ hresultOnResponse: 1 }).runSession();
    assert.deepEqual(work.responses[0], { xml: '', hresult: '0x80040400', message: 'QuickBooks found an error when parsing the provided XML text stream.' });
  });

  it('answers done to connectionError and ends the session with reason error', async () => {
    const r = await sim({ openFails: { hresult: '0x80040408', message: 'Could not start QuickBooks.' } }).runSession();
    assert.equal(r.connectionErrorAnswer, 'done');
    assert.deepEqual(r.calls.slice(-2), ['connectionError', 'closeConnection']);
    assert.ok(work.calls.includes('connectionError'));
    assert.deepEqual(work.ended.map((e) => e.reason), ['error']);
  });

  it('a session after a connection error can authenticate again (not busy)', async () => {
    await sim({ openFails: true }).runSession();
    const r = await sim().runSession();
    assert.equal(r.authStatus, '');
    assert.ok(r.ok);
  });

  it('sends an empty request when nothing is ready, then getLastError and closeConnection', async () => {
    work.starve = true;
    const r = await sim().runSession();
    assert.deepEqual(r.calls.slice(3), ['sendRequestXML', 'getLastError', 'closeConnection']);
    assert.equal(r.lastError, 'No request is ready for this session.');
  });
});

describe('qbwc service: a work source that throws', () => {
  servicePerTest(2, use);

  it('answers busy when hasWork throws', async () => {
    work.failing.add('hasWork');
    const r = await sim().runSession();
    assert.equal(r.authStatus, 'busy');
    assert.ok(r.ok);
  });

  it('answers busy when beginSession throws and ends that session with reason error', async () => {
    work.failing.add('beginSession');
    const r = await sim().runSession();
    assert.equal(r.authStatus, 'busy');
    assert.deepEqual(work.ended.map((e) => e.reason), ['error']);
  });

  it('answers an empty request when nextRequest throws, and getLastError gives the reason', async () => {
    work.failing.add('nextRequest');
    const r = await sim().runSession();
    assert.equal(r.lastError, 'Could not prepare the next request: nextRequest exploded');
    assert.equal(r.calls.at(-1), 'closeConnection');
  });

  it('answers -1 when handleResponse throws, and getLastError gives the reason', async () => {
    work.failing.add('handleResponse');
    const r = await sim().runSession();
    assert.deepEqual(r.percents, [-1]);
    assert.equal(r.lastError, 'Could not process the response: handleResponse exploded');
  });

  it('still answers closeConnection with a string when endSession throws', async () => {
    work.failing.add('endSession');
    const r = await sim().runSession();
    assert.equal(r.closeMessage, 'Session ended; the work source reported: endSession exploded');
  });

  it('still answers getLastError with a string when lastError throws', async () => {
    work.starve = true;
    work.failing.add('lastError');
    const r = await sim().runSession();
    assert.equal(r.lastError, 'Could not read the last error: lastError exploded');
  });

  it('still answers done when the connectionError handler throws', async () => {
    work.failing.add('connectionError');
    const r = await sim({ openFails: true }).runSession();
    assert.equal(r.connectionErrorAnswer, 'done');
  });
});

describe('qbwc service: overlapping sessions', () => {
  servicePerTest(4, use, { idleTimeoutMs: 60_000 });

  it('answers busy to a second session while one is running', async () => {
    const first = await sim({ killAfterResponses: 1 }).runSession();
    assert.equal(first.killed, true);
    const second = await sim().runSession();
    assert.equal(second.authStatus, 'busy');
  });

  it('answers busy to one of two concurrent authenticates', async () => {
    work.hasWorkDelayMs = 20;
    const [a, b] = await Promise.all([sim({ killAfterResponses: 1 }).runSession(), sim({ killAfterResponses: 1 }).runSession()]);
    assert.deepEqual([a.authStatus, b.authStatus].sort(), ['', 'busy']);
  });

  it('a busy answer does not disturb the running session', async () => {
    const first = await sim({ killAfterResponses: 1 }).runSession();
    await sim().runSession();
    assert.equal((await running.service.operations.sessions.peek(first.ticket ?? ''))?.phase, 'active');
  });
});

describe('qbwc service: dead sessions', () => {
  // Short idle timeout; the tests wait for the expiry event itself, never for a fixed time.
  servicePerTest(4, use, { idleTimeoutMs: 250 });

  it('ends a session that dies without closeConnection with reason expired', async () => {
    const expired = work.nextEnd('expired');
    const first = await sim({ killAfterResponses: 2 }).runSession();
    assert.equal(await expired, first.ticket);
  });

  it('after a killed session expires, a new session continues with the remaining work', async () => {
    const expired = work.nextEnd('expired');
    const first = await sim({ killAfterResponses: 2 }).runSession();
    await expired;
    const second = await sim().runSession();
    assert.deepEqual(first.percents, [25, 50]);
    assert.deepEqual(second.percents, [50, 100]);
    assert.equal(work.count('done'), 4);
    assert.ok(work.jobs.every((j) => j.attempts === 1));
  });

  it('expires a session whose Web Connector died while QuickBooks held a request', async () => {
    const expired = work.nextEnd('expired');
    const first = await sim({ killAfterRequests: 2 }).runSession();
    assert.equal(await expired, first.ticket);
    assert.equal(first.calls.at(-1), 'sendRequestXML');
    assert.equal(work.count('done'), 1);
  });

  it('treats an expired ticket as unknown', async () => {
    const expired = work.nextEnd('expired');
    const first = await sim({ killAfterResponses: 1 }).runSession();
    await expired;
    assert.equal(await running.service.operations.getLastError(first.ticket ?? ''), 'Unknown or expired ticket; run the update again.');
  });
});

describe('qbwc service: a Web Connector that crashed does not block the next run', () => {
  // The idle timeout stays long (as in the qbwc-server node); a session silent for 300 ms counts as dead.
  servicePerTest(4, use, { idleTimeoutMs: 60_000, staleAfterMs: 300 });

  it('answers busy with the postpone hint, then the next Auto-Run proceeds without a restart and finishes the work', async () => {
    const expired = work.nextEnd('expired');
    const killed = await sim({ killAfterResponses: 2 }).runSession();
    assert.equal(killed.killed, true);
    const [busy, next] = await sim().runEvery(10, 2);
    assert.equal(busy.authStatus, 'busy');
    assert.equal(busy.postponeSeconds, 1, 'the hint: come back when the silent session counts as gone');
    assert.equal(next.authStatus, '', 'the next real run proceeds (the dead session no longer holds the company)');
    assert.equal(await expired, killed.ticket);
    assert.deepEqual(next.errors, []);
    assert.equal(work.count('done'), 4);
    assert.ok(work.jobs.every((j) => j.attempts === 1));
  });

  it('two Web Connectors truly running at once: the second still gets busy while the first keeps calling', async () => {
    const ops = running.service.operations;
    const [ticket, status] = await ops.authenticate(USER, PASSWORD);
    assert.equal(status, '');
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 150)); // a live session calls more often than staleAfterMs
      const xml = await ops.sendRequestXML(ticket, '', '', 'US', 13, 0);
      const id = /requestID="([^"]*)"/.exec(xml)?.[1] ?? '';
      await ops.receiveResponseXML(ticket, `<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><CustomerQueryRs requestID="${id}" statusCode="1" statusSeverity="Info" statusMessage="none" /></QBXMLMsgsRs></QBXML>`, '', '');
      const second = await ops.authenticate(USER, PASSWORD);
      assert.equal(second[1], 'busy');
      assert.equal((await ops.sessions.peek(ticket))?.phase, 'active', 'the running session is undisturbed');
    }
    assert.equal(work.ended.length, 0);
  });
});

describe('qbwc service: AutoRun', () => {
  after(() => running.close());

  it('runs sessions on a schedule: work, then nothing to do', async () => {
    work = new FakeWorkSource(2);
    running = await startService(work);
    const results = await sim().runEvery(5, 2);
    assert.deepEqual(results.map((r) => r.authStatus), ['', 'none']);
  });
});

describe('qbwc service: busy postponement', () => {
  after(() => running.close());

  it('answers [ticket, "busy", postponeSeconds] when configured', async () => {
    work = new FakeWorkSource(2);
    running = await startService(work, { busyPostponeSeconds: 120 });
    await sim({ killAfterResponses: 1 }).runSession();
    const r = await sim().runSession();
    assert.deepEqual(r.authAnswer, [r.ticket, 'busy', '120']);
  });
});
