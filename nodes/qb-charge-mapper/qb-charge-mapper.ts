/**
 * qb-charge-mapper: BluBilling charges (Plans & Charges) → the QuickBooks item whose Name equals the
 * charge's Price Code exactly (BluBilling "Step 3"). Outputs: 1 mapped charges, 2 unmapped charges
 * (each with its issue and BluBilling's instruction), 3 one summary per input (for HTTP responses).
 * `msg.topic` "resync" refreshes the items and maps again; "issues" lists the unmapped charges. A
 * finished item import (or Re-sync) maps every charge again by itself. Wiring only: the behaviour is
 * `ChargeHandler` in nodes/lib/handlers.
 */
import { ChargeHandler, parseChargeMessage, splitMapping } from '../lib/handlers/charges';
import type { MatchReport } from '../lib/matching';
import { registerAdminRoutes } from '../lib/node-red/admin-routes';
import { attachHandler, type ConnectionConfig } from '../lib/node-red/company';
import { guardInput, reportBackground } from '../lib/node-red/errors';
import { statusText } from '../lib/node-red/status';
import type { DoneFn, NodeAPI, NodeMessage, RuntimeNode, SendFn } from '../lib/node-red/types';
import { createConfiguredNode } from '../lib/node-red/migrations';

interface ChargeMapperConfig extends ConnectionConfig {
  name?: string;
  rule?: string;
}

export = function (RED: NodeAPI): void {
  registerAdminRoutes(RED);

  function ChargeMapperNode(this: RuntimeNode, config: ChargeMapperConfig): void {
    config = createConfiguredNode(RED, this, config);
    const node = this;
    let handler: ChargeHandler | undefined;
    const t = statusText(RED, node);

    const showCounts = (report: MatchReport) =>
      node.status({ fill: report.issues ? 'yellow' : 'green', shape: 'dot', text: t('counts', { mapped: report.matched, unmapped: report.issues }) });

    /** After the item list changed: the charges whose mapping changed leave on outputs 1 and 2 (topic "remap"). */
    const remapped = (report: MatchReport | undefined) => {
      if (!report) return;
      showCounts(report);
      const changed = new Set(report.changed);
      if (!changed.size) return;
      const { mapped, unmapped } = splitMapping(report.outcomes.filter((o) => changed.has(o.appId)));
      node.send([mapped.length ? { topic: 'remap', payload: mapped } : null, unmapped.length ? { topic: 'remap', payload: unmapped } : null, null]);
    };
    // One re-map at a time, in order: a finished item import fires both `synced` and `job`.
    let remaps: Promise<void> = Promise.resolve();
    const remap = (work: (h: ChargeHandler) => Promise<MatchReport | undefined>) => {
      if (!handler) return;
      const h = handler;
      remaps = remaps.then(() => work(h)).then(remapped, (err) => reportBackground(node, 're-map', err));
    };

    const ready = attachHandler(
      RED, node, config,
      { synced: (event) => remap((h) => h.onSynced(event)), job: (job) => remap((h) => h.onJob(job)) },
      (company) => (handler = new ChargeHandler(company, { rule: config.rule })),
      { ready: 'qb-charge-mapper.status.ready', failed: 'qb-charge-mapper.status.invalidRule' },
    );

    node.on('input', guardInput(node, async (msg: NodeMessage, send: SendFn, done: DoneFn) => {
      const h = await ready;
      const result = await h.run(parseChargeMessage(msg));
      if (!('matched' in result)) {
        msg.payload = result.issues;
        send([null, null, msg]);
        return done();
      }
      showCounts(result);
      const { mapped, unmapped } = splitMapping(result.outcomes);
      const summary = { mapped: result.matched, unmapped: result.issues, byIssue: result.byIssue };
      send([
        mapped.length ? { ...msg, payload: mapped, summary } : null,
        unmapped.length ? { ...msg, payload: unmapped, summary } : null,
        { ...msg, payload: { ...summary, charges: mapped, issues: unmapped } },
      ]);
      done();
    }));
  }

  RED.nodes.registerType('qb-charge-mapper', ChargeMapperNode);
};
