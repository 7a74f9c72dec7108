/**
 * bench:qbwc-import — a Web Connector session importing BENCH_RECORDS (default 100,000) customers through
 * the real SOAP endpoint, with the Web Connector and the QuickBooks company simulators in another process
 * (bench/qbwc-import-client.ts), so the CPU and memory figures below are the server's own.
 *
 *  1. Our server: createQbwcService + DesktopCompany + a temp Store, one `import.customers` job with the
 *     default page size (500). Wall time, server CPU (total and per receiveResponseXML page), peak RSS
 *     (lifetime maxRSS and sampled during the session).
 *  2. The baseline, in this same process: the exact qbXML text of each page the server received, parsed
 *     with parseQbxml alone right after the server handled that page (same moment, same heap, so the
 *     machine's speed swings hit both alike; its CPU is left out of the server's), and all the pages
 *     again after the session → ratio server CPU / parser-alone CPU (target ≤ 2×; peak RSS < 300 MB).
 *  3. The transport floor: the same session through the same endpoint with a work source that neither
 *     parses nor stores the pages (it reads the iterator attributes), each page parsed and decoded alone
 *     beside it (left out of its CPU) → what node:http + the soap package + decoding the escaped response
 *     text cost relative to the parse, and so the lowest ratio any server on this transport could reach.
 *  4. The same session against quickbooks-js (a public Web Connector server on npm: soap 0.9.1 and its own
 *     web service), in its own server process, with a minimal qbXML handler written here that issues the
 *     same CustomerQuery iterator requests and only counts the records → side-by-side ratios.
 *
 * Env: BENCH_RECORDS (default 100000), BENCH_QUICK=1 (or --quick: 5,000 records), BENCH_SKIP_QBJS=1.
 * Prints figures and ratios; the only assertions are that every customer arrived.
 */
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DesktopCompany } from '../nodes/lib/company/qbwc/desktop-company';
import { DESKTOP_MIRROR_CODECS } from '../nodes/lib/company/qbwc/desktop-records';
import { lowerBound, pageRequest, upperBound } from '../nodes/lib/company/qbwc/desktop-requests';
import { liftResponseText } from '../nodes/lib/company/qbwc/http-body';
import { mountOnHttpServer } from '../test/support/http-mount';
import { parseQbxml } from '../nodes/lib/company/qbwc/qbxml';
import { createQbwcService, type QbwcWorkSource } from '../nodes/lib/company/qbwc/service';
import { RANK } from '../nodes/lib/jobs';
import { Mirror } from '../nodes/lib/mirror';
import { Store } from '../nodes/lib/store';
import { requestEnvelope } from '../test/sim/qbwc';
import { report, run, type Phase } from './harness';
import {
  COMPANY_FILE,
  IMPORT_FROM,
  IMPORT_TO,
  mb,
  PAGE_SIZE,
  PASSWORD,
  RequestMeter,
  round1,
  RssSampler,
  USER,
  type ClientConfig,
  type ClientDone,
  type FromClient,
  type ServerFigures,
} from './qbwc-import-shared';

const QUICK = process.env.BENCH_QUICK === '1' || process.argv.includes('--quick');
const N = Number(process.env.BENCH_RECORDS || (QUICK ? 5_000 : 100_000));
const ROLE_QBJS = '--role=quickbooks-js-server';
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const cpuMsSince = (c0: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};

function startClient(config: ClientConfig): ChildProcess {
  // No inherited flags (--cpu-prof, --expose-gc): the client is not what is measured.
  return fork(path.join(__dirname, 'qbwc-import-client.js'), [JSON.stringify(config)], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function nextMessage<T extends { type: string }>(child: ChildProcess, type: T['type']): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: T): void => {
      if (m.type !== type) return;
      cleanup();
      resolve(m);
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`the client exited (${code}) before "${type}"`));
    };
    const cleanup = (): void => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** Runs one Web Connector session from a client process against `url` and measures this (the server) process. */
async function measureSession(server: string, config: ClientConfig, meter: RequestMeter): Promise<ServerFigures> {
  const child = startClient(config);
  await nextMessage<FromClient>(child, 'ready');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  gc();
  const startRss = process.memoryUsage.rss();
  const sampler = new RssSampler();
  sampler.start();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const done = nextMessage<ClientDone>(child, 'done');
  child.send({ type: 'go' });
  const client = await done;
  const wallMs = performance.now() - t0;
  const cpuMs = cpuMsSince(cpu0);
  const sampledPeak = sampler.stop();
  await exited;
  const pages = meter.stats();
  return {
    server,
    records: config.records,
    pages: pages.n,
    wallMs: round1(wallMs),
    cpuMs: round1(cpuMs),
    perPage: { mean: round1(cpuMs / Math.max(1, pages.n)), p50: round1(pages.p50), p95: round1(pages.p95), max: round1(pages.max) },
    maxRssMb: mb(process.resourceUsage().maxRSS * 1024),
    sampledPeakRssMb: mb(sampledPeak),
    startRssMb: mb(startRss),
    heapUsedMb: mb(process.memoryUsage().heapUsed),
    client,
  };
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Reads the pages file one page at a time (never all of it in memory). */
function* readPages(file: string): Generator<string> {
  const fd = fs.openSync(file, 'r');
  try {
    const len = Buffer.alloc(4);
    for (;;) {
      if (fs.readSync(fd, len, 0, 4, null) < 4) return;
      const body = Buffer.alloc(len.readUInt32LE(0));
      fs.readSync(fd, body, 0, body.length, null);
      yield body.toString('utf8');
    }
  } finally {
    fs.closeSync(fd);
  }
}

// ------------------------------------------------------------------ our server

/** CPU and wall time of work measured beside a session, and the records it saw. */
interface Tally {
  cpuMs: number;
  wallMs: number;
  records: number;
}

const tally = (): Tally => ({ cpuMs: 0, wallMs: 0, records: 0 });

function add(into: Tally, t: Tally): Tally {
  into.cpuMs += t.cpuMs;
  into.wallMs += t.wallMs;
  into.records += t.records;
  return t;
}

/** A session's figures without the CPU and wall time of the measurements made beside it. */
function without(measured: ServerFigures, cpuMs: number, wallMs: number): ServerFigures {
  const cpu = round1(measured.cpuMs - cpuMs);
  return { ...measured, cpuMs: cpu, wallMs: round1(measured.wallMs - wallMs), perPage: { ...measured.perPage, mean: round1(cpu / Math.max(1, measured.pages)) } };
}

const minorGc = (): void => (globalThis as { gc?: (options: { type: string }) => void }).gc?.({ type: 'minor' });

/**
 * The parser alone on one page, measured beside a session: a minor GC first (counted to the session: it
 * collects the session's own garbage), then the parse and a minor GC that collects the parse's garbage
 * (both counted to the parse, as they would be in a process that only parsed).
 */
function parseAlone(xml: string): Tally {
  minorGc();
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  const records = parseQbxml(xml).messages[0]?.records.length ?? 0;
  minorGc();
  return { cpuMs: cpuMsSince(c0), wallMs: performance.now() - w0, records };
}

interface OurSession {
  figures: ServerFigures;
  /** The parser alone on each page, right after the server handled it (same moment, same heap): left out of the server's CPU. */
  interleaved: Phase;
  /** The parser alone on all the pages again after the session (this process). */
  after: Phase;
}

async function ourSession(tmp: string): Promise<OurSession> {
  const store = await Store.open(path.join(tmp, 'store'));
  const company = new DesktopCompany({ id: 'bench', store, settings: { invoiceCreation: false }, autoApprove: true });
  await company.start();
  await company.outbox.enqueue({
    key: 'import:customers', kind: 'import.customers', rank: RANK['import.customers'], sourceId: 'import:customers',
    payload: { from: IMPORT_FROM, to: IMPORT_TO }, summary: 'Import customers',
  });
  const meter = new RequestMeter('receiveResponseXML');
  // A pass-through work source that notes each response's length (to check the pages file) and, once the
  // server has handled the page, parses the same text with the parser alone: the baseline, measured at
  // the same moment as the server's work and left out of the server's CPU.
  const lengths: number[] = [];
  const alone = tally();
  const work: QbwcWorkSource = {
    companyFile: company.companyFile,
    hasWork: () => company.hasWork(),
    beginSession: (t) => company.beginSession(t),
    nextRequest: (t, c) => company.nextRequest(t, c),
    handleResponse: async (t, r) => {
      lengths.push(r.xml.length);
      const answer = await company.handleResponse(t, r);
      meter.exclude(add(alone, parseAlone(r.xml)).cpuMs);
      return answer;
    },
    connectionError: (t, h, m) => company.connectionError(t, h, m),
    endSession: (t, r) => company.endSession(t, r),
    lastError: (t) => company.lastError(t),
  };
  const service = await createQbwcService({ workSource: work, username: USER, password: PASSWORD });
  const server = http.createServer();
  mountOnHttpServer(server, '/qbwc', meter.wrap(service.handler));
  const port = await listen(server);
  const pagesFile = path.join(tmp, 'pages.bin');

  const measured = await measureSession('our server', { mode: 'strict', url: `http://127.0.0.1:${port}/qbwc`, records: N, pagesFile }, meter);
  const figures = without(measured, alone.cpuMs, alone.wallMs);
  assert.deepEqual(figures.client.errors, [], 'the Web Connector session has no errors');
  assert.equal(alone.records, N, 'the interleaved baseline parsed every customer');
  const job = await company.outbox.get('import:customers');
  assert.equal(job?.state, 'complete', 'the import job is complete');
  assert.equal((job?.result as { count?: number } | undefined)?.count, N, 'the import counted every customer');
  assert.equal((await company.mirror.list('customers')).length, N, 'every customer is in the mirror');
  assert.equal((await new Mirror(store, 'bench', DESKTOP_MIRROR_CODECS).list('customers')).length, N, 'every customer is in the store (read back by a new Mirror)');
  const interleaved = phase('parseQbxml alone on each page, right after the server handled it (left out of the server CPU)', alone);

  // The same pages parsed again with the parser alone, all together after the session.
  gc();
  let warm = 0;
  for (const xml of readPages(pagesFile)) if (warm++ < 5) parseQbxml(xml.trim());
  gc();
  const again = tally();
  let i = 0;
  for (const sent of readPages(pagesFile)) {
    const xml = sent.trim(); // the soap package trims element text: this is the string the server received
    assert.equal(xml.length, lengths[i++], 'the baseline parses the page the server received');
    add(again, parseAlone(xml));
  }
  assert.equal(i, lengths.length, 'as many pages as the server received');
  assert.equal(again.records, N, 'the pages hold every customer');
  const after = phase('parseQbxml alone over the same pages again, after the session', again);


  await service.close();
  await closeServer(server);
  await company.close();
  await store.close();
  return { figures, interleaved, after };
}

function countRecords(xml: string): number {
  let n = 0;
  for (let at = xml.indexOf('<CustomerRet>'); at !== -1; at = xml.indexOf('<CustomerRet>', at + 13)) n++;
  return n;
}

/**
 * The transport floor: the same Web Connector session through the same SOAP endpoint (node:http, the
 * body limit, liftResponseText, the soap package, the operations layer), with a work source that asks
 * for the same CustomerQuery pages but neither parses nor stores them: it reads the iterator attributes
 * from the message's start tag. Each page is also parsed alone right after (left out of the CPU), as in
 * our session. What this costs, any server on this stack pays before it parses or stores anything.
 */
async function floorSession(records = N): Promise<{ figures: ServerFigures; parse: Phase; decode: Phase }> {
  const query = { kind: 'import.customers' as const, from: lowerBound(IMPORT_FROM), to: upperBound(IMPORT_TO), dateField: 'modified' as const, pageSize: PAGE_SIZE };
  const meter = new RequestMeter('receiveResponseXML');
  const alone = tally();
  const lifted = tally();
  let blockCpu = 0;
  let seq = 0;
  let iteratorID: string | undefined;
  let done = false;
  let received = 0;
  const work: QbwcWorkSource = {
    companyFile: COMPANY_FILE,
    hasWork: async () => !done,
    beginSession: async () => undefined,
    nextRequest: async () => (done ? null : pageRequest(iteratorID ? { ...query, iteratorID } : query, String(++seq))),
    handleResponse: async (_t, r) => {
      const head = r.xml.slice(0, r.xml.indexOf('>', r.xml.indexOf('<CustomerQueryRs')) + 1);
      const remaining = Number(/iteratorRemainingCount="(\d+)"/.exec(head)?.[1] ?? 0);
      iteratorID = /iteratorID="([^"]+)"/.exec(head)?.[1];
      received += PAGE_SIZE;
      const p = add(alone, parseAlone(r.xml));
      meter.exclude(p.cpuMs);
      // Decoding alone: the page escaped in a receiveResponseXML envelope as the Web Connector sends it,
      // lifted out and decoded by liftResponseText (the service's first step). All of this block's CPU
      // (building the envelope, checking the text) is left out of the floor's.
      const block0 = process.cpuUsage();
      const body = Buffer.from(requestEnvelope('receiveResponseXML', [['ticket', 'bench'], ['response', r.xml], ['hresult', ''], ['message', '']]), 'utf8');
      const c0 = process.cpuUsage();
      const l0 = performance.now();
      const text = liftResponseText(body)?.text;
      lifted.wallMs += performance.now() - l0;
      lifted.cpuMs += cpuMsSince(c0);
      lifted.records += p.records;
      assert.equal(text, r.xml, 'liftResponseText decodes the page');
      const blockMs = cpuMsSince(block0);
      blockCpu += blockMs;
      meter.exclude(blockMs);
      if (remaining === 0) done = true;
      return { percent: done ? 100 : Math.min(99, Math.floor((100 * received) / (received + remaining))) };
    },
    connectionError: async () => undefined,
    endSession: async () => 'done',
    lastError: () => '',
  };
  const service = await createQbwcService({ workSource: work, username: USER, password: PASSWORD });
  const server = http.createServer();
  mountOnHttpServer(server, '/qbwc', meter.wrap(service.handler));
  const port = await listen(server);
  const measured = await measureSession('transport floor', { mode: 'strict', url: `http://127.0.0.1:${port}/qbwc`, records }, meter);
  assert.deepEqual(measured.client.errors, [], 'the transport-floor session has no errors');
  assert.equal(alone.records, records, 'the transport-floor session received every customer');
  const figures = without(measured, alone.cpuMs + blockCpu, alone.wallMs + lifted.wallMs);
  await service.close();
  await closeServer(server);
  return {
    figures,
    parse: phase('parseQbxml alone on each page of the transport-floor session (left out of its CPU)', alone),
    decode: phase('liftResponseText alone on each page of the transport-floor session, re-enveloped (left out of its CPU)', lifted),
  };
}

function phase(name: string, m: Tally): Phase {
  return {
    name,
    records: m.records,
    ms: round1(m.wallMs),
    cpuMs: round1(m.cpuMs),
    perSecond: Math.round(m.records / (m.wallMs / 1000)),
    peakRssMb: mb(process.resourceUsage().maxRSS * 1024),
    heapUsedMb: mb(process.memoryUsage().heapUsed),
  };
}

// ------------------------------------------------------------------ quickbooks-js (its own server process)

interface QbjsHandler {
  fetchRequests(callback: (err: unknown, requests: string[]) => void): void;
  handleResponse(response: string): void;
  didReceiveError(error: unknown): void;
}

/**
 * A minimal quickbooks-js qbXML handler: the same CustomerQuery iterator requests as our import (built by
 * the same function), the next page pushed onto quickbooks-js's request array while iteratorRemainingCount
 * is above 0 (quickbooks-js re-reads the array's length), each response's CustomerRet elements counted.
 */
function countingHandler(): QbjsHandler & { records: number; pages: number; errors: string[] } {
  let queue: string[] = [];
  let seq = 0;
  const query = { kind: 'import.customers' as const, from: lowerBound(IMPORT_FROM), to: upperBound(IMPORT_TO), dateField: 'modified' as const, pageSize: PAGE_SIZE };
  const h = {
    records: 0,
    pages: 0,
    errors: [] as string[],
    fetchRequests(callback: (err: unknown, requests: string[]) => void): void {
      queue = [pageRequest(query, String(++seq))];
      callback(null, queue);
    },
    handleResponse(response: string): void {
      h.pages++;
      for (let at = response.indexOf('<CustomerRet>'); at !== -1; at = response.indexOf('<CustomerRet>', at + 13)) h.records++;
      const rs = /<CustomerQueryRs\b[^>]*>/.exec(response)?.[0] ?? '';
      const remaining = Number(/iteratorRemainingCount="(\d+)"/.exec(rs)?.[1] ?? 0);
      const iteratorID = /iteratorID="([^"]+)"/.exec(rs)?.[1];
      if (remaining > 0 && iteratorID) queue.push(pageRequest({ ...query, iteratorID }, String(++seq)));
    },
    didReceiveError(error: unknown): void {
      h.errors.push(String(error));
    },
  };
  return h;
}

async function qbjsServerRole(): Promise<void> {
  // quickbooks-js reads its port, credentials and company file from the environment when it is loaded,
  // and creates its http.Server at load time: note that server to meter and close it.
  const probe = http.createServer();
  const port = await listen(probe);
  await closeServer(probe);
  Object.assign(process.env, { QB_SOAP_PORT: String(port), QB_USERNAME: USER, QB_PASSWORD: PASSWORD, QB_COMPANY_FILE: COMPANY_FILE });
  const httpModule = require('node:http') as { createServer: typeof http.createServer };
  const createServer = httpModule.createServer;
  let created: http.Server | undefined;
  httpModule.createServer = ((...args: Parameters<typeof http.createServer>) => (created = createServer(...args))) as typeof http.createServer;
  let QuickbooksServer: new () => { setQBXMLHandler(h: QbjsHandler): void; run(): void };
  try {
    QuickbooksServer = require('quickbooks-js');
  } finally {
    httpModule.createServer = createServer;
  }
  const handler = countingHandler();
  const qb = new QuickbooksServer();
  qb.setQBXMLHandler(handler);
  const log = console.log;
  console.log = () => undefined; // its start-up line
  qb.run();
  console.log = log;
  if (!created) throw new Error('quickbooks-js created no http.Server');
  // soap 0.9.1 replaces the server's request listeners once its WSDL is ready: meter after that.
  const initial = created.listeners('request')[0];
  for (let i = 0; created.listeners('request')[0] === initial; i++) {
    if (i > 1000) throw new Error('the quickbooks-js SOAP server did not start');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const meter = new RequestMeter('receiveResponseXML');
  created.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => meter.observe(req, res));
  if (!created.listening) await new Promise((resolve) => created?.once('listening', resolve));

  const figures = await measureSession('quickbooks-js', { mode: 'lenient', url: `http://127.0.0.1:${port}/wsdl`, records: N }, meter);
  assert.deepEqual([...figures.client.errors, ...handler.errors], [], 'the quickbooks-js session has no errors');
  // quickbooks-js answers percent = round(100 × sent / queued): with 200 requests or more, 99.5 rounds to
  // 100 one request early and the Web Connector closes the session; the records are counted as received.
  assert.ok(handler.records >= N - PAGE_SIZE, `quickbooks-js received ${handler.records} customers`);
  await closeServer(created);
  process.send?.({ ...figures, records: handler.records });
  process.disconnect?.();
}

function runQbjsServer(): Promise<ServerFigures> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, [ROLE_QBJS], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, BENCH_RECORDS: String(N) } });
    let figures: ServerFigures | undefined;
    child.on('message', (m: ServerFigures) => (figures = m));
    child.on('exit', (code) => (figures ? resolve(figures) : reject(new Error(`the quickbooks-js server process exited (${code}) without figures`))));
  });
}

// ------------------------------------------------------------------ report

function phaseOf(f: ServerFigures, name: string): Phase {
  return { name, records: f.records, ms: f.wallMs, cpuMs: f.cpuMs, perSecond: Math.round(f.records / (f.wallMs / 1000)), peakRssMb: f.maxRssMb, heapUsedMb: f.heapUsedMb };
}

function details(rows: ServerFigures[]): string {
  const lines = [
    '',
    '| server | pages | server CPU ms/page (mean / p50 / p95 / max) | maxRSS MB | sampled peak RSS MB (start) | qbXML received MB | client CPU ms | client wall ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const f of rows) {
    const p = f.perPage;
    lines.push(
      `| ${f.server} | ${f.pages} | ${p.mean} / ${p.p50} / ${p.p95} / ${p.max} | ${f.maxRssMb} | ${f.sampledPeakRssMb} (${f.startRssMb}) | ${mb(f.client.responseBytes)} | ${f.client.clientCpuMs} | ${f.client.clientMs} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qbsync-bench-qbwc-'));
  // A short unmeasured session warms the SOAP path up (as in a server that has run before); then our
  // session, in a process as small as a fresh server's (its RSS is the target's); then the floor.
  await floorSession(Math.min(N, 5_000));
  let ours: Awaited<ReturnType<typeof ourSession>>;
  try {
    ours = await ourSession(tmp);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  gc();
  const floor = await floorSession();
  const qbjs = process.env.BENCH_SKIP_QBJS === '1' ? undefined : await runQbjsServer();

  const oursPhase = phaseOf(ours.figures, 'our server: Web Connector session (soap + DesktopCompany + Store), server process');
  const floorPhase = phaseOf(floor.figures, 'transport floor: the same session and endpoint, pages neither parsed nor stored, server process');
  const phases = [oursPhase, ours.interleaved, ours.after, floorPhase, floor.parse, floor.decode];
  const qbjsPhase = qbjs ? phaseOf(qbjs, 'quickbooks-js 1.0.0 server (soap 0.9.1) + counting handler, server process') : undefined;
  if (qbjsPhase) phases.push(qbjsPhase);
  const title = `bench:qbwc-import — one Web Connector session importing ${N.toLocaleString('en-US')} customers (pages of ${PAGE_SIZE})`;
  report(title, phases, [
    { label: 'our session wall time / parseQbxml alone wall time (interleaved)', of: oursPhase, to: ours.interleaved },
  ]);
  console.log(details(qbjs ? [ours.figures, floor.figures, qbjs] : [ours.figures, floor.figures]));
  const lines = [
    '',
    `ratio our server CPU / parseQbxml alone CPU, each page parsed alone right after the server handled it: ${(ours.figures.cpuMs / ours.interleaved.cpuMs).toFixed(2)}× (target ≤ 2×)`,
    `ratio our server CPU / parseQbxml alone CPU, the pages parsed again after the session: ${(ours.figures.cpuMs / ours.after.cpuMs).toFixed(2)}×`,
    `ratio transport floor CPU / parseQbxml alone CPU (same session): ${(floor.figures.cpuMs / floor.parse.cpuMs).toFixed(2)}×; ` +
      `of which decoding the response text (liftResponseText alone) ${(floor.decode.cpuMs / floor.parse.cpuMs).toFixed(2)}×, the rest (node:http, soap package, operations) ${((floor.figures.cpuMs - floor.decode.cpuMs) / floor.parse.cpuMs).toFixed(2)}×`,
    `lower bound for any server on this transport that parses each page once and stores nothing: ${((floor.figures.cpuMs + floor.parse.cpuMs) / floor.parse.cpuMs).toFixed(2)}× the parse ` +
      `(${((floor.figures.cpuMs - floor.decode.cpuMs + floor.parse.cpuMs) / floor.parse.cpuMs).toFixed(2)}× even if decoding cost nothing)`,
    `our server peak RSS: ${ours.figures.maxRssMb} MB lifetime maxRSS, ${ours.figures.sampledPeakRssMb} MB sampled during the session (target < 300 MB)`,
  ];
  if (qbjs) {
    // Per record: quickbooks-js may end the session a page early (see qbjsServerRole).
    const perRecord = (f: { cpuMs: number; records: number }) => f.cpuMs / f.records;
    if (qbjs.records < N) {
      lines.push(
        `quickbooks-js ended the session after ${qbjs.pages} pages with ${qbjs.records.toLocaleString('en-US')} of ${N.toLocaleString('en-US')} customers: ` +
          'its receiveResponseXML answers (100 × sent / queued).toFixed(), and 99.5 rounds to 100 one request early; its ratios below are per record.',
      );
    }
    lines.push(`ratio our server CPU / quickbooks-js server CPU, per record: ${(perRecord(ours.figures) / perRecord(qbjs)).toFixed(2)}×`);
    lines.push(`ratio our session wall time / quickbooks-js session wall time, per record: ${((ours.figures.wallMs / ours.figures.records) / (qbjs.wallMs / qbjs.records)).toFixed(2)}×`);
    lines.push(`ratio quickbooks-js server CPU / parseQbxml alone CPU, per record: ${(perRecord(qbjs) / perRecord({ cpuMs: ours.interleaved.cpuMs, records: N })).toFixed(2)}×`);
    lines.push(`ratio our server peak RSS / quickbooks-js server peak RSS: ${(ours.figures.maxRssMb / qbjs.maxRssMb).toFixed(2)}×`);
  }
  lines.push(
    '',
    `our server: every one of the ${N.toLocaleString('en-US')} customers arrived (job result, mirror, store). ` +
      'Note: quickbooks-js answers results wrapped in <string>/<int> (read as null by the real Web Connector, qbwc.md §1.5); ' +
      'its client reads them leniently. Server CPU is everything the server process did during the session (HTTP, SOAP, qbXML, store, GC) ' +
      'except the baseline parses beside it.',
  );
  console.log(lines.join('\n'));
}

if (process.argv.includes(ROLE_QBJS)) {
  qbjsServerRole().catch((err) => {
    console.error(err);
    process.exitCode = 1;
    process.disconnect?.();
  });
} else {
  run(async () => {
    try {
      await main();
    } catch (err) {
      console.error(err);
      process.exit(1); // the servers and the store of a failed run would keep the process alive
    }
  });
}
