/**
 * One instance of bench:instances, in a process of its own: a store on the shared PostgreSQL schema and,
 * for every company, an OnlineCompany (its own client, throttle and send loop) with the InvoiceHandler.
 * It tells the parent when its companies are connected, handles its share of the packed orders on "go",
 * then keeps sending (its loop and the other instance's take jobs from the same outbox) until "stop".
 */
import path from 'node:path';
import { OnlineCompany } from '../nodes/lib/company/qbo/online-company';
import { InvoiceHandler } from '../nodes/lib/handlers/invoices';
import type { Job } from '../nodes/lib/jobs';
import { Store } from '../nodes/lib/store';
import { packedOrder } from './bluetrace-orders';

export interface WorkerCompany {
  id: string;
  realmId: string;
  income: string;
  baseUrl: string;
  tokenUrl: string;
  authorizeUrl: string;
  clientId: string;
  clientSecret: string;
}

export interface WorkerConfig {
  dir: string;
  /** The PostgreSQL store's URL; empty for one instance on nedb (its store folder is the setup's). */
  url: string;
  schema: string;
  secret: string;
  companies: WorkerCompany[];
  /** This worker handles orders i < orders with i % instances === index; order i goes to company i % companies. */
  orders: number;
  instances: number;
  index: number;
  /** Intuit's window divided by this (the counts per window stay Intuit's). */
  dilation: number;
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.env.BENCH_WORKER as string) as WorkerConfig;
  const store = cfg.url
    ? await Store.open(path.join(cfg.dir, `instance-${cfg.index}`), { url: cfg.url, schema: cfg.schema, secret: cfg.secret })
    : await Store.open(path.join(cfg.dir, 'setup'), { url: '', secret: cfg.secret });
  const windowMs = 60_000 / cfg.dilation;
  const entries = cfg.companies.map((c) => {
    const company = new OnlineCompany({
      id: c.id, store, settings: { invoiceCreation: true, incomeAccountId: c.income }, syncEveryMinutes: 0, retryDelayMs: 200,
      connection: {
        realmId: c.realmId, app: { clientId: c.clientId, clientSecret: c.clientSecret },
        environment: { environment: 'custom', baseUrl: c.baseUrl, tokenUrl: c.tokenUrl, authorizeUrl: c.authorizeUrl },
        limits: { windowMs, marginMs: 250 / cfg.dilation },
      },
    });
    const handler = new InvoiceHandler(company);
    company.on('job', (job: Job) => void handler.onJob(job));
    return { company, handler };
  });
  await Promise.all(entries.map(async (e) => {
    await e.company.start();
    await e.company.idle();
  }));
  process.send?.({ type: 'ready' });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const t0 = Date.now();
  for (let i = cfg.index; i < cfg.orders; i += cfg.instances) {
    const e = entries[i % entries.length]!;
    await e.handler.handle(packedOrder(i));
  }
  process.send?.({ type: 'handled', ms: Date.now() - t0 });
  // The parent asks how many invoice jobs are complete (nedb: only this process can read the store), then says stop.
  await new Promise<void>((resolve) => {
    const onMessage = (m: { type?: string }) => {
      if (m?.type === 'count') {
        void store.jobs.count({ kind: 'invoice.upsert', state: 'complete' }).then((n) => process.send?.({ type: 'complete', n }));
        return;
      }
      process.off('message', onMessage);
      resolve();
    };
    process.on('message', onMessage);
  });
  await Promise.all(entries.map((e) => e.company.close()));
  await store.close();
  process.send?.({ type: 'stopped', cpuMs: Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000), peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
