/**
 * qb-importer: BluBilling's "Import from ERP": a date range `{from, to, entities?, dateField?}` becomes
 * one import job per entity (items, customers, invoices). Outputs: 1 each imported page
 * `{entity, job, records, count, total?, done}`, 2 progress and completion of each import job, 3 one
 * reply per input (the jobs queued, or with `msg.topic` "status" the progress of every import). The
 * status shows the progress. Wiring only: the behaviour is `ImportHandler` in nodes/lib/handlers.
 */
import { ImportHandler, importStatusText, type ImportProgressRow, parseImportMessage, type ImportedEvent, type ImportReport } from '../lib/handlers/importer';
import type { Job } from '../lib/jobs';
import { attachHandler, type ConnectionConfig } from '../lib/node-red/company';
import { guardInput, reportBackground } from '../lib/node-red/errors';
import { statusText } from '../lib/node-red/status';
import { registerPerimeter } from '../lib/node-red/perimeter';
import type { DoneFn, NodeAPI, NodeMessage, RuntimeNode, SendFn } from '../lib/node-red/types';
import { createConfiguredNode } from '../lib/node-red/migrations';

interface ImporterConfig extends ConnectionConfig {
  name?: string;
  /** Imports only read QuickBooks: they go without review unless this is false. */
  autoApprove?: boolean;
}

export = function (RED: NodeAPI): void {
  registerPerimeter(RED);
  function ImporterNode(this: RuntimeNode, config: ImporterConfig): void {
    config = createConfiguredNode(RED, this, config);
    const node = this;
    let handler: ImportHandler | undefined;
    const t = statusText(RED, node);
    // Company events are handled one after the other, so pages and completions leave in order.
    let events: Promise<void> = Promise.resolve();
    const serially = (work: (h: ImportHandler) => Promise<void>) => {
      if (!handler) return;
      const h = handler;
      events = events.then(() => work(h)).catch((err) => reportBackground(node, 'import follow-up', err));
    };

    const showProgress = async (h: ImportHandler) => {
      const rows = await h.progress();
      const pending = rows.some((r) => r.status === 'In Queue');
      const failed = !pending && rows[0]?.status === 'Error';
      node.status({ fill: failed ? 'red' : pending ? 'blue' : 'green', shape: pending ? 'ring' : 'dot', text: importStatusText(rows, t) });
    };

    const onImported = (event: ImportedEvent) =>
      serially(async (h) => {
        const page = await h.onImported(event);
        if (!page) return;
        const progress = event.done ? null : { topic: `progress/${page.entity}`, payload: { key: page.job, entity: page.entity, status: 'In Queue', count: page.count, ...(page.total !== undefined ? { total: page.total } : {}), done: false } };
        node.send([{ topic: `imported/${page.entity}`, payload: page }, progress, null]);
        await showProgress(h);
      });
    const onJob = (job: Job) =>
      serially(async (h) => {
        const row = await h.onJob(job);
        if (!row) return;
        const payload = { ...row, ...(job.error ? { error: job.error.message } : {}) };
        node.send([null, { topic: `${row.state}/${row.entity}`, payload }, null]);
        await showProgress(h);
      });

    const ready = attachHandler(
      RED, node, config, { imported: onImported, job: onJob },
      (company) => (handler = new ImportHandler(company, { autoApprove: config.autoApprove !== false })),
      { ready: 'qb-importer.status.ready', failed: 'qb-importer.status.failed' },
    );

    node.on('input', guardInput(node, async (msg: NodeMessage, send: SendFn, done: DoneFn) => {
      const h = await ready;
      const cmd = parseImportMessage(msg);
      const result = await h.run(cmd);
      msg.payload = result;
      send([null, null, msg]);
      if (cmd.command === 'import') {
        const queued = (result as ImportReport).queued;
        node.status({ fill: 'blue', shape: 'ring', text: queued.map((q) => t('queued', { entity: q.entity })).join(', ') });
      } else node.status({ fill: 'grey', shape: 'dot', text: importStatusText((result as { imports: ImportProgressRow[] }).imports, t) });
      done();
    }));
  }

  RED.nodes.registerType('qb-importer', ImporterNode);
};
