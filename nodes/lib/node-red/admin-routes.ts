import { defaultRule, listDefaultRules, testRule } from '../rules';
import type { NodeAPI, RequestLike, ResponseLike } from './types';

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
 *   as production.
 */
export function registerAdminRoutes(RED: NodeAPI): void {
  if (registered.has(RED.httpAdmin as object)) return;
  registered.add(RED.httpAdmin as object);
  const read = RED.auth.needsPermission('qb-rule.read');
  const write = RED.auth.needsPermission('qb-rule.write');

  RED.httpAdmin.get(`${ADMIN_ROOT}/rules`, read, (_req: RequestLike, res: ResponseLike) => {
    res.json(listDefaultRules());
  });

  RED.httpAdmin.get(`${ADMIN_ROOT}/rules/:name`, read, (req: RequestLike, res: ResponseLike) => {
    try {
      res.json(defaultRule(req.params.name));
    } catch (err) {
      res.status(404).json({ error: (err as Error).message });
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
    testRule(name, body.expression, sample).then(
      (outcome) => res.json(outcome),
      (err) => res.status(500).json({ ok: false, error: { message: String((err as Error).message ?? err) } }),
    );
  });
}
