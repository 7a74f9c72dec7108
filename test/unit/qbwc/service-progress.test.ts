/** receiveResponseXML percents: what the service makes of the work source's progress values. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WebConnectorSimulator, type RequestProcessor } from '../../sim/qbwc';
import { FakeProcessor, FakeWorkSource, PASSWORD, USER, servicePerTest, type Running } from './service-helpers';

let running: Running;
let work: FakeWorkSource;
/** Takes the service servicePerTest started (and its work source) for the current test. */
const use = (r: Running) => {
  running = r;
  work = r.work;
};

function run(processor: RequestProcessor = new FakeProcessor()) {
  return new WebConnectorSimulator({ url: running.url, username: USER, password: PASSWORD, processor }).runSession();
}

describe('qbwc service: progress values', () => {
  servicePerTest(3, use);

  it('never lets the percent go backwards within a session', async () => {
    work.percentScript = [50, 40, 100];
    const r = await run();
    assert.deepEqual(r.percents, [50, 50, 100]);
    assert.deepEqual(r.warnings, []);
  });

  it('rounds a fractional percent down to an integer', async () => {
    work.percentScript = [33.7, 66.6, 100];
    const r = await run();
    assert.deepEqual(r.percents, [33, 66, 100]);
  });

  it('caps a percent above 100 at 100', async () => {
    work.percentScript = [250];
    const r = await run();
    assert.deepEqual(r.percents, [100]);
    assert.ok(r.ok);
  });

  it('answers -1 and explains it when the work source returns a non-number', async () => {
    work.percentScript = [Number.NaN];
    const r = await run();
    assert.deepEqual(r.percents, [-1]);
    assert.match(r.lastError ?? '', /invalid progress value \(NaN\)/);
  });

  it('passes a custom negative code through (e.g. -101)', async () => {
    work.percentScript = [-101];
    const r = await run();
    assert.deepEqual(r.percents, [-101]);
  });

  it('carries a megabyte-size qbXML response intact under the default body limit', async () => {
    const big = `<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><CustomerQueryRs requestID="x" statusCode="0" statusSeverity="Info" statusMessage="Status OK">${'<CustomerRet><Name>Baker &amp; Sons</Name></CustomerRet>'.repeat(20_000)}</CustomerQueryRs></QBXMLMsgsRs></QBXML>`;
    const r = await run({ processRequest: () => big });
    assert.ok(r.ok);
    assert.equal(work.responses[0].xml.length, big.length);
    assert.equal(work.responses[0].xml, big);
  });
});
