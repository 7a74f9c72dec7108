/**
 * End-to-end rig for DesktopCompany: the SOAP service on a 127.0.0.1 server with the company as its work
 * source, the Web Connector simulator driving the QuickBooks Desktop company simulator, a temp Store.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { DesktopCompany, type DesktopCompanyOptions, type SessionSummary } from '../../../nodes/lib/company/qbwc/desktop-company';
import { mountOnHttpServer } from '../../support/http-mount';
import { createQbwcService, type QbwcService } from '../../../nodes/lib/company/qbwc/service';
import type { JobSpec } from '../../../nodes/lib/jobs';
import { RANK, type JobKind } from '../../../nodes/lib/jobs';
import { Store } from '../../../nodes/lib/store';
import { QbdCompany, type QbdCompanyOptions } from '../../sim/qbd';
import { WebConnectorSimulator, type FaultOptions } from '../../sim/qbwc';
import { tempDir } from '../../support/tmp';
import { openTestStore } from '../../support/store';

export const USER = 'nodered-qb';
export const PASSWORD = 'S3cret&Pass';
const PATH = '/qbwc';

/** A settable clock shared by the QuickBooks simulator and the company. */
export class Clock {
  constructor(public ms: number) {}
  readonly now = (): Date => new Date(this.ms);
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

export interface RigOptions {
  autoApprove?: boolean;
  pageSize?: number;
  /** Session idle timeout of the SOAP service (short in crash tests so a killed session expires). */
  idleTimeoutMs?: number;
  qbd?: QbdCompanyOptions;
  company?: Partial<DesktopCompanyOptions>;
}

export class Rig {
  readonly tmp = tempDir('qbd-company-');
  readonly clock = new Clock(Date.parse('2024-06-20T16:40:00-05:00'));
  store!: Store;
  company!: DesktopCompany;
  qbd!: QbdCompany;
  service!: QbwcService;
  server!: http.Server;
  url = '';
  readonly sessions: SessionSummary[] = [];
  private waiters: Array<(s: SessionSummary) => void> = [];

  constructor(private readonly options: RigOptions = {}) {}

  async open(): Promise<this> {
    // the store on the test backend (QB_TEST_STORE), in a folder (and schema) of this rig's own
    this.store = await openTestStore(path.join(this.tmp.dir, `store_${path.basename(this.tmp.dir).replace(/\W/g, '_')}`));
    this.qbd = new QbdCompany({ clock: this.clock.now, ...this.options.qbd });
    await this.newCompany();
    await this.startService();
    return this;
  }

  /** A new DesktopCompany over the same store (a Node-RED restart), started. */
  async newCompany(): Promise<DesktopCompany> {
    const income = this.qbd.get('Account', 'Service Income')?.ListID as string;
    this.company = new DesktopCompany({
      id: 'qbd-test', store: this.store, settings: { invoiceCreation: true, incomeAccountId: income },
      autoApprove: this.options.autoApprove ?? true, pageSize: this.options.pageSize, clock: this.clock.now, ...this.options.company,
    });
    this.company.on('session', (s: SessionSummary) => {
      this.sessions.push(s);
      for (const w of this.waiters.splice(0)) w(s);
    });
    await this.company.start();
    return this.company;
  }

  async startService(): Promise<void> {
    this.service = await createQbwcService({
      workSource: this.company, username: USER, password: PASSWORD, idleTimeoutMs: this.options.idleTimeoutMs ?? 60_000,
    });
    this.server = http.createServer();
    mountOnHttpServer(this.server, PATH, this.service.handler);
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${PATH}`;
  }

  async stopService(): Promise<void> {
    await this.service.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  sim(faults: FaultOptions = {}): WebConnectorSimulator {
    return new WebConnectorSimulator({ url: this.url, username: USER, password: PASSWORD, processor: this.qbd, ...faults });
  }

  /** One Web Connector run. */
  run(faults: FaultOptions = {}) {
    return this.sim().runSession(faults);
  }

  /** Resolves when the company ends its next session (e.g. a killed one expiring). */
  nextSessionEnd(): Promise<SessionSummary> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async enqueue(spec: Omit<JobSpec, 'rank'> & { kind: JobKind }) {
    return (await this.company.outbox.enqueue({ rank: RANK[spec.kind], ...spec })).job;
  }

  async job(key: string) {
    const job = await this.company.outbox.get(key);
    if (!job) throw new Error(`no job ${key}`);
    return job;
  }

  async close(): Promise<void> {
    await this.stopService();
    await this.company.close();
    await this.store.close();
    this.tmp.cleanup();
  }
}

export async function rig(options: RigOptions = {}): Promise<Rig> {
  return new Rig(options).open();
}

/** A customer.add job spec. */
export function customerJob(key: string, name: string, extra: Record<string, unknown> = {}, match?: { appId: string }) {
  return {
    key, kind: 'customer.add' as const, sourceId: key,
    payload: { entity: 'Customer', fields: { Name: name, ...extra }, lookup: { field: 'Name', value: name }, ...(match ? { match: { kind: 'customer', appId: match.appId } } : {}) },
    summary: `Customer ${name}`,
  };
}

/** An item.add job spec (ItemServiceAdd on Service Income unless told otherwise). */
export function itemJob(key: string, name: string, incomeListId: string, extra: Record<string, unknown> = {}, match?: { appId: string }) {
  return {
    key, kind: 'item.add' as const, sourceId: key,
    payload: {
      entity: 'Item', itemType: 'Service', fields: { Name: name, SalesOrPurchase: { Price: 12.5, AccountRef: { ListID: incomeListId } }, ...extra },
      lookup: { field: 'Name', value: name }, ...(match ? { match: { kind: 'item', appId: match.appId } } : {}),
    },
    summary: `Item ${name}`,
  };
}
