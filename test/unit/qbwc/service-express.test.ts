/** The service mounted on an express app, as the config node will mount it on RED.httpNode. */
import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import type * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createQbwcService, type QbwcService } from '../../../nodes/lib/company/qbwc/service';
import { WebConnectorSimulator } from '../../sim/qbwc';
import { FakeProcessor, FakeWorkSource, PASSWORD, USER, rawRequest } from './service-helpers';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, next: (err?: unknown) => void) => void;
/** The few express calls used here (express ships without types in this tree). */
interface MiniApp {
  all(path: string, handler: Handler): void;
  use(path: string, handler: Handler): void;
  listen(port: number, host: string, cb: () => void): http.Server;
}
interface MiniExpress {
  (): MiniApp;
  raw(options: { type: string; limit: string }): Handler;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const express = require('express') as MiniExpress;

const MOUNT = '/blubilling/qbwc';

async function listen(app: MiniApp): Promise<{ server: http.Server; base: string }> {
  let server!: http.Server;
  await new Promise<void>((resolve) => {
    server = app.listen(0, '127.0.0.1', resolve);
  });
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function stop(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe('qbwc service on express', () => {
  let service: QbwcService;
  let work: FakeWorkSource;
  let server: http.Server;
  let base: string;

  before(async () => {
    work = new FakeWorkSource(2);
    service = await createQbwcService({ workSource: work, username: USER, password: PASSWORD });
    const app = express();
    app.all(MOUNT, service.handler);
    ({ server, base } = await listen(app));
  });
  after(async () => {
    await service.close();
    await stop(server);
  });

  it('runs a full Web Connector session at the mount path', async () => {
    const r = await new WebConnectorSimulator({ url: base + MOUNT, username: USER, password: PASSWORD, processor: new FakeProcessor() }).runSession();
    assert.deepEqual(r.errors, []);
    assert.equal(r.finalPercent, 100);
  });

  it('writes the mounted URL into the WSDL', async () => {
    const r = await rawRequest(`${base}${MOUNT}?wsdl`, { method: 'GET' });
    assert.ok(r.body.includes(`location="${base}${MOUNT}"`));
  });

  it('passes requests on to the next handler after close() (detached on redeploy)', async () => {
    await service.close();
    const r = await rawRequest(base + MOUNT, { method: 'GET' });
    assert.equal(r.status, 404);
  });
});

describe('qbwc service behind a body parser', () => {
  let service: QbwcService;
  let server: http.Server;
  let base: string;

  before(async () => {
    service = await createQbwcService({ workSource: new FakeWorkSource(1), username: USER, password: PASSWORD, maxBodyBytes: 4096 });
    const app = express();
    app.use(MOUNT, express.raw({ type: '*/*', limit: '1mb' }));
    app.all(MOUNT, service.handler);
    ({ server, base } = await listen(app));
  });
  after(async () => {
    await service.close();
    await stop(server);
  });

  it('uses a body already read into req.body', async () => {
    const r = await new WebConnectorSimulator({ url: base + MOUNT, username: USER, password: PASSWORD, processor: new FakeProcessor() }).runSession();
    assert.deepEqual(r.errors, []);
  });

  it('still applies its own size limit to req.body', async () => {
    const r = await rawRequest(base + MOUNT, {
      headers: { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: '"http://developer.intuit.com/serverVersion"', 'Transfer-Encoding': 'chunked' },
      chunks: [Buffer.alloc(3000, 'x'), Buffer.alloc(3000, 'x')],
    });
    assert.equal(r.status, 413);
  });
});
