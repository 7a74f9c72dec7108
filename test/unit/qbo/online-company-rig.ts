/**
 * Rig for OnlineCompany tests: the QuickBooks Online simulator and the client sharing one fake clock
 * (harness.ts), a temp Store whose TokenVault holds the tokens (encrypted), and the company with no
 * linger, a short real retry delay and no sync schedule. Records every event the company emits.
 */
import path from 'node:path';
import type { CompanyStatus, MirrorEntity } from '../../../nodes/lib/company/types';
import { OnlineCompany, type ImportedPage, type OnlineCompanyOptions } from '../../../nodes/lib/company/qbo/online-company';
import type { TokenSet } from '../../../nodes/lib/company/qbo/oauth';
import type { Job, JobSpec, WritePayload } from '../../../nodes/lib/jobs';
import { RANK, type JobKind } from '../../../nodes/lib/jobs';
import { Store, TokenVault } from '../../../nodes/lib/store';
import type { SimulatorOptions } from '../../sim/qbo/server';
import { tempDir } from '../../support/tmp';
import { openTestStore } from '../../support/store';
import { harness, type Harness } from './harness';

export interface Events {
  status: CompanyStatus[];
  synced: MirrorEntity[][];
  jobs: Job[];
  imported: ImportedPage[];
}

export class OnlineRig {
  readonly tmp = tempDir('qbo-online-');
  h!: Harness;
  store!: Store;
  vault!: TokenVault<TokenSet>;
  company!: OnlineCompany;
  events: Events = { status: [], synced: [], jobs: [], imported: [] };
  incomeAccountId = '';
  private readonly companies: OnlineCompany[] = [];

  constructor(private readonly options: { sim?: SimulatorOptions; company?: Partial<OnlineCompanyOptions> } = {}) {}

  /** Opens the store and the simulator (with an income account); the company is made by `newCompany`. */
  async open(): Promise<this> {
    // the store on the test backend (QB_TEST_STORE), in a folder (and schema) of this rig's own
    this.store = await openTestStore(path.join(this.tmp.dir, `store_${path.basename(this.tmp.dir).replace(/\W/g, '_')}`));
    this.vault = new TokenVault<TokenSet>(this.store);
    this.h = await harness({ sim: this.options.sim, store: this.vault });
    this.incomeAccountId = this.h.sim.seed('Account', [{ Name: 'Sales of Product Income', AccountType: 'Income' }])[0].Id as string;
    return this;
  }

  get sim() {
    return this.h.sim;
  }

  get clock() {
    return this.h.clock;
  }

  /** A new OnlineCompany over the same store and client (a restart); not started. */
  newCompany(options: Partial<OnlineCompanyOptions> = {}): OnlineCompany {
    this.events = { status: [], synced: [], jobs: [], imported: [] };
    const company = new OnlineCompany({
      id: 'qbo-test', store: this.store, settings: { invoiceCreation: true, incomeAccountId: this.incomeAccountId },
      client: this.h.client, clock: this.h.clock, syncEveryMinutes: 0, lingerMs: 0, retryDelayMs: 2, ...this.options.company, ...options,
    });
    company.on('status', (s: CompanyStatus) => this.events.status.push(s));
    company.on('synced', (e: { entities: MirrorEntity[] }) => this.events.synced.push(e.entities));
    company.on('job', (j: Job) => this.events.jobs.push(j));
    company.on('imported', (p: ImportedPage) => this.events.imported.push(p));
    this.companies.push(company);
    this.company = company;
    return company;
  }

  /** A new company, started (first load or CDC), and idle. */
  async started(options: Partial<OnlineCompanyOptions> = {}): Promise<OnlineCompany> {
    const company = this.newCompany(options);
    await company.start();
    await company.idle({ retries: true });
    return company;
  }

  /** Queues an approved write job with a QBO payload. */
  async write(key: string, kind: JobKind, payload: WritePayload, extra: Partial<JobSpec> = {}): Promise<Job> {
    const { job } = await this.company.outbox.enqueue({ key, kind, rank: RANK[kind], payload, ...extra });
    if (job.state === 'queued') await this.company.outbox.approve([key]);
    return job;
  }

  /** Kicks the company and waits until everything (retries included) is done. */
  async send(): Promise<void> {
    this.company.kick();
    await this.company.idle({ retries: true });
  }

  async job(key: string): Promise<Job> {
    const job = await this.company.outbox.get(key);
    if (!job) throw new Error(`no job ${key}`);
    return job;
  }

  async close(): Promise<void> {
    for (const c of this.companies) await c.close();
    await this.h?.close();
    await this.store?.close();
    this.tmp.cleanup();
  }
}

/** A QBO invoice payload for one customer and item: DocNumber, one line (Amount = Qty × UnitPrice). */
export function invoicePayload(docNumber: string, customerId: unknown, itemId: string, qty = 2, price = 10): WritePayload {
  return {
    entity: 'Invoice',
    fields: {
      DocNumber: docNumber, TxnDate: '2026-06-01', CustomerRef: { value: customerId },
      Line: [{ DetailType: 'SalesItemLineDetail', Amount: Math.round(qty * price * 100) / 100, SalesItemLineDetail: { ItemRef: { value: itemId }, Qty: qty, UnitPrice: price } }],
    },
    lookup: { field: 'DocNumber', value: docNumber },
  };
}

/** Seeds one customer and one item in the simulator; returns their Ids. */
export function seedBasics(rig: OnlineRig): { customerId: string; itemId: string } {
  const customerId = rig.sim.seed('Customer', [{ DisplayName: 'Oyster Bay Co', PrimaryEmailAddr: { Address: 'ap@oysterbay.example' } }])[0].Id as string;
  const itemId = rig.sim.seed('Item', [{ Name: 'Kumamoto 60ct', Sku: 'KUM-60', Type: 'NonInventory', IncomeAccountRef: { value: rig.incomeAccountId } }])[0].Id as string;
  return { customerId, itemId };
}
