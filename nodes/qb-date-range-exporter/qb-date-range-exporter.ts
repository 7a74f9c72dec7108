/**
 * qb-date-range-exporter: BluBilling's "Export of Invoices/Payments/Customers" by date range, from a
 * queue the admin reviews. Inputs by `msg.topic`: "customer(s)" / "invoice(s)" / "payment(s)" with
 * BluBilling records; "export" (or no topic) with `{from, to, entities?}`; "queue", "history",
 * "approve", "skip". Outputs: 1 exported (one per job QuickBooks completed: the record and its
 * QuickBooks id), 2 needs action (held or refused records with the actions to take), 3 one reply per
 * input. An optional Accounting Scheduler (AutoRun) exports each period once it has ended. Wiring
 * only: the behaviour is `ExportHandler` and `ExportScheduler` in nodes/lib/handlers.
 */
import type { Company } from '../lib/company/types';
import type { PeriodUnit } from '../lib/handlers/dates';
import { ExportHandler, parseExportMessage, type ExportReport, type ExportRequest, type RecordOutcome } from '../lib/handlers/exporter';
import { ExportScheduler } from '../lib/handlers/scheduler';
import type { Job } from '../lib/jobs';
import { registry } from '../lib/console/registry';
import { attachHandler, type ConnectionConfig } from '../lib/node-red/company';
import { guardClose, guardInput, reportBackground } from '../lib/node-red/errors';
import { statusText } from '../lib/node-red/status';
import { registerPerimeter } from '../lib/node-red/perimeter';
import type { DoneFn, NodeAPI, NodeMessage, RuntimeNode, SendFn } from '../lib/node-red/types';
import { createConfiguredNode } from '../lib/node-red/migrations';
import { acquireStore, releaseStore, storeDir, type Store } from '../lib/store';
import { intSetting } from '../lib/util/env';

interface ExporterConfig extends ConnectionConfig {
  name?: string;
  autoApprove?: boolean;
  timeZone?: string;
  /** Accounting Scheduler (AutoRun). */
  schedule?: boolean;
  periodStart?: string;
  every?: string | number;
  unit?: PeriodUnit;
  exportCustomers?: boolean;
  exportInvoices?: boolean;
  exportPayments?: boolean;
  /** How often the scheduler looks for ended periods, in minutes. */
  checkMinutes?: string | number;
}

const MINUTE = 60_000;

/** The entities the scheduler exports (BluBilling's Export Customers / Invoices / Payments check boxes). */
function scheduledEntities(config: ExporterConfig): NonNullable<ExportRequest['entities']> {
  const entities: NonNullable<ExportRequest['entities']> = [];
  if (config.exportCustomers !== false) entities.push('customers');
  if (config.exportInvoices !== false) entities.push('invoices');
  if (config.exportPayments !== false) entities.push('payments');
  if (!entities.length) throw new Error('the Accounting Scheduler exports nothing: tick at least one of customers, invoices and payments');
  return entities;
}

function needsAction(outcome: RecordOutcome): NodeMessage {
  return { topic: `needs-action/${outcome.entity}/${outcome.sourceId}`, payload: outcome };
}

function exportSubs(report: ExportReport): Record<string, unknown> {
  return { from: report.from, to: report.to, queued: report.queued.length, held: report.held.length };
}

export = function (RED: NodeAPI): void {
  registerPerimeter(RED);
  function DateRangeExporterNode(this: RuntimeNode, config: ExporterConfig): void {
    config = createConfiguredNode(RED, this, config);
    const node = this;
    let handler: ExportHandler | undefined;
    let scheduler: ExportScheduler | undefined;
    let store: { dir: string; store: Store } | undefined;
    let closed = false;
    const t = statusText(RED, node);

    const report = (err: unknown) => reportBackground(node, 'export follow-up', err);
    const onJob = (job: Job) => {
      const h = handler;
      h?.onJob(job).then(async (outcome) => {
        if (!outcome) return;
        if (outcome.status === 'exported') {
          const record = (await h.records.get(outcome.entity, outcome.sourceId))?.source;
          node.send([{ topic: `exported/${outcome.entity}/${outcome.sourceId}`, payload: { ...outcome, record } }, null, null]);
          node.status({ fill: 'green', shape: 'dot', text: t('exported', { entity: outcome.entity, label: outcome.label }) });
        } else if (outcome.status === 'error' || outcome.status === 'held') {
          // Refused, or held by a job that was refused or skipped: never waits silently.
          node.send([null, needsAction(outcome), null]);
          node.status({ fill: 'yellow', shape: 'dot', text: t(outcome.status === 'held' ? 'held' : 'refused', { entity: outcome.entity, label: outcome.label }) });
        }
      }, report);
    };

    /** Shows the next export date once the running tick is over (a tick queued behind it finds nothing left). */
    let refreshing = false;
    const showNext = () => {
      const s = scheduler;
      if (!s || refreshing || closed) return;
      refreshing = true;
      s.tick()
        .then(() => s.nextExport())
        .then((next) => {
          if (!closed) node.status({ fill: 'blue', shape: 'ring', text: t('next', { date: next.exportDate }) });
        })
        .catch(() => undefined) // a failing tick is reported by the scheduler's onError
        .finally(() => (refreshing = false));
    };

    /** An export the scheduler ran: held records leave on output 2; the status shows the next date. */
    const scheduledExport = async (request: ExportRequest) => {
      const result = await (handler as ExportHandler).export(request);
      if (result.held.length) node.send([null, result.held.map(needsAction), null]);
      node.log(t('scheduled', exportSubs(result)));
      showNext();
      return result;
    };

    const startScheduler = async (company: Company) => {
      if (config.schedule !== true) return;
      const dir = storeDir(RED.settings.userDir);
      store = { dir, store: await acquireStore(dir, { warn: (m) => node.warn(m) }) };
      scheduler = new ExportScheduler(store.store, `${company.id}|${node.id}`, {
        periodStart: String(config.periodStart ?? '').trim(),
        every: intSetting(config.every, 1, 1),
        unit: config.unit ?? 'months',
        timeZone: config.timeZone,
        entities: scheduledEntities(config),
        exporter: scheduledExport,
      });
      scheduler.start(intSetting(config.checkMinutes, 60, 1) * MINUTE, (err) => {
        reportBackground(node, 'scheduled export', err);
        node.status({ fill: 'red', shape: 'ring', text: 'qb-date-range-exporter.status.scheduleFailed' });
      });
      showNext(); // start() ticks at once: show the next export date after that tick
    };

    const ready = attachHandler(
      RED, node, config, { job: onJob },
      async (company) => {
        handler = new ExportHandler(company, { autoApprove: config.autoApprove === true, timeZone: config.timeZone });
        await startScheduler(company);
        return handler;
      },
      { ready: 'qb-date-range-exporter.status.ready', failed: 'qb-date-range-exporter.status.invalidConfig' },
    );
    // The console shows the Accounting Scheduler's next export date.
    ready.then(() => scheduler && registry.extend(node.id, { scheduler }), () => undefined);

    node.on('input', guardInput(node, async (msg: NodeMessage, send: SendFn, done: DoneFn) => {
      const h = await ready;
      const cmd = parseExportMessage(msg);
      const result = await h.run(cmd);
      msg.payload = result;
      if (cmd.command === 'export') {
        const exported = result as ExportReport;
        send([null, exported.held.length ? exported.held.map(needsAction) : null, msg]);
        node.status({ fill: exported.held.length ? 'yellow' : 'green', shape: 'dot', text: t('export', exportSubs(exported)) });
      } else {
        send([null, null, msg]);
        if ('queue' in result) node.status({ fill: 'blue', shape: 'dot', text: t('queue', { count: result.queue.length }) });
        else if ('approved' in result) node.status({ fill: 'blue', shape: 'dot', text: t('approved', { count: result.approved }) });
        else if ('skipped' in result) node.status({ fill: 'grey', shape: 'dot', text: t('skipped', { count: result.skipped }) });
        else if ('received' in result) node.status({ fill: 'grey', shape: 'dot', text: t('received', { count: result.received, entity: result.entity }) });
      }
      done();
    }));

    node.on('close', guardClose(node, async () => {
      closed = true;
      scheduler?.stop();
      const held = store;
      store = undefined;
      if (held) await releaseStore(held.dir);
    }));
  }

  RED.nodes.registerType('qb-date-range-exporter', DateRangeExporterNode);
};
