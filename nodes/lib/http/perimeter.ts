import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyError, MAX_JSON_DEPTH, parseJsonBody, readLimitedBody } from './body';

/** How the flows' REST endpoints are protected (from `settings.quickbooks.http`, see README). */
export interface PerimeterOptions {
  /** Largest request body in bytes (413 above it). */
  maxBodyBytes?: number;
  /** Deepest JSON nesting (400 above it). */
  maxDepth?: number;
  /** Origins (scheme://host[:port]) other web pages may call the endpoints from; none by default. */
  corsOrigins?: string[];
  /** A bearer token every request must carry (`Authorization: Bearer …`). */
  token?: string;
  /** A user name and password every request may carry instead (`Authorization: Basic …`). */
  user?: string;
  password?: string;
}

/** One HTTP In endpoint that feeds a QuickBooks node. */
export interface GuardedRoute {
  method: string;
  url: string;
}

export const DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024;
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const CORS_HEADERS = ['Access-Control-Allow-Origin', 'Access-Control-Allow-Methods', 'Access-Control-Allow-Headers', 'Access-Control-Allow-Credentials', 'Access-Control-Expose-Headers', 'Access-Control-Max-Age'];

type Req = IncomingMessage & { body?: unknown; _body?: boolean; path?: string };
type Next = (err?: unknown) => void;

/** Answers a refused request: JSON `{error}` and the status, nothing else (no stack, no path). */
export function sendJsonError(res: ServerResponse, status: number, error: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ error });
  res.statusCode = status;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

/**
 * Reads and parses a JSON request body within the limits (see `parseJsonBody`) into `req.body`, marked
 * as read so Express's body parsers leave it alone. A refusal is answered here (JSON `{error}`) and
 * resolves false.
 */
export async function readJsonBody(req: Req, res: ServerResponse, maxBytes = DEFAULT_MAX_BODY_BYTES, maxDepth = MAX_JSON_DEPTH): Promise<boolean> {
  try {
    req.body = parseJsonBody(await readLimitedBody(req, maxBytes), maxDepth);
  } catch (err) {
    if (err instanceof BodyError) {
      sendJsonError(res, err.status, err.message);
      return false;
    }
    throw err;
  }
  req._body = true;
  return true;
}

/** An Express route path (`/a/:id/b`, `*`) as a regular expression over the request path. */
function routePattern(url: string): RegExp {
  const path = url.startsWith('/') ? url : `/${url}`;
  const source = path
    .split('/')
    .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, (c) => (c === '*' ? '.*' : `\\${c}`))))
    .join('/');
  return new RegExp(`^${source}/?$`, 'i');
}

function digest(text: string): Buffer {
  return crypto.createHash('sha256').update(text, 'utf8').digest();
}

/** Compares two secrets in constant time (of their digests), so timing tells nothing. */
function sameSecret(given: string, expected: string): boolean {
  return crypto.timingSafeEqual(digest(given), digest(expected));
}

export function mediaType(req: IncomingMessage): string {
  return String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

export function isJsonType(type: string): boolean {
  return type === 'application/json' || /^application\/[\w.+-]+\+json$/.test(type);
}

/**
 * The flows' REST endpoints' perimeter, as one middleware placed before Node-RED's HTTP In routes:
 * for a request to an endpoint that feeds a QuickBooks node, it
 * - gives no CORS allowance (the editor's `*` is taken off) unless the caller's origin is configured;
 * - refuses a state-changing request from another site (its `Origin` is neither this host nor configured);
 * - asks for the configured bearer token or basic credentials (401);
 * - accepts only `application/json` bodies on state-changing methods (415);
 * - reads the body within its byte limit (413) and parses it only after a scan of its nesting (400),
 *   so Node-RED's own body parser, and every clone after it, get a bounded value.
 * Every refusal is JSON `{error}`. Other paths pass untouched.
 */
export class Perimeter {
  private routes: Array<{ method: string; pattern: RegExp }> = [];
  private readonly maxBodyBytes: number;
  private readonly maxDepth: number;
  private readonly origins: Set<string>;

  constructor(private readonly options: PerimeterOptions = {}) {
    this.maxBodyBytes = options.maxBodyBytes && options.maxBodyBytes > 0 ? options.maxBodyBytes : DEFAULT_MAX_BODY_BYTES;
    this.maxDepth = options.maxDepth && options.maxDepth > 0 ? options.maxDepth : MAX_JSON_DEPTH;
    this.origins = new Set((options.corsOrigins ?? []).map((o) => o.trim().replace(/\/$/, '').toLowerCase()).filter(Boolean));
  }

  /** Replaces the guarded endpoints (after each deploy). */
  setRoutes(routes: GuardedRoute[]): void {
    this.routes = routes.map((r) => ({ method: r.method.toUpperCase(), pattern: routePattern(r.url) }));
  }

  /** Whether a request goes to a guarded endpoint (any method for a preflight). */
  guards(method: string | undefined, path: string): boolean {
    const m = (method ?? 'GET').toUpperCase();
    return this.routes.some((r) => r.pattern.test(path) && (r.method === m || r.method === 'ALL' || (m === 'OPTIONS') || (m === 'HEAD' && r.method === 'GET')));
  }

  /** The Express middleware. */
  readonly middleware = (req: Req, res: ServerResponse, next: Next): void => {
    const path = req.path ?? new URL(req.url ?? '/', 'http://x').pathname;
    if (!this.guards(req.method, path)) return next();
    this.handle(req, res, next).catch(() => sendJsonError(res, 400, 'the request could not be read'));
  };

  private async handle(req: Req, res: ServerResponse, next: Next): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin.replace(/\/$/, '').toLowerCase() : undefined;
    const allowed = origin !== undefined && this.origins.has(origin);
    for (const h of CORS_HEADERS) res.removeHeader(h);
    if (allowed) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
    }
    if (method === 'OPTIONS') {
      if (!allowed) return sendJsonError(res, 403, 'cross-origin requests to this endpoint are not allowed');
      res.setHeader('Access-Control-Allow-Methods', 'GET,POST');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization');
      res.statusCode = 204;
      res.end();
      return;
    }
    if (UNSAFE_METHODS.has(method) && !allowed && this.crossSite(req, origin)) {
      return sendJsonError(res, 403, 'a request from another site cannot change anything here');
    }
    if (!this.authorised(req)) {
      return sendJsonError(res, 401, 'authentication required', { 'WWW-Authenticate': 'Basic realm="qbsync", charset="UTF-8"' });
    }
    if (!UNSAFE_METHODS.has(method)) return next();
    const type = mediaType(req);
    const declared = Number(req.headers['content-length'] ?? 0);
    if (!isJsonType(type) && !(type === '' && declared === 0 && req.headers['transfer-encoding'] === undefined)) {
      return sendJsonError(res, 415, 'the body must be JSON (Content-Type: application/json)');
    }
    if (await readJsonBody(req, res, this.maxBodyBytes, this.maxDepth)) next();
  }

  /** Another site's page: an `Origin` that is not this host, or the browser saying so. */
  private crossSite(req: Req, origin: string | undefined): boolean {
    if (req.headers['sec-fetch-site'] === 'cross-site') return true;
    if (origin === undefined) return false;
    if (origin === 'null') return true;
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      return true;
    }
    return host !== String(req.headers.host ?? '').toLowerCase();
  }

  private authorised(req: Req): boolean {
    const { token, user, password } = this.options;
    if (!token && !(user && password)) return true;
    const header = String(req.headers.authorization ?? '');
    const bearer = /^Bearer\s+(.+)$/i.exec(header);
    if (bearer && token) return sameSecret(bearer[1]!.trim(), token);
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
    if (basic && user && password) {
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return false;
      // Both compared, always, so a right name with a wrong password takes as long as a wrong name.
      const nameOk = sameSecret(decoded.slice(0, colon), user);
      const passOk = sameSecret(decoded.slice(colon + 1), password);
      return nameOk && passOk;
    }
    return false;
  }
}

/** A flow node as `RED.nodes.eachNode` gives it. */
export interface FlowNodeConfig {
  id: string;
  type: string;
  url?: string;
  method?: string;
  wires?: string[][];
  d?: boolean;
}

/**
 * The HTTP In endpoints whose messages reach a node of one of `types` along the wires (through any
 * change, switch or other node between), i.e. the endpoints that act on QuickBooks data.
 */
export function guardedRoutes(nodes: Iterable<FlowNodeConfig>, types: ReadonlySet<string>): GuardedRoute[] {
  const byId = new Map<string, FlowNodeConfig>();
  for (const n of nodes) byId.set(n.id, n);
  const routes: GuardedRoute[] = [];
  for (const n of byId.values()) {
    if (n.type !== 'http in' || n.d || !n.url) continue;
    const seen = new Set<string>([n.id]);
    const queue = [n];
    let reaches = false;
    while (queue.length && !reaches) {
      for (const out of queue.shift()!.wires ?? []) {
        for (const id of out) {
          if (seen.has(id)) continue;
          seen.add(id);
          const next = byId.get(id);
          if (!next) continue;
          if (types.has(next.type)) reaches = true;
          queue.push(next);
        }
      }
    }
    if (reaches) routes.push({ method: n.method ?? 'get', url: n.url });
  }
  return routes;
}
