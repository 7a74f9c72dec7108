/** Test fixtures for the Web Connector service: a fake durable work source, a fake request processor, a live server. */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach } from 'node:test';
import { createQbwcService, type QbwcService, type QbwcServiceOptions } from '../../../nodes/lib/company/qbwc/service';
import { mountOnHttpServer } from '../../support/http-mount';
import type { QbwcWorkSource, ReceivedResponse, SendRequestContext, SessionEndReason } from '../../../nodes/lib/company/qbwc/work-source';
import type { RequestProcessor } from '../../sim/qbwc';

export const USER = 'nodered-qb';
export const PASSWORD = 'S3cret&Pass';
export const PATH = '/qbwc';

type JobState = 'queued' | 'sent' | 'done' | 'failed';
interface Job {
  id: string;
  state: JobState;
  ticket?: string;
  attempts: number;
}

type Failing = 'hasWork' | 'beginSession' | 'nextRequest' | 'handleResponse' | 'connectionError' | 'endSession' | 'lastError';

/**
 * A queue that survives sessions like the real durable one: a job is "sent" while a session has it,
 * "done" when its response came back, and goes back to "queued" when its session ends without an answer.
 */
export class FakeWorkSource implements QbwcWorkSource {
  companyFile?: string;
  readonly jobs: Job[];
  readonly calls: string[] = [];
  readonly ended: Array<{ ticket: string; reason: SessionEndReason }> = [];
  readonly contexts: SendRequestContext[] = [];
  readonly responses: ReceivedResponse[] = [];
  failing = new Set<Failing>();
  /** Returned by nextRequest instead of the next job (e.g. null to starve the session). */
  starve = false;
  hasWorkDelayMs = 0;
  /** When set, handleResponse answers these percents in turn (after doing the job's bookkeeping). */
  percentScript?: number[];
  private readonly errors = new Map<string, string>();
  private readonly doneIn = new Map<string, number>();
  private readonly endWaiters: Array<{ reason: SessionEndReason; resolve: (ticket: string) => void }> = [];

  constructor(jobCount: number) {
    this.jobs = Array.from({ length: jobCount }, (_, i) => ({ id: `job-${i + 1}`, state: 'queued' as JobState, attempts: 0 }));
  }

  private maybeFail(name: Failing): void {
    if (this.failing.has(name)) throw new Error(`${name} exploded`);
  }

  async hasWork(): Promise<boolean> {
    this.calls.push('hasWork');
    if (this.hasWorkDelayMs) await new Promise((r) => setTimeout(r, this.hasWorkDelayMs));
    this.maybeFail('hasWork');
    return this.jobs.some((j) => j.state === 'queued');
  }

  async beginSession(ticket: string): Promise<void> {
    this.calls.push('beginSession');
    this.maybeFail('beginSession');
    this.doneIn.set(ticket, 0);
  }

  async nextRequest(ticket: string, context: SendRequestContext): Promise<string | null> {
    this.calls.push('nextRequest');
    this.contexts.push(context);
    this.maybeFail('nextRequest');
    if (this.starve) return null;
    const job = this.jobs.find((j) => j.state === 'queued');
    if (!job) return null;
    job.state = 'sent';
    job.ticket = ticket;
    job.attempts++;
    return `<?xml version="1.0" encoding="utf-8"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerQueryRq requestID="${job.id}"><MaxReturned>1</MaxReturned></CustomerQueryRq></QBXMLMsgsRq></QBXML>`;
  }

  async handleResponse(ticket: string, response: ReceivedResponse): Promise<{ percent: number }> {
    this.calls.push('handleResponse');
    this.responses.push(response);
    this.maybeFail('handleResponse');
    const job = this.jobs.find((j) => j.state === 'sent' && j.ticket === ticket);
    if (!job) return { percent: -1 };
    if (response.hresult) {
      job.state = 'failed';
      this.errors.set(ticket, `${job.id} failed: ${response.hresult} ${response.message}`);
      return { percent: -1 };
    }
    job.state = 'done';
    const done = (this.doneIn.get(ticket) ?? 0) + 1;
    this.doneIn.set(ticket, done);
    const remaining = this.jobs.filter((j) => j.state === 'queued').length;
    const scripted = this.percentScript?.shift();
    if (scripted !== undefined) return { percent: scripted };
    return { percent: remaining === 0 ? 100 : Math.min(99, Math.floor((100 * done) / (done + remaining))) };
  }

  async connectionError(ticket: string, hresult: string, message: string): Promise<void> {
    this.calls.push('connectionError');
    this.errors.set(ticket, `${hresult} ${message}`);
    this.maybeFail('connectionError');
  }

  async endSession(ticket: string, reason: SessionEndReason): Promise<string | void> {
    this.calls.push(`endSession:${reason}`);
    this.ended.push({ ticket, reason });
    for (const j of this.jobs) if (j.state === 'sent' && j.ticket === ticket) j.state = 'queued';
    for (let i = this.endWaiters.length - 1; i >= 0; i--) {
      if (this.endWaiters[i].reason === reason) this.endWaiters.splice(i, 1)[0].resolve(ticket);
    }
    this.maybeFail('endSession');
    const done = this.doneIn.get(ticket) ?? 0;
    return `OK: ${done} done`;
  }

  lastError(ticket: string): string {
    this.maybeFail('lastError');
    return this.errors.get(ticket) ?? '';
  }

  /** Resolves with the ticket of the next session ended for this reason. */
  nextEnd(reason: SessionEndReason): Promise<string> {
    return new Promise((resolve) => this.endWaiters.push({ reason, resolve }));
  }

  count(state: JobState): number {
    return this.jobs.filter((j) => j.state === state).length;
  }
}

/** Answers every request with a minimal status-OK response echoing its requestID. */
export class FakeProcessor implements RequestProcessor {
  readonly seen: string[] = [];
  processRequest(qbxml: string): string {
    this.seen.push(qbxml);
    if (qbxml.includes('HostQueryRq')) {
      return '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><HostQueryRs requestID="0" statusCode="0" statusSeverity="Info" statusMessage="Status OK"><HostRet><ProductName>QuickBooks Premier 2019</ProductName></HostRet></HostQueryRs></QBXMLMsgsRs></QBXML>';
    }
    const id = /requestID="([^"]*)"/.exec(qbxml)?.[1] ?? '';
    return `<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><CustomerQueryRs requestID="${id}" statusCode="1" statusSeverity="Info" statusMessage="A query request did not find a matching object in QuickBooks" /></QBXMLMsgsRs></QBXML>`;
  }
}

export interface Running {
  url: string;
  service: QbwcService;
  server: http.Server;
  work: FakeWorkSource;
  close(): Promise<void>;
}

/** A service on 127.0.0.1 (random port) at PATH over a fresh FakeWorkSource. */
export async function startService(
  work: FakeWorkSource,
  options: Partial<QbwcServiceOptions> = {},
): Promise<Running> {
  const service = await createQbwcService({ workSource: work, username: USER, password: PASSWORD, idleTimeoutMs: 60_000, ...options });
  const server = http.createServer();
  mountOnHttpServer(server, PATH, service.handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${PATH}`,
    service,
    server,
    work,
    async close() {
      await service.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Hooks for the enclosing describe: before each test a service (startService) over a fresh
 * FakeWorkSource of `jobs` jobs, handed to `use`; closed after the test.
 */
export function servicePerTest(jobs: number, use: (running: Running) => void, options: Partial<QbwcServiceOptions> = {}): void {
  let running: Running | undefined;
  beforeEach(async () => {
    running = await startService(new FakeWorkSource(jobs), options);
    use(running);
  });
  afterEach(() => running?.close());
}

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw HTTP request (for hostile and malformed bodies). */
export function rawRequest(url: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer; chunks?: Buffer[] }): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'POST', headers: options.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      // The server may close the socket after answering 413 while we are still writing.
      if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
    });
    if (options.chunks) {
      for (const c of options.chunks) req.write(c);
      req.end();
    } else {
      req.end(options.body);
    }
  });
}

export const SOAP_HEADERS = (op: string): Record<string, string> => ({
  'Content-Type': 'text/xml; charset=utf-8',
  SOAPAction: `"http://developer.intuit.com/${op}"`,
});
