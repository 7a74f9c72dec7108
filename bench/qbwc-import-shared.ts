/**
 * Shared by bench/qbwc-import.bench.ts (the server processes) and bench/qbwc-import-client.ts (the Web
 * Connector process): the IPC messages, the import's date range, and the server-side meters (CPU per
 * page, sampled RSS). Not a benchmark itself (no `.bench` in the name).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export const USER = 'bench-qbwc';
export const PASSWORD = 'bench-S3cret';
export const COMPANY_FILE = 'C:\\Users\\Public\\Documents\\Intuit\\QuickBooks\\Company Files\\Bench Co.QBW';
/** The seeded customers' TimeModified starts here (one a minute) and the import's range covers them all. */
export const MODIFIED_FROM = '2020-01-01T00:00:00Z';
export const IMPORT_FROM = '2019-01-01';
export const IMPORT_TO = '2030-12-31';
export const PAGE_SIZE = 500;

export interface ClientConfig {
  /** strict: WebConnectorSimulator (the real client's rules); lenient: the same calls, reading quickbooks-js's nested `<string>`/`<int>` results. */
  mode: 'strict' | 'lenient';
  url: string;
  records: number;
  /** Append every CustomerQuery response (as sent to the server) to this file: uint32 LE byte length + UTF-8. */
  pagesFile?: string;
}

export type ToClient = { type: 'go' };

export interface ClientDone {
  type: 'done';
  ok: boolean;
  errors: string[];
  /** qbXML requests received from the server. */
  requests: number;
  finalPercent?: number;
  closeMessage?: string;
  /** Bytes of qbXML responses sent (UTF-8). */
  responseBytes: number;
  clientCpuMs: number;
  clientMs: number;
}

export type FromClient = { type: 'ready'; seedMs: number } | ClientDone;

/** The CPU of each request of one SOAP operation, measured from the request's arrival to the end of its answer. */
export class RequestMeter {
  readonly cpuMs: number[] = [];

  constructor(private readonly soapAction: string) {}

  /** CPU the benchmark itself spent inside the current request (see exclude), left out of its figure. */
  private excluded = 0;

  /** Starts measuring one request (a no-op for other operations); requests arrive one at a time (the Web Connector is sequential). */
  observe(req: IncomingMessage, res: ServerResponse): void {
    if (!String(req.headers.soapaction ?? '').includes(this.soapAction)) return;
    const c0 = process.cpuUsage();
    this.excluded = 0;
    res.once('finish', () => {
      const c = process.cpuUsage(c0);
      this.cpuMs.push((c.user + c.system) / 1000 - this.excluded);
      this.excluded = 0;
    });
  }

  /** Leaves `ms` of CPU (measurement work done inside the request, not the server's) out of the current request's figure. */
  exclude(ms: number): void {
    this.excluded += ms;
  }

  /** Wraps a request handler with observe(). */
  wrap<H extends (req: IncomingMessage, res: ServerResponse) => void>(handler: H): (req: IncomingMessage, res: ServerResponse) => void {
    return (req, res) => {
      this.observe(req, res);
      handler(req, res);
    };
  }

  stats(): { n: number; sum: number; mean: number; p50: number; p95: number; max: number } {
    const s = [...this.cpuMs].sort((a, b) => a - b);
    const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
    const sum = s.reduce((a, b) => a + b, 0);
    return { n: s.length, sum, mean: s.length ? sum / s.length : 0, p50: at(0.5), p95: at(0.95), max: s[s.length - 1] ?? 0 };
  }
}

/** Samples the process RSS every `everyMs` and keeps the peak (the session's own, unlike the lifetime maxRSS). */
export class RssSampler {
  peak = 0;
  private timer?: NodeJS.Timeout;

  start(everyMs = 25): void {
    this.peak = process.memoryUsage.rss();
    this.timer = setInterval(() => {
      const rss = process.memoryUsage.rss();
      if (rss > this.peak) this.peak = rss;
    }, everyMs);
  }

  stop(): number {
    if (this.timer) clearInterval(this.timer);
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
    return this.peak;
  }
}

export const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;
export const round1 = (n: number): number => Math.round(n * 10) / 10;

/** What a server process reports about one session. */
export interface ServerFigures {
  server: string;
  records: number;
  pages: number;
  wallMs: number;
  cpuMs: number;
  perPage: { mean: number; p50: number; p95: number; max: number };
  /** process.resourceUsage().maxRSS after the session (lifetime peak of the server process), MB. */
  maxRssMb: number;
  /** Peak of the RSS sampled during the session, MB. */
  sampledPeakRssMb: number;
  /** RSS just before the session started, MB. */
  startRssMb: number;
  heapUsedMb: number;
  client: ClientDone;
}
