/**
 * bench:qbwc-import — a Web Connector session importing BENCH_RECORDS (default 100,000) customers through
 * the real SOAP endpoint, with the Web Connector and the QuickBooks company simulators in another process
 * (bench/qbwc-import-client.ts), so the CPU and memory figures below are the server's own.
 *
 *  1. Our server: createQbwcService + DesktopCompany + a temp Store, one `import.customers` job with the
 *     default page size (500). Wall time, server CPU (total and per receiveResponseXML page), peak RSS
 *     (lifetime maxRSS and sampled during the session).
 *  2. The baseline, in this same process: the exact qbXML pages the server received, parsed with
 *     parseQbxml alone → ratio server CPU / parser-alone CPU (target ≤ 2×; peak RSS target < 300 MB).
 *  3. The same session against quickbooks-js (a public Web Connector server on npm: soap 0.9.1 and its own
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
import { lowerBound, pageRequest, upperBound } from '../nodes/lib/company/qbwc/desktop-requests';
import { mountOnHttpServer } from '../nodes/lib/company/qbwc/http-mount';
import { parseQbxml } from '../nodes/lib/company/qbwc/qbxml';
import { createQbwcService, type QbwcWorkSource } from '../nodes/lib/company/qbwc/service';
import { RANK } from '../nodes/lib/jobs';
import { Store } from '../nodes/lib/store';
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

async function ourSession(tmp: string): Promise<{ figures: ServerFigures; parser: Phase; lengths: number[] }> {
  const store = await Store.open(path.join(tmp, 'store'));
  const company = new DesktopCompany({ id: 'bench', store, settings: { invoiceCreation: false }, autoApprove: true });
  await company.start();
  await company.outbox.enqueue({
    key: 'import:customers', kind: 'import.customers', rank: RANK['import.customers'], sourceId: 'import:customers',
    payload: { from: IMPORT_FROM, to: IMPORT_TO }, summary: 'Import customers',
  });
  // A pass-through work source that only notes the length of each response (to check the baseline's pages).
  const lengths: number[] = [];
  const work: QbwcWorkSource = {
    companyFile: company.companyFile,
    hasWork: () => company.hasWork(),
    beginSession: (t) => company.beginSession(t),
    nextRequest: (t, c) => company.nextRequest(t, c),
    handleResponse: (t, r) => {
      lengths.push(r.xml.length);
      return company.handleResponse(t, r);
    },
    connectionError: (t, h, m) => company.connectionError(t, h, m),
    endSession: (t, r) => company.endSession(t, r),
    lastError: (t) => company.lastError(t),
  };
  const service = await createQbwcService({ workSource: work, username: USER, password: PASSWORD });
  const meter = new RequestMeter('receiveResponseXML');
  const server = http.createServer();
  mountOnHttpServer(server, '/qbwc', meter.wrap(service.handler));
  const port = await listen(server);
  const pagesFile = path.join(tmp, 'pages.bin');

  const figures = await measureSession('our server', { mode: 'strict', url: `http://127.0.0.1:${port}/qbwc`, records: N, pagesFile }, meter);
  assert.deepEqual(figures.client.errors, [], 'the Web Connector session has no errors');
  const job = await company.outbox.get('import:customers');
  assert.equal(job?.state, 'complete', 'the import job is complete');
  assert.equal((job?.result as { count?: number } | undefined)?.count, N, 'the import counted every customer');
  assert.equal((await company.mirror.list('customers')).length, N, 'every customer is in the mirror');
  assert.equal(await store.mirror.count({ company: 'bench', entity: 'customers' }), N, 'every customer is in the store');

  // The baseline: the same pages, parsed with the qbXML parser alone, in this process.
  gc();
  let warm = 0;
  for (const xml of readPages(pagesFile)) if (warm++ < 5) parseQbxml(xml.trim());
  gc();
  let parsedRecords = 0;
  let parseCpu = 0;
  let parseWall = 0;
  let i = 0;
  for (const sent of readPages(pagesFile)) {
    const xml = sent.trim(); // the soap package trims element text: this is the string the server received
    assert.equal(xml.length, lengths[i++], 'the baseline parses the page the server received');
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    const msg = parseQbxml(xml).messages[0];
    parseWall += performance.now() - w0;
    parseCpu += cpuMsSince(c0);
    parsedRecords += msg?.records.length ?? 0;
  }
  assert.equal(i, lengths.length, 'as many pages as the server received');
  assert.equal(parsedRecords, N, 'the pages hold every customer');
  const parser: Phase = {
    name: 'parseQbxml alone over the same pages (this process)',
    records: N,
    ms: round1(parseWall),
    cpuMs: round1(parseCpu),
    perSecond: Math.round(N / (parseWall / 1000)),
    peakRssMb: mb(process.resourceUsage().maxRSS * 1024),
    heapUsedMb: mb(process.memoryUsage().heapUsed),
  };

  await service.close();
  await closeServer(server);
  await company.close();
  await store.close();
  return { figures, parser, lengths };
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
  let ours: Awaited<ReturnType<typeof ourSession>>;
  try {
    ours = await ourSession(tmp);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const qbjs = process.env.BENCH_SKIP_QBJS === '1' ? undefined : await runQbjsServer();

  const oursPhase = phaseOf(ours.figures, 'our server: Web Connector session (soap + DesktopCompany + Store), server process');
  const phases = [oursPhase, ours.parser];
  const qbjsPhase = qbjs ? phaseOf(qbjs, 'quickbooks-js 1.0.0 server (soap 0.9.1) + counting handler, server process') : undefined;
  if (qbjsPhase) phases.push(qbjsPhase);
  const title = `bench:qbwc-import — one Web Connector session importing ${N.toLocaleString('en-US')} customers (pages of ${PAGE_SIZE})`;
  report(title, phases, [
    { label: 'our session wall time / parseQbxml alone wall time', of: oursPhase, to: ours.parser },
  ]);
  console.log(details(qbjs ? [ours.figures, qbjs] : [ours.figures]));
  const lines = [
    '',
    `ratio our server CPU / parseQbxml alone CPU: ${(ours.figures.cpuMs / ours.parser.cpuMs).toFixed(2)}× (target ≤ 2×)`,
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
    lines.push(`ratio quickbooks-js server CPU / parseQbxml alone CPU, per record: ${(perRecord(qbjs) / perRecord({ cpuMs: ours.parser.cpuMs, records: N })).toFixed(2)}×`);
    lines.push(`ratio our server peak RSS / quickbooks-js server peak RSS: ${(ours.figures.maxRssMb / qbjs.maxRssMb).toFixed(2)}×`);
  }
  lines.push(
    '',
    `our server: every one of the ${N.toLocaleString('en-US')} customers arrived (job result, mirror, store). ` +
      'Note: quickbooks-js answers results wrapped in <string>/<int> (read as null by the real Web Connector, qbwc.md §1.5); ' +
      'its client reads them leniently. Server CPU includes everything the server process did during the session (SOAP, qbXML, store, GC).',
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
