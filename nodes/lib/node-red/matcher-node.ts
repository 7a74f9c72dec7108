import { MatcherHandler, parseMatcherMessage, type MatcherOptions } from '../handlers/matcher';
import type { MatchReport } from '../matching';
import { syncEnabled } from '../console/settings';
import { RequestError } from '../errors';
import { registerAdminRoutes } from './admin-routes';
import { attachHandler, type ConnectionConfig } from './company';
import { guardInput, reportBackground } from './errors';
import { statusText } from './status';
import type { DoneFn, NodeAPI, NodeMessage, RuntimeNode, SendFn } from './types';
import { createConfiguredNode } from './migrations';

export interface MatcherNodeConfig extends ConnectionConfig {
  name?: string;
  appRule?: string;
  qbRule?: string;
  createMissing?: boolean;
}

/**
 * The runtime of qb-item-matcher and qb-customer-matcher (they differ only in kind): one message of
 * records in → matched records on output 1, records with issues on output 2, and one summary message
 * per input on output 3 (for HTTP responses). `msg.topic` "resync", "issues", "link"/"unlink" act on
 * the persisted matches. A Re-sync anywhere (or a finished sync) re-matches by itself.
 */
export function matcherNode(RED: NodeAPI, type: string, kind: MatcherOptions['kind']): void {
  registerAdminRoutes(RED);

  function MatcherNode(this: RuntimeNode, config: MatcherNodeConfig): void {
    config = createConfiguredNode(RED, this, config);
    const node = this;
    let handler: MatcherHandler | undefined;
    const t = statusText(RED, node);
    const showCounts = (report: MatchReport | undefined) => {
      if (report) node.status({ fill: report.issues ? 'yellow' : 'green', shape: 'dot', text: t('counts', { matched: report.matched, issues: report.issues }) });
    };
    // While the first load runs the node shows the connection's progress, not partial counts.
    const rematchQuietly = (work: () => Promise<MatchReport | undefined>) => () => {
      if (!handler || !syncEnabled(handler.company.id, kind)) return; // the console's Sync switch is off
      const h = handler;
      work().then((r) => (h.company.status().state === 'connected' ? showCounts(r) : undefined), (err) => reportBackground(node, 're-match', err));
    };

    const ready = attachHandler(
      RED, node, config,
      {
        synced: rematchQuietly(() => handler!.rematch()),
        linked: ({ kind: linkedKind }: { kind: string }) => {
          if (linkedKind === kind) rematchQuietly(() => handler!.rematch())();
        },
        job: (job) => rematchQuietly(() => handler!.onJob(job))(),
      },
      (company) => (handler = new MatcherHandler(company, { kind, appRule: config.appRule, qbRule: config.qbRule, createMissing: config.createMissing })),
      { ready: `${type}.status.ready`, failed: `${type}.status.invalidRule` },
    );

    node.on('input', guardInput(node, async (msg: NodeMessage, send: SendFn, done: DoneFn) => {
      const h = await ready;
      const cmd = parseMatcherMessage(kind, msg);
      if (cmd.command === 'match' && !syncEnabled(h.company.id, kind)) {
        throw new RequestError(RED._(`${type}.errors.syncOff`));
      }
      const result = await h.run(cmd);
      if (!('matched' in result)) {
        msg.payload = result.issues;
        send([null, null, msg]);
        return done();
      }
      showCounts(result);
      const matched = result.outcomes.filter((o) => o.status === 'matched').map((o) => ({ appId: o.appId, name: o.appName, key: o.key, qbId: o.qbId, manual: !!o.linkedQbId }));
      const issues = result.outcomes.filter((o) => o.issueDetail).map((o) => o.issueDetail);
      const summary = { matched: result.matched, issues: result.issues, byIssue: result.byIssue };
      send([
        matched.length ? { ...msg, payload: matched, summary } : null,
        issues.length ? { ...msg, payload: issues, summary } : null,
        { ...msg, payload: { ...summary, outcomes: [...matched, ...issues] } },
      ]);
      done();
    }));
  }

  RED.nodes.registerType(type, MatcherNode);
}
