import fs from 'node:fs';
import path from 'node:path';
import { Perimeter, guardedRoutes, isJsonType, mediaType, readJsonBody, sendJsonError, type FlowNodeConfig, type PerimeterOptions } from '../http/perimeter';
import { packageRoot } from '../util/package-root';
import type { NodeAPI } from './types';

const installed = new WeakMap<object, Perimeter>();

/** This package's node types (package.json `node-red.nodes`): an endpoint that reaches one is guarded. */
function packageTypes(): Set<string> {
  const manifest = JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { 'node-red'?: { nodes?: Record<string, string> } };
  return new Set(Object.keys(manifest['node-red']?.nodes ?? {}));
}

interface RouterLayer {
  name?: string;
}
interface ExpressApp {
  use(fn: (req: any, res: any, next: (arg?: unknown) => void) => void): void;
  _router?: { stack: RouterLayer[] };
  router?: { stack: RouterLayer[] };
  /** Set by Express on an app mounted in another. */
  parent?: ExpressApp;
}

/** This package's admin routes (the console, rules, connections, OAuth). */
const OWN_ADMIN_PATHS = /^\/(qbsync|qbo-connection|qbwc-server)(\/|$)/;
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function stackOf(app: ExpressApp & { lazyrouter?: () => void }): RouterLayer[] | undefined {
  try {
    // Express 4 creates its router on first use and throws on `app.router`; Express 5 has `app.router`.
    if (typeof app.lazyrouter === 'function') app.lazyrouter();
    return app._router?.stack ?? app.router?.stack;
  } catch {
    return undefined;
  }
}

/**
 * Node-RED 4's admin app answers every preflight under its root with `Access-Control-Allow-Origin: *`,
 * and with both roots at `/` that covers the flows' endpoints too; Node-RED 4 and 5 both parse every
 * JSON body under that root. A layer placed before that CORS layer (else before the JSON parser) sends a guarded endpoint's requests straight on to the HTTP nodes' app (`next('router')`),
 * where the perimeter answers them (and the editor's JSON parser never reads their bodies). Without access to the router's stack (another Express) the
 * perimeter still takes the header off and refuses the cross-site request itself.
 */
function passGuardedPastAdminCors(runtimeAdmin: ExpressApp, perimeter: Perimeter): boolean {
  // Nodes get the runtime's admin app; the editor's, which holds the CORS layer, is the app it is mounted in.
  let admin: ExpressApp | undefined = runtimeAdmin;
  let corsAt = -1;
  for (let hops = 0; admin && hops < 3; hops++, admin = admin.parent) {
    // Node-RED 4 puts a CORS layer first; Node-RED 5 has none, and its JSON parser comes first.
    corsAt = stackOf(admin)?.findIndex((l) => l.name === 'corsMiddleware' || l.name === 'jsonParser') ?? -1;
    if (corsAt >= 0) break;
  }
  const stack = admin && stackOf(admin);
  if (!admin || !stack || corsAt < 0) return false;
  admin.use(function qbsyncPastAdminCors(req: any, res: any, next: (arg?: unknown) => void) {
    const at = req.path ?? '/';
    if (perimeter.guards(req.method, at)) return next('router');
    if (!OWN_ADMIN_PATHS.test(at) || !BODY_METHODS.has(String(req.method)) || !isJsonType(mediaType(req))) return next();
    // This package's admin routes: the editor's JSON parser would answer a broken body with an HTML
    // page and a stack trace, and takes any depth; the bounded reader answers JSON.
    readJsonBody(req, res).then((ok) => ok && next(), () => sendJsonError(res, 400, 'the request could not be read'));
  });
  const layer = stack.pop()!;
  stack.splice(corsAt, 0, layer);
  return true;
}

/**
 * Puts the perimeter (see `Perimeter`) in front of the flows' HTTP In endpoints, once per runtime:
 * options from `settings.quickbooks.http`; the guarded endpoints recomputed as each deploy starts,
 * before the HTTP In nodes serve requests.
 */
export function registerPerimeter(RED: NodeAPI): Perimeter | undefined {
  const app = RED.httpNode as unknown as ExpressApp | undefined;
  if (!app || typeof app.use !== 'function') return undefined;
  const existing = installed.get(app);
  if (existing) return existing;
  const qb = (RED.settings.quickbooks ?? {}) as { http?: PerimeterOptions };
  const perimeter = new Perimeter(qb.http ?? {});
  installed.set(app, perimeter);
  app.use(perimeter.middleware);
  if (RED.httpAdmin) passGuardedPastAdminCors(RED.httpAdmin as unknown as ExpressApp, perimeter);
  const types = packageTypes();
  // As each deploy starts, before its HTTP In nodes serve anything: the endpoints of the new flows.
  RED.events?.on('flows:starting', (event: { config?: { flows?: FlowNodeConfig[] } }) => {
    perimeter.setRoutes(guardedRoutes(event?.config?.flows ?? [], types));
  });
  return perimeter;
}
