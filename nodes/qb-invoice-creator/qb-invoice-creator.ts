/**
 * qb-invoice-creator: a packed BlueTrace order becomes exactly one QuickBooks invoice. Outputs:
 * 1 invoice created or updated (when QuickBooks answers), 2 needs action (unresolved matches or a
 * refusal), 3 one acknowledgement per input (for HTTP responses). `msg.topic` "log" lists the invoice
 * log. Wiring only: the behaviour is `InvoiceHandler` in nodes/lib/handlers.
 */
import { InvoiceHandler, parseLogFilter, type InvoiceOutcome } from '../lib/handlers/invoices';
import type { Job } from '../lib/jobs';
import { registerAdminRoutes } from '../lib/node-red/admin-routes';
import { attachHandler, type ConnectionConfig } from '../lib/node-red/company';
import { guardInput, reportBackground } from '../lib/node-red/errors';
import { statusText } from '../lib/node-red/status';
import type { DoneFn, NodeAPI, NodeMessage, RuntimeNode, SendFn } from '../lib/node-red/types';
import { createConfiguredNode } from '../lib/node-red/migrations';

interface InvoiceCreatorConfig extends ConnectionConfig {
  name?: string;
  rule?: string;
}

export = function (RED: NodeAPI): void {
  registerAdminRoutes(RED);

  function InvoiceCreatorNode(this: RuntimeNode, config: InvoiceCreatorConfig): void {
    config = createConfiguredNode(RED, this, config);
    const node = this;
    let handler: InvoiceHandler | undefined;
    const t = statusText(RED, node);

    const emit = (outcome: InvoiceOutcome | undefined) => {
      if (!outcome) return;
      const msg = { topic: `invoice/${outcome.orderId}`, payload: outcome };
      node.send(outcome.status === 'needs-action' ? [null, msg, null] : [msg, null, null]);
      node.status({ fill: outcome.status === 'needs-action' ? 'yellow' : 'green', shape: 'dot', text: t(`order.${outcome.status}`, { order: outcome.orderNumber }) });
    };
    const report = (err: unknown) => reportBackground(node, 'invoice follow-up', err);

    const ready = attachHandler(RED, node, config, {
      job: (job: Job) => handler?.onJob(job).then(emit, report),
      matches: ({ kind, appIds }: { kind: 'item' | 'customer'; appIds: string[] }) =>
        handler?.retryWaiting(kind, appIds).then((outs) => outs.forEach(emit), report),
    }, (company) => {
      handler = new InvoiceHandler(company, { rule: config.rule });
      // A job ended by an instance that stopped before logging it: the log catches up (no message is sent again).
      void handler.reconcile().catch(report);
      return handler;
    }, {
      ready: 'qb-invoice-creator.status.ready', failed: 'qb-invoice-creator.status.invalidRule',
    });

    node.on('input', guardInput(node, async (msg: NodeMessage, send: SendFn, done: DoneFn) => {
      const h = await ready;
      if (msg.topic === 'log') {
        msg.payload = await h.list(parseLogFilter(msg.payload));
        if (msg.res) msg.statusCode = 200;
        send([null, null, msg]);
        return done();
      }
      const outcome = await h.handle(msg.payload);
      const answer: NodeMessage = { ...msg, payload: outcome };
      if (msg.res) answer.statusCode = 202; // received: QuickBooks gets it when its job runs
      send([null, outcome.status === 'needs-action' ? { ...msg, payload: outcome } : null, answer]);
      node.status({ fill: outcome.status === 'needs-action' ? 'yellow' : 'blue', shape: 'dot', text: t(`order.${outcome.status}`, { order: outcome.orderNumber }) });
      done();
    }));
  }

  RED.nodes.registerType('qb-invoice-creator', InvoiceCreatorNode);
};
