import http from 'node:http';
import { nodeHelper as helper } from './helper';

/**
 * Node-RED's httpNode app as node modules get it, served on 127.0.0.1: the test helper never mounts it
 * (node-red-node-test-helper#53), so HTTP endpoints and the Web Connector path would answer nothing.
 */
export class HttpNodeCapture {
  private httpNode?: http.RequestListener;
  private server?: http.Server;
  port = 0;

  /** Wraps a node module so the httpNode app it is given is captured. */
  wrap(mod: (RED: any) => unknown): (RED: any) => unknown {
    return (RED: any) => {
      this.httpNode = RED.httpNode;
      return mod(RED);
    };
  }

  /** Serves the captured app on a free port; returns the port. */
  async serve(): Promise<number> {
    if (!this.httpNode) throw new Error('no node module was loaded');
    const server = http.createServer(this.httpNode);
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (server.address() as { port: number }).port;
    return this.port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server?.listening) await new Promise((r) => server.close(r));
  }
}

/**
 * Loads node modules into the test helper with their httpNode app served (HttpNodeCapture), so flows'
 * HTTP endpoints can be driven for real.
 */
export class FlowServer {
  private readonly http = new HttpNodeCapture();

  get port(): number {
    return this.http.port;
  }

  async load(modules: Array<(RED: any) => unknown>, flow: unknown[], credentials: Record<string, unknown> = {}): Promise<void> {
    // node-red-node-test-helper 0.3.x preloads the catch/status/complete modules once per such node in
    // the flow, so several flows with a Catch each fail with "catch already registered": once per load.
    const core = (helper as any)._nodeModules as Record<string, (red: unknown) => unknown>;
    const originals = Object.fromEntries(['catch', 'status', 'complete'].filter((t) => core[t]).map((t) => [t, core[t]]));
    for (const [type, mod] of Object.entries(originals)) {
      let registered = false;
      core[type] = (red) => (registered ? undefined : ((registered = true), mod(red)));
    }
    try {
      await helper.load(modules.map((m) => this.http.wrap(m)), flow, credentials);
    } finally {
      Object.assign(core, originals);
    }
    await this.http.serve();
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async request(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(this.url(path), {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed };
  }

  async close(): Promise<void> {
    await helper.unload();
    await this.http.close();
  }
}

export { eventually } from './wait';
