import type { IncomingMessage, ServerResponse } from 'node:http';
import * as soap from 'soap';
import { messageOf } from '../../errors';
import { BodyError, readLimitedBody, type MaybeParsedRequest } from '../../http/body';
import { liftResponseText } from './http-body';
import { QbwcOperations, type QbwcLogger, type QbwcOperationsOptions } from './operations';
import { argInt, argString } from './soap-args';
import { soapFault } from './soap-fault';
import { loadWsdl, renderWsdl } from './wsdl';

export type { QbwcWorkSource, SendRequestContext, ReceivedResponse, SessionEndReason } from './work-source';
export type { QbwcLogger } from './operations';

/** Default request body limit: qbXML responses of big queries run to several megabytes. */
export const DEFAULT_MAX_BODY_BYTES = 20 * 1024 * 1024;

/** The Web Connector operations this service answers (SOAPAction suffixes). */
export const QBWC_OPERATIONS = [
  'serverVersion',
  'clientVersion',
  'authenticate',
  'sendRequestXML',
  'receiveResponseXML',
  'connectionError',
  'getLastError',
  'closeConnection',
  'getInteractiveURL',
  'interactiveDone',
  'interactiveRejected',
] as const;

export interface QbwcServiceOptions extends QbwcOperationsOptions {
  /** Largest accepted request body in bytes (default 20 MiB); larger bodies get HTTP 413. */
  maxBodyBytes?: number;
  /** Public endpoint URL written into the served WSDL (default: derived from the request). */
  publicUrl?: string;
}

/** A connect/express-style handler; also usable directly as a node:http request listener. */
export type QbwcRequestHandler = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

export interface QbwcService {
  /** Handles every request routed to it (mount it at the endpoint path). After close() it calls next() or answers 503. */
  readonly handler: QbwcRequestHandler;
  /** The protocol layer (sessions, callbacks), for status displays and tests. */
  readonly operations: QbwcOperations;
  readonly closed: boolean;
  /**
   * Stops answering. On a store only this process opens, running sessions end (endSession 'expired');
   * on a shared store they stay for the other instances. Idempotent.
   */
  close(): Promise<void>;
}

type Args = Record<string, unknown> | null | undefined;

/** The request header (set by the service itself, never taken from the client) naming a lifted response text. */
const LIFTED_HEADER = 'x-qbsync-lifted-response';

/** The request header (set by the service itself from the socket, never taken from the client) naming the caller's address. */
const REMOTE_HEADER = 'x-qbsync-remote-address';

/** The caller's socket address, as the service put it on the request it hands to soap. */
function remoteOf(req: unknown): string | undefined {
  const value = (req as { headers?: Record<string, unknown> } | undefined)?.headers?.[REMOTE_HEADER];
  return typeof value === 'string' ? value : undefined;
}

/** receiveResponseXML texts lifted out of their envelopes (liftResponseText), by request, while soap handles them. */
class LiftedTexts {
  private readonly texts = new Map<string, string>();
  private seq = 0;

  put(text: string): string {
    const id = String(++this.seq);
    this.texts.set(id, text);
    return id;
  }

  delete(id: string): void {
    this.texts.delete(id);
  }

  /** The `response` argument: the lifted text when the emptied element is the operation's own, else as soap parsed it. */
  response(args: Args, req: unknown): string {
    const parsed = argString(args, 'response');
    const id = (req as { headers?: Record<string, unknown> } | undefined)?.headers?.[LIFTED_HEADER];
    if (typeof id !== 'string' || parsed !== '' || !args || !Object.prototype.hasOwnProperty.call(args, 'response')) return parsed;
    return this.texts.get(id) ?? parsed;
  }
}

function soapServices(ops: QbwcOperations, lifted: LiftedTexts): soap.IServices {
  return {
    QBWebConnectorSvc: {
      QBWebConnectorSvcSoap: {
        serverVersion: () => ({ serverVersionResult: ops.serverVersion() }),
        clientVersion: (a: Args) => ({ clientVersionResult: ops.clientVersion(argString(a, 'strVersion')) }),
        authenticate: async (a: Args, _callback: unknown, _headers: unknown, req: unknown) => ({
          authenticateResult: { string: await ops.authenticate(argString(a, 'strUserName'), argString(a, 'strPassword'), remoteOf(req)) },
        }),
        sendRequestXML: async (a: Args) => ({
          sendRequestXMLResult: await ops.sendRequestXML(
            argString(a, 'ticket'),
            argString(a, 'strHCPResponse'),
            argString(a, 'strCompanyFileName'),
            argString(a, 'qbXMLCountry'),
            argInt(a, 'qbXMLMajorVers'),
            argInt(a, 'qbXMLMinorVers'),
          ),
        }),
        receiveResponseXML: async (a: Args, _callback: unknown, _headers: unknown, req: unknown) => ({
          receiveResponseXMLResult: await ops.receiveResponseXML(
            argString(a, 'ticket'),
            lifted.response(a, req),
            argString(a, 'hresult'),
            argString(a, 'message'),
          ),
        }),
        connectionError: async (a: Args) => ({
          connectionErrorResult: await ops.connectionError(argString(a, 'ticket'), argString(a, 'hresult'), argString(a, 'message')),
        }),
        getLastError: async (a: Args) => ({ getLastErrorResult: await ops.getLastError(argString(a, 'ticket')) }),
        closeConnection: async (a: Args) => ({ closeConnectionResult: await ops.closeConnection(argString(a, 'ticket')) }),
        getInteractiveURL: () => ({ getInteractiveURLResult: ops.getInteractiveURL() }),
        interactiveDone: () => ({ interactiveDoneResult: ops.interactiveDone() }),
        interactiveRejected: () => ({ interactiveRejectedResult: ops.interactiveRejected() }),
      },
    },
  };
}

/** A soap Server without an HTTP server of its own: we feed it bodies we have read and checked. */
function createSoapServer(services: soap.IServices, log: QbwcLogger): Promise<soap.Server> {
  return new Promise((resolve, reject) => {
    const server: soap.Server = soap.listen(null, {
      path: '/',
      services,
      xml: loadWsdl(),
      suppressStack: true,
      callback: (err: unknown) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(server)),
    });
    server.log = (type: string, data: unknown) => {
      // malformed requests are answered with a fault; logged as info so hostile traffic cannot flood the warnings
      if (type === 'error') log('info', `SOAP request rejected: ${messageOf(data).slice(0, 300)}`);
    };
  });
}

function send(res: ServerResponse, status: number, contentType: string, body: string, extra: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': String(buf.length), ...extra });
  res.end(buf);
}

const XML = 'text/xml; charset=utf-8';

function sendFault(res: ServerResponse, code: 'soap:Client' | 'soap:Server', message: string): void {
  send(res, 500, XML, soapFault(code, message));
}

function soapActionOperation(req: IncomingMessage): string | undefined {
  const raw = req.headers.soapaction;
  if (typeof raw !== 'string') return undefined;
  const action = raw.trim().replace(/^"|"$/g, '');
  if (action === '') return undefined;
  return action.slice(action.lastIndexOf('/') + 1);
}

function requestUrl(req: IncomingMessage): URL {
  const original = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
  const encrypted = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  return new URL(original, `${encrypted ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`);
}

/**
 * Creates the QuickBooks Web Connector SOAP service. Mount `handler` at the endpoint path, e.g.
 * `app.all('/blubilling/qbwc', service.handler)` on RED.httpNode (the tests mount it on a plain server: test/support/http-mount).
 */
export async function createQbwcService(options: QbwcServiceOptions): Promise<QbwcService> {
  const log: QbwcLogger = options.log ?? (() => undefined);
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const operations = new QbwcOperations({ ...options, log });
  const lifted = new LiftedTexts();
  const soapServer = await createSoapServer(soapServices(operations, lifted), log);
  const known = new Set<string>(QBWC_OPERATIONS);
  let closed = false;
  let closing: Promise<void> | undefined;

  async function handlePost(req: MaybeParsedRequest, res: ServerResponse): Promise<void> {
    let body: Buffer;
    try {
      body = await readLimitedBody(req, maxBody);
    } catch (err) {
      if (err instanceof BodyError) {
        send(res, err.status, 'text/plain; charset=utf-8', err.message, err.status === 413 ? { Connection: 'close' } : {});
      } else {
        send(res, 400, 'text/plain; charset=utf-8', 'Could not read the request body');
      }
      return;
    }
    const op = soapActionOperation(req);
    // A qbXML answer of hundreds of kilobytes: take its text out before the soap package parses the
    // envelope. The lifted text holds no markup, so the check below still sees every declaration.
    const lift = op === 'receiveResponseXML' ? liftResponseText(body) : undefined;
    const xml = lift ? lift.envelope : body.toString('utf8');
    if (/<!DOCTYPE|<!ENTITY/i.test(xml)) {
      sendFault(res, 'soap:Client', 'DOCTYPE and ENTITY declarations are not allowed');
      return;
    }
    if (op !== undefined && !known.has(op)) {
      sendFault(res, 'soap:Client', `Unknown SOAPAction operation "${op.slice(0, 100)}"`);
      return;
    }
    const headers: Record<string, string | string[]> = { soapaction: req.headers.soapaction ?? '', 'content-type': XML };
    const remote = req.socket?.remoteAddress;
    if (remote) headers[REMOTE_HEADER] = remote;
    const liftedId = lift ? lifted.put(lift.text) : undefined;
    if (liftedId !== undefined) headers[LIFTED_HEADER] = liftedId;
    let answer: Awaited<ReturnType<soap.Server['processRequest']>>;
    try {
      answer = await soapServer.processRequest(xml, { method: 'POST', url: '/', headers });
    } finally {
      if (liftedId !== undefined) lifted.delete(liftedId);
    }
    if (answer.statusCode !== 200 || !answer.body.startsWith('<?xml')) {
      sendFault(res, 'soap:Client', 'Malformed or unsupported SOAP request');
      return;
    }
    send(res, 200, XML, answer.body);
  }

  function handleGet(req: IncomingMessage, res: ServerResponse): void {
    const url = requestUrl(req);
    const wantsWsdl = [...url.searchParams.keys()].some((k) => k.toLowerCase() === 'wsdl');
    if (wantsWsdl) {
      const location = options.publicUrl ?? `${url.origin}${url.pathname}`;
      send(res, 200, XML, renderWsdl(location));
      return;
    }
    const text = 'QuickBooks Web Connector endpoint. Add the .qwc file to the QuickBooks Web Connector to use it.';
    if (req.method === 'HEAD') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)) });
      res.end();
      return;
    }
    send(res, 200, 'text/plain; charset=utf-8', text);
  }

  const handler: QbwcRequestHandler = (req, res, next) => {
    if (closed) {
      if (next) next();
      else send(res, 503, 'text/plain; charset=utf-8', 'The Web Connector service is stopped');
      return;
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      handleGet(req, res);
      return;
    }
    if (req.method !== 'POST') {
      send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed', { Allow: 'GET, HEAD, POST' });
      return;
    }
    handlePost(req, res).catch((err: unknown) => {
      log('error', `Web Connector request failed: ${messageOf(err)}`);
      sendFault(res, 'soap:Server', 'Internal error');
    });
  };

  return {
    handler,
    operations,
    get closed() {
      return closed;
    },
    close(): Promise<void> {
      closed = true;
      closing ??= operations.close();
      return closing;
    },
  };
}
