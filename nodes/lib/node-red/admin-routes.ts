import { publicMessage } from '../errors';
import { SandboxBusyError, defaultRule, listDefaultRules, testRuleIsolated } from '../rules';
import type { Company, MirrorEntity } from '../company/types';
import { registerConsoleRoutes } from './console-routes';
import { registerPerimeter } from './perimeter';
import type { NodeAPI, RequestLike, ResponseLike } from './types';

const MIRRORED: MirrorEntity[] = ['items', 'customers', 'terms', 'accounts'];

/** A connection's state and its mirror's age, for the config dialogs and the flows. */
export async function connectionStatus(company: Company): Promise<Record<string, unknown>> {
  const mirror: Record<string, unknown> = {};
  for (const entity of MIRRORED) {
    const age = await company.mirror.age(entity);
    mirror[entity] = { count: age.count, syncedAt: age.syncedAt?.toISOString(), ageSeconds: age.ageMs === undefined ? undefined : Math.round(age.ageMs / 1000) };
  }
  const status = company.status();
  // the store's corrupt lines kept aside (file names and line numbers only), for the connection dialog
  const store = { quarantined: company.quarantined() };
  return { edition: company.edition, ...status, ...(status.message ? { message: publicMessage(status.message) } : {}), mirror, store };
}

/** Root of this package's admin routes (relative: the editor adds httpAdminRoot and the token). */
export const ADMIN_ROOT = '/qbsync';

const registered = new WeakSet<object>();

/** The largest sample an admin may post to the rule tester. */
const MAX_SAMPLE_BYTES = 1024 * 1024;

/**
 * Admin routes shared by every node of the package, registered once per runtime:
 * - `GET  /qbsync/rules`        the default rules (name, source, samples) for the editors;
 * - `GET  /qbsync/rules/:name`  one default rule;
 * - `POST /qbsync/rules/test`   `{name?, expression, sample}` → `{ok, result}` or `{ok:false, error}`:
 *   the editor's Test button, run server-side with the same JSONata, limits and helper functions
 *   as production, in a worker thread (heap limit, wall-clock, one at a time; 429 while busy).
 */
export function registerAdminRoutes(RED: NodeAPI): void {
  registerPerimeter(RED);
  if (registered.has(RED.httpAdmin as object)) return;
  registered.add(RED.httpAdmin as object);
  registerConsoleRoutes(RED);
  const read = RED.auth.needsPermission('qb-rule.read');
  const write = RED.auth.needsPermission('qb-rule.write');

  // The connection dialogs: state, the mirror's age, and Re-sync (either edition).
  const companyOf = async (id: string): Promise<Company | undefined> => {
    const node = RED.nodes.getNode(id) as { whenCompany?: () => Promise<Company> } | null;
    return node?.whenCompany ? node.whenCompany() : undefined;
  };
  const connRead = RED.auth.needsPermission('qbsync.read');
  const connWrite = RED.auth.needsPermission('qbsync.write');
  RED.httpAdmin.get(`${ADMIN_ROOT}/connections/:id/status`, connRead, (req: RequestLike, res: ResponseLike) => {
    companyOf(req.params.id)
      .then(async (company) => (company ? res.json(await connectionStatus(company)) : res.status(404).json({ error: 'deploy this connection first' })))
      .catch((err: Error) => res.status(409).json({ error: publicMessage(err) }));
  });
  RED.httpAdmin.post(`${ADMIN_ROOT}/connections/:id/resync`, connWrite, (req: RequestLike, res: ResponseLike) => {
    companyOf(req.params.id)
      .then(async (company) => {
        if (!company) return res.status(404).json({ error: 'deploy this connection first' });
        await company.resync({ full: req.query.full === 'true' });
        res.json(await connectionStatus(company));
      })
      .catch((err: Error) => res.status(409).json({ error: publicMessage(err) }));
  });

  // Resolve a duplicate match by hand: link an app record to a QuickBooks record (or unlink it).
  RED.httpAdmin.post(`${ADMIN_ROOT}/connections/:id/link`, connWrite, (req: RequestLike, res: ResponseLike) => {
    const body = (req.body ?? {}) as { kind?: unknown; appId?: unknown; qbId?: unknown };
    if (body.kind !== 'item' && body.kind !== 'customer') return void res.status(400).json({ error: 'kind must be "item" or "customer"' });
    if (typeof body.appId !== 'string' || !body.appId) return void res.status(400).json({ error: 'appId (the app record id) is required' });
    if (body.qbId !== undefined && (typeof body.qbId !== 'string' || !body.qbId)) return void res.status(400).json({ error: 'qbId must be a QuickBooks id' });
    const kind = body.kind;
    const appId = body.appId;
    companyOf(req.params.id)
      .then(async (company) => {
        if (!company) return res.status(404).json({ error: 'deploy this connection first' });
        const doc = await company.matches(kind).link(appId, body.qbId as string | undefined);
        company.emit('linked', { kind, appId });
        res.json({ kind, appId, linkedQbId: doc.linkedQbId ?? null });
      })
      .catch((err: Error & { code?: string }) => res.status(err.code === 'QB_NOT_FOUND' ? 404 : 409).json({ error: publicMessage(err) }));
  });

  RED.httpAdmin.get(`${ADMIN_ROOT}/rules`, read, (_req: RequestLike, res: ResponseLike) => {
    res.json(listDefaultRules());
  });

  RED.httpAdmin.get(`${ADMIN_ROOT}/rules/:name`, read, (req: RequestLike, res: ResponseLike) => {
    try {
      res.json(defaultRule(req.params.name));
    } catch (err) {
      res.status(404).json({ error: publicMessage(err) });
    }
  });

  RED.httpAdmin.post(`${ADMIN_ROOT}/rules/test`, write, (req: RequestLike, res: ResponseLike) => {
    const body = (req.body ?? {}) as { name?: unknown; expression?: unknown; sample?: unknown };
    if (typeof body.expression !== 'string') {
      res.status(400).json({ ok: false, error: { message: 'expression must be a string' } });
      return;
    }
    let sample = body.sample;
    if (typeof sample === 'string') {
      if (sample.length > MAX_SAMPLE_BYTES) {
        res.status(413).json({ ok: false, error: { message: `sample is larger than ${MAX_SAMPLE_BYTES} bytes` } });
        return;
      }
      try {
        sample = sample.trim() === '' ? undefined : JSON.parse(sample);
      } catch (err) {
        res.status(400).json({ ok: false, error: { message: `sample is not valid JSON: ${(err as Error).message}` } });
        return;
      }
    }
    const name = typeof body.name === 'string' && body.name ? body.name : 'rule under test';
    // in a worker thread with a heap limit and a wall-clock, one test at a time (see rules/sandbox.ts)
    testRuleIsolated(name, body.expression, sample).then(
      (outcome) => res.json(outcome),
      (err) =>
        err instanceof SandboxBusyError
          ? res.status(429).json({ ok: false, error: { message: err.message, code: err.code } })
          : res.status(500).json({ ok: false, error: { message: 'the rule test could not run' } }),
    );
  });
}
