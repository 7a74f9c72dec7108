/**
 * A load balancer for tests: an HTTP server on 127.0.0.1 that forwards each request, in turn, to the
 * next of its upstream servers (round robin, no affinity), as a balancer in front of several Node-RED
 * instances may. It reads each request whole before forwarding (it answers `Expect: 100-continue`
 * itself) and records which upstream got which SOAP operation.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Forwarded {
  /** Index of the upstream in the list given to start(). */
  upstream: number;
  /** The SOAPAction's operation ("" for none). */
  op: string;
}

export class RoundRobin {
  readonly forwarded: Forwarded[] = [];
  /** Upstreams taken out of the rotation (an instance that was shut down). */
  readonly down = new Set<number>();
  /** Awaited before the nth request (1-based) is forwarded: a test stops an instance mid-session here. */
  before?: (n: number, op: string) => Promise<void>;
  private next = 0;
  private count = 0;

  private constructor(
    private readonly upstreams: string[],
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(upstreams: string[], path: string): Promise<RoundRobin> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
    const rr = new RoundRobin(upstreams, server, url);
    server.on('request', (req, res) => {
      rr.forward(req, res).catch((err: Error) => {
        if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
        res.end(`balancer: ${err.message}`);
      });
    });
    return rr;
  }

  /** How many requests each upstream got. */
  perUpstream(): number[] {
    return this.upstreams.map((_, i) => this.forwarded.filter((f) => f.upstream === i).length);
  }

  private pick(): number {
    for (let tries = 0; tries < this.upstreams.length; tries++) {
      const i = this.next++ % this.upstreams.length;
      if (!this.down.has(i)) return i;
    }
    throw new Error('no upstream is up');
  }

  private async forward(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const action = typeof req.headers.soapaction === 'string' ? req.headers.soapaction.replace(/"/g, '') : '';
    const op = action.slice(action.lastIndexOf('/') + 1);
    const n = ++this.count;
    await this.before?.(n, op);
    const upstream = this.pick();
    this.forwarded.push({ upstream, op });
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (!['host', 'expect', 'connection', 'content-length', 'transfer-encoding'].includes(k) && v !== undefined) headers[k] = v;
    }
    headers['content-length'] = String(body.length);
    await new Promise<void>((resolve, reject) => {
      const out = http.request(this.upstreams[upstream] as string, { method: req.method, headers, agent: false }, (answer) => {
        const parts: Buffer[] = [];
        answer.on('data', (c: Buffer) => parts.push(c));
        answer.on('end', () => {
          const text = Buffer.concat(parts);
          res.writeHead(answer.statusCode ?? 502, { 'Content-Type': String(answer.headers['content-type'] ?? 'text/plain'), 'Content-Length': String(text.length) });
          res.end(text);
          resolve();
        });
        answer.on('error', reject);
      });
      out.on('error', reject);
      out.end(body);
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
