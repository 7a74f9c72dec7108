/**
 * The QuickBooks console's admin routes (thin: the work is ConsoleService in nodes/lib/console):
 * `GET /qbsync/console` (the page of its own), `GET /qbsync/console/messages` (its strings), and the JSON
 * routes under `/qbsync/console/api/…`. Reading needs `qbsync.read`, every action `qbsync.write`.
 * Changes in the runtime are pushed to open consoles over Node-RED's comms (`qbsync/console/<id>`).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Company, Edition } from '../company/types';
import { ConsoleService, type ConnectionRef } from '../console/service';
import { registry } from '../console/registry';
import { bodyOf, safeMessage } from '../console/validate';
import { packageRoot } from '../util/package-root';
import { connectionStatus } from './admin-routes';
import type { NodeAPI, RequestLike, ResponseLike, RouteHandler } from './types';
import { escapeHtml } from '../util/text';
import { companyTopic, type StoreEvents } from '../store';

export const CONSOLE_ROOT = '/qbsync/console';
const API = `${CONSOLE_ROOT}/api`;
const CONNECTION_TYPES = ['qbo-connection', 'qbwc-server'] as const;
/** Company events that change what a console shows. */
const LIVE_EVENTS = ['status', 'synced', 'job', 'matches', 'imported', 'linked'] as const;
/** Pushes per company are gathered for this long (a burst of events is one message). */
const LIVE_GATHER_MS = 250;
/** What the console shows live besides the company events (ConsoleService.changed): a Web Connector run, General settings saved. */
const SERVICE_EVENTS = ['session', 'settings'] as const;

/** The live events another instance sent (anyone with access to the database can send): known names only. */
function sharedEvents(events: unknown): string[] {
  if (!Array.isArray(events)) return [];
  const known: readonly string[] = [...LIVE_EVENTS, ...SERVICE_EVENTS];
  return [...new Set(events.filter((e): e is string => typeof e === 'string' && known.includes(e)))];
}

const registered = new WeakSet<object>();
let detachPrevious: (() => void) | undefined;

interface RuntimeAPI extends NodeAPI {
  nodes: NodeAPI['nodes'] & { eachNode?: (cb: (config: { id: string; type: string; name?: string; d?: boolean }) => void) => void };
  comms?: { publish(topic: string, data: unknown, retain?: boolean): void };
  events?: { on(event: string, fn: (...args: unknown[]) => void): void; removeListener?(event: string, fn: (...args: unknown[]) => void): void };
}

/** The deployed connection config nodes (enabled ones), by the runtime's flow configuration. */
function deployedConnections(RED: RuntimeAPI): ConnectionRef[] {
  const out: ConnectionRef[] = [];
  RED.nodes.eachNode?.((config) => {
    if (!(CONNECTION_TYPES as readonly string[]).includes(config.type) || config.d) return;
    const node = RED.nodes.getNode(config.id) as { whenCompany?: () => Promise<Company> } | null;
    if (!node?.whenCompany) return;
    const whenCompany = node.whenCompany.bind(node);
    out.push({ id: config.id, type: config.type as ConnectionRef['type'], name: config.name || config.id, edition: (config.type === 'qbwc-server' ? 'qbd' : 'qbo') as Edition, whenCompany });
  });
  return out.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

/** A failure as the console's JSON answer: the status of a console error, else 500 with a message only. */
function answerError(res: ResponseLike, err: unknown, log: NodeAPI['log']): void {
  const e = err as Error & { status?: number; problems?: unknown; code?: string };
  if (e && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    res.status(e.status).json({ error: safeMessage(e.message), ...(e.problems ? { problems: e.problems } : {}) });
    return;
  }
  if (e?.name === 'SchemaError' || e?.name === 'RequestError') {
    res.status(e.code === 'QB_NOT_FOUND' ? 404 : 400).json({ error: safeMessage(e.message), ...(e.problems ? { problems: e.problems } : {}) });
    return;
  }
  log.warn(`[qbsync console] ${e?.message ?? String(err)}`);
  // The message only: never a stack trace or a file path.
  res.status(500).json({ error: safeMessage(e?.message ?? 'the console could not do this') });
}

/**
 * Node-RED answers 401 both to "who are you?" and to a signed-in user without the permission; the
 * console answers the second 403 (`{error}` naming the permission), so a read-only admin is told why.
 */
function forbiddenIfSignedIn(guard: RouteHandler, permission: string): RouteHandler {
  return (req, res, next) => {
    const answer = new Proxy(res, {
      get(target, prop) {
        if (prop === 'status') {
          return (code: number) => (code === 401 && (req as { user?: unknown }).user
            ? { end: () => target.status(403).json({ error: `this needs the ${permission} permission` }) } as unknown as ResponseLike
            : target.status(code));
        }
        const value = (target as unknown as Record<string | symbol, unknown>)[prop];
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    guard(req, answer, next);
  };
}

/** The page of its own: the console without the flow editor (it logs in with Node-RED's adminAuth itself). */
function pageHtml(adminRoot: string): string {
  const root = escapeHtml(adminRoot.endsWith('/') ? adminRoot : `${adminRoot}/`);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>QuickBooks console</title>
<link rel="stylesheet" href="${root}resources/@qbsync/node-red-quickbooks/qb-console.css">
</head><body class="qbc-standalone">
<main id="qbc-root" class="qbc-page"></main>
<script src="${root}resources/@qbsync/node-red-quickbooks/qb-console.js"></script>
<script>QBConsole.standalone(document.getElementById('qbc-root'));</script>
</body></html>`;
}


/** The console's strings for a language (en-US when there is no catalog for it). */
function messages(lang: unknown): Record<string, unknown> {
  const dir = path.join(packageRoot(), 'nodes', 'qbsync-console', 'locales');
  const wanted = typeof lang === 'string' && /^[a-zA-Z]{2}(?:-[a-zA-Z]{2})?$/.test(lang) ? lang : 'en-US';
  for (const l of [wanted, wanted.split('-')[0], 'en-US']) {
    for (const base of [dir, path.join(packageRoot(), 'dist', 'nodes', 'qbsync-console', 'locales')]) {
      const file = path.join(base, l, 'qbsync-console.json');
      if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8'));
    }
  }
  return {};
}

export function registerConsoleRoutes(RED: RuntimeAPI): void {
  if (registered.has(RED.httpAdmin as object)) return;
  registered.add(RED.httpAdmin as object);
  const service = new ConsoleService({ connections: () => deployedConnections(RED), status: connectionStatus }, registry);
  const read = RED.auth.needsPermission('qbsync.read');
  const write = forbiddenIfSignedIn(RED.auth.needsPermission('qbsync.write'), 'qbsync.write');

  // Live: company events → one comms message per company per gather window. The events raised here
  // also go to the consoles of the other instances sharing the store (the store's `console/<id>` topic,
  // once per window); those heard from them are shown here and never sent on again.
  const storeOf = new Map<string, StoreEvents>();
  const latest = new Map<string, Company>();
  const hearing = new Map<string, { events: StoreEvents; stop: () => void }>();
  const pending = new Map<string, { all: Set<string>; raisedHere: Set<string> }>();
  const push = (companyId: string, event: string, raisedHere = true) => {
    let gathered = pending.get(companyId);
    if (!gathered) {
      const g = (gathered = { all: new Set<string>(), raisedHere: new Set<string>() });
      pending.set(companyId, g);
      setTimeout(() => {
        pending.delete(companyId);
        RED.comms?.publish(`qbsync/console/${companyId}`, { connection: companyId, events: [...g.all], at: new Date().toISOString() }, false);
        if (g.raisedHere.size) void storeOf.get(companyId)?.publish(companyTopic('console', companyId), { events: [...g.raisedHere] });
      }, LIVE_GATHER_MS).unref?.();
    }
    gathered.all.add(event);
    if (raisedHere) gathered.raisedHere.add(event);
  };
  service.changed = push;
  /** The other instances' live events of a company (one subscription per company id and store). */
  const hearElsewhere = (company: Company) => {
    storeOf.set(company.id, company.storeEvents);
    latest.set(company.id, company);
    const now = hearing.get(company.id);
    if (now?.events === company.storeEvents) return;
    now?.stop();
    const stop = company.storeEvents.subscribe(companyTopic('console', company.id), (m) => {
      if (m.own) return;
      // a gap or a message too large: all may have changed
      const events = m.payload ? sharedEvents(m.payload.events) : [...LIVE_EVENTS, ...SERVICE_EVENTS];
      if (events.length === 0) return;
      const current = latest.get(company.id) ?? company;
      service.heardElsewhere(current, events)
        .catch((err) => RED.log.warn(`[qbsync console] ${(err as Error).message}`))
        .finally(() => events.forEach((event) => push(company.id, event, false)));
    });
    hearing.set(company.id, { events: company.storeEvents, stop });
  };
  const live = new WeakSet<Company>();
  const listen = (company: Company) => {
    if (live.has(company)) return;
    live.add(company);
    for (const event of LIVE_EVENTS) company.on(event, () => push(company.id, event));
    hearElsewhere(company);
    service.watch(company).catch((err) => RED.log.warn(`[qbsync console] ${(err as Error).message}`));
  };
  // Every company a node uses, and every deployed connection once the flows have started.
  const onAdded = (entry: { company: Company }) => listen(entry.company);
  const onStarted = () => {
    for (const ref of deployedConnections(RED)) ref.whenCompany().then(listen, () => undefined);
    RED.comms?.publish('qbsync/console/deployed', { at: new Date().toISOString() }, false);
  };
  // One runtime per process: a runtime started again (tests) replaces the previous one's listeners.
  detachPrevious?.();
  registry.on('added', onAdded);
  RED.events?.on('flows:started', onStarted);
  detachPrevious = () => {
    registry.off('added', onAdded);
    RED.events?.removeListener?.('flows:started', onStarted);
    for (const { stop } of hearing.values()) stop();
    hearing.clear();
  };
  for (const entry of registry.all()) listen(entry.company);

  const json = (run: (req: RequestLike) => Promise<unknown>) => (req: RequestLike, res: ResponseLike) => {
    let work: Promise<unknown>;
    try {
      work = run(req);
    } catch (err) {
      answerError(res, err, RED.log);
      return;
    }
    work.then((body) => res.json(body), (err) => answerError(res, err, RED.log));
  };
  const q = (req: RequestLike) => (req.query ?? {}) as Record<string, unknown>;
  const b = (req: RequestLike) => bodyOf(req.body);

  RED.httpAdmin.get(CONSOLE_ROOT, (_req: RequestLike, res: ResponseLike) => {
    res.set?.('Content-Security-Policy', "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:");
    res.type?.('text/html');
    res.send(pageHtml(typeof RED.settings.httpAdminRoot === 'string' ? RED.settings.httpAdminRoot : '/'));
  });
  RED.httpAdmin.get(`${CONSOLE_ROOT}/messages`, (req: RequestLike, res: ResponseLike) => res.json(messages(req.query?.lng)));

  RED.httpAdmin.get(`${API}/connections`, read, json(() => service.connections()));
  RED.httpAdmin.get(`${API}/connections/:id`, read, json((req) => service.connection(req.params.id)));
  RED.httpAdmin.post(`${API}/connections/:id/resync`, write, json((req) => service.resync(req.params.id, b(req))));
  RED.httpAdmin.get(`${API}/connections/:id/general`, read, json((req) => service.general(req.params.id)));
  RED.httpAdmin.post(`${API}/connections/:id/general`, write, json((req) => service.saveGeneral(req.params.id, b(req))));
  RED.httpAdmin.get(`${API}/connections/:id/matches/:kind`, read, json((req) => service.matches(req.params.id, req.params.kind, q(req))));
  RED.httpAdmin.post(`${API}/connections/:id/matches/:kind/link`, write, json((req) => service.link(req.params.id, req.params.kind, b(req))));
  RED.httpAdmin.post(`${API}/connections/:id/matches/:kind/unlink`, write, json((req) => service.link(req.params.id, req.params.kind, b(req), true)));
  RED.httpAdmin.post(`${API}/connections/:id/matches/:kind/create`, write, json((req) => service.create(req.params.id, req.params.kind, b(req))));
  RED.httpAdmin.post(`${API}/connections/:id/matches/:kind/resync`, write, json((req) => service.resyncKind(req.params.id, req.params.kind)));
  RED.httpAdmin.get(`${API}/connections/:id/mirror/:entity`, read, json((req) => service.mirror(req.params.id, req.params.entity, q(req))));
  RED.httpAdmin.get(`${API}/connections/:id/invoices`, read, json((req) => service.invoices(req.params.id, q(req))));
  RED.httpAdmin.post(`${API}/connections/:id/invoices/retry`, write, json((req) => service.retryInvoice(req.params.id, b(req))));
  RED.httpAdmin.get(`${API}/connections/:id/imports`, read, json((req) => service.imports(req.params.id)));
  RED.httpAdmin.post(`${API}/connections/:id/imports`, write, json((req) => service.import(req.params.id, b(req))));
  RED.httpAdmin.get(`${API}/connections/:id/charges`, read, json((req) => service.charges(req.params.id, q(req))));
  RED.httpAdmin.post(`${API}/connections/:id/exports`, write, json((req) => service.export(req.params.id, b(req))));
  RED.httpAdmin.get(`${API}/connections/:id/queue`, read, json((req) => service.queue(req.params.id, q(req))));
  RED.httpAdmin.post(`${API}/connections/:id/queue/approve`, write, json((req) => service.approve(req.params.id, b(req))));
  RED.httpAdmin.post(`${API}/connections/:id/queue/skip`, write, json((req) => service.skip(req.params.id, b(req))));
  RED.httpAdmin.get(`${API}/connections/:id/history`, read, json((req) => service.history(req.params.id, q(req))));
  RED.httpAdmin.get(`${API}/connections/:id/jobs/:key`, read, json((req) => service.job(req.params.id, req.params.key)));
  RED.httpAdmin.get(`${API}/connections/:id/scheduler`, read, json((req) => service.scheduler(req.params.id)));
  RED.httpAdmin.get(`${API}/connections/:id/preview`, read, json((req) => service.currentRules(req.params.id, q(req))));
  RED.httpAdmin.post(`${API}/connections/:id/preview`, write, json((req) => service.preview(req.params.id, b(req))));
}
