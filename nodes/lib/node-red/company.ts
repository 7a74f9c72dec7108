import type { Company, CompanyStatus, Edition } from '../company/types';
import { isNotConfigured } from '../errors';
import { statusFor, statusText } from './status';
import { registry } from '../console/registry';
import type { NodeAPI, RuntimeNode } from './types';

/** A connection config node (`qbo-connection` or `qbwc-server`) as consumers see it. */
export interface CompanyConfigNode {
  readonly edition: Edition;
  /** Resolves with the company once its store is open (rejects with why it cannot be). */
  whenCompany(): Promise<Company>;
}

/** The connection properties every QuickBooks node carries: one per edition, the chosen one set. */
export interface ConnectionConfig {
  edition?: Edition;
  qbo?: string;
  qbwc?: string;
}

/**
 * Finds the chosen connection config node of a QuickBooks node. Throws a clear error when none is
 * chosen or it is not deployed, so the node can say so in its status and log.
 */
export function connectionOf(RED: NodeAPI, config: ConnectionConfig): CompanyConfigNode {
  const edition: Edition = config.edition === 'qbd' ? 'qbd' : config.edition === 'qbo' ? 'qbo' : config.qbwc && !config.qbo ? 'qbd' : 'qbo';
  const id = edition === 'qbd' ? config.qbwc : config.qbo;
  if (!id) throw new Error(edition === 'qbd' ? 'no QuickBooks Desktop (qbwc-server) connection is chosen' : 'no QuickBooks Online (qbo-connection) connection is chosen');
  const node = RED.nodes.getNode(id) as Partial<CompanyConfigNode> | null;
  if (!node || typeof node.whenCompany !== 'function') throw new Error(`the chosen QuickBooks connection (${id}) is not deployed`);
  return node as CompanyConfigNode;
}


/**
 * The status a node shows while its connection's store has corrupt lines kept aside (Store.quarantined):
 * an i18n key of the connection node's own catalog, named with its namespace so every node can show it.
 */
export const STORE_QUARANTINE_STATUS: Readonly<Record<Edition, string>> = Object.freeze({
  qbo: '@qbsync/node-red-quickbooks/qbo-connection:qbo-connection.status.storeQuarantine',
  qbd: '@qbsync/node-red-quickbooks/qbwc-server:qbwc-server.status.storeQuarantine',
});

/** The warning logged once per node for it (key beside the status's; `{{count}}` lines). */
const STORE_QUARANTINE_WARNING: Readonly<Record<Edition, string>> = Object.freeze({
  qbo: '@qbsync/node-red-quickbooks/qbo-connection:qbo-connection.warn.storeQuarantine',
  qbd: '@qbsync/node-red-quickbooks/qbwc-server:qbwc-server.warn.storeQuarantine',
});

/** The yellow warning for a company whose store kept corrupt lines aside, or undefined. */
export function quarantineStatus(company: Company): { fill: 'yellow'; shape: 'ring'; text: string } | undefined {
  return company.quarantined().length ? { fill: 'yellow', shape: 'ring', text: STORE_QUARANTINE_STATUS[company.edition] } : undefined;
}

/**
 * Connects a QuickBooks node to its company: resolves the chosen connection, waits for the company,
 * listens to its events (removed on close) and reports a missing connection as the node's error.
 * Returns a promise of the company that input handlers await.
 */
export function attachCompany(
  RED: NodeAPI,
  node: RuntimeNode,
  config: ConnectionConfig,
  listeners: Partial<Record<'status' | 'synced' | 'job' | 'matches' | 'imported' | 'linked', (arg: any) => void>> = {},
): Promise<Company> {
  let company: Company | undefined;
  const t = statusText(RED, node);
  // The connection's state shows on the node while it is not simply connected (BlueTrace: Connecting → Connected).
  let shown: CompanyStatus['state'] | undefined;
  const showState = (s: CompanyStatus) => {
    // Not connected (or loading): say so. Becoming connected: say so once (or the store's warning); the node's own status follows.
    const warning = company && s.state === 'connected' && !s.progress ? quarantineStatus(company) : undefined;
    if (s.state !== 'connected' || s.progress || shown !== 'connected') node.status(warning ?? statusFor(s, t));
    shown = s.state;
  };
  const all: Record<string, (arg: any) => void> = { ...listeners, status: (s: CompanyStatus) => (showState(s), listeners.status?.(s)) };
  const attached = (async () => {
    company = await connectionOf(RED, config).whenCompany();
    for (const [event, fn] of Object.entries(all)) company.on(event, fn as (arg: unknown) => void);
    showState(company.status());
    const kept = company.quarantined();
    if (kept.length) {
      node.status(quarantineStatus(company) as NonNullable<ReturnType<typeof quarantineStatus>>); // until the connection's state changes
      const files = kept.map((q) => q.quarantineFile).join(', ');
      node.warn(RED._(STORE_QUARANTINE_WARNING[company.edition], { count: kept.reduce((n, q) => n + q.count, 0), files }));
    }
    return company;
  })();
  attached.catch((err: Error) => {
    // Not configured yet: the connection says what to set, once, in the log; here a grey status.
    if (isNotConfigured(err)) {
      node.status({ fill: 'grey', shape: 'ring', text: t('notConfigured', { needs: err.needs.join(', ') || err.message }) });
      return;
    }
    node.error(err.message);
    node.status({ fill: 'red', shape: 'ring', text: t('noConnection') });
  });
  node.on('close', (_removed: boolean, done: () => void) => {
    if (company) for (const [event, fn] of Object.entries(all)) company.off(event, fn as (arg: unknown) => void);
    done();
  });
  return attached;
}

/**
 * Connects a QuickBooks node to its company and builds the node's handler from it (compiling its
 * rules): a failure is logged once and shown as the node's status, and every input then fails with
 * it. Returns the promise of the handler that input handlers await.
 */
export function attachHandler<H>(
  RED: NodeAPI,
  node: RuntimeNode,
  config: ConnectionConfig,
  listeners: Parameters<typeof attachCompany>[3],
  build: (company: Company) => H | Promise<H>,
  texts: { ready: string; failed: string },
): Promise<H> {
  const ready = attachCompany(RED, node, config, listeners).then(async (company) => {
    let handler: H;
    try {
      handler = await build(company);
    } catch (err) {
      node.error((err as Error).message);
      node.status({ fill: 'red', shape: 'ring', text: texts.failed });
      throw err;
    }
    if (company.status().state === 'connected') node.status(quarantineStatus(company) ?? { fill: 'grey', shape: 'ring', text: texts.ready });
    // The console (admin routes) calls this same handler; the node leaves the registry when it closes.
    registry.add({ nodeId: node.id, type: node.type, name: node.name || '', company, handler });
    node.on('close', (_removed: boolean, done: () => void) => {
      registry.remove(node.id, handler);
      done();
    });
    return handler;
  });
  ready.catch(() => undefined); // reported above (or by attachCompany); each input fails with the reason
  return ready;
}
