import http from 'node:http';
import { nodeHelper as helper } from './helper';

/**
 * Loads node modules into the test helper while capturing Node-RED's httpNode app, which the helper
 * never mounts (node-red-node-test-helper#53), and serves it on 127.0.0.1 so flows' HTTP endpoints
 * can be driven for real.
 */
export class FlowServer {
  private httpNode?: http.RequestListener;
  private server?: http.Server;
  port = 0;

  /** Wraps node modules so the httpNode app they are given is captured. */
  wrap(modules: Array<(RED: any) => unknown>): Array<(RED: any) => unknown> {
    return modules.map((mod) => (RED: any) => {
      this.httpNode = RED.httpNode;
      return mod(RED);
    });
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
      await helper.load(this.wrap(modules), flow, credentials);
    } finally {
      Object.assign(core, originals);
    }
    if (!this.httpNode) throw new Error('no node module was loaded');
    this.server = http.createServer(this.httpNode);
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as { port: number }).port;
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
    if (this.server?.listening) await new Promise((r) => this.server!.close(r));
  }
}

/** Polls `check` until it returns a truthy value (bounded; fails with `what`). */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
