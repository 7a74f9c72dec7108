import type { Company, CompanyStatus, Edition } from '../company/types';
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


/** Short status texts for the connection states (BlueTrace: Connecting → Connected). */
export function statusFor(s: CompanyStatus): { fill: 'red' | 'green' | 'yellow' | 'grey'; shape: 'dot' | 'ring'; text: string } {
  switch (s.state) {
    case 'connected':
      return { fill: 'green', shape: 'dot', text: s.progress ? `connected · ${s.progress}` : 'connected' };
    case 'connecting':
      return { fill: 'yellow', shape: 'ring', text: s.progress ? `connecting · ${s.progress}` : 'connecting' };
    case 'reconnect-needed':
      return { fill: 'red', shape: 'ring', text: 'reconnect needed' };
    case 'error':
      return { fill: 'red', shape: 'dot', text: s.message ? `error: ${s.message}`.slice(0, 40) : 'error' };
    default:
      return { fill: 'grey', shape: 'ring', text: 'not connected' };
  }
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
  // The connection's state shows on the node while it is not simply connected (BlueTrace: Connecting → Connected).
  let shown: CompanyStatus['state'] | undefined;
  const showState = (s: CompanyStatus) => {
    // Not connected (or loading): say so. Becoming connected: say so once; the node's own status follows.
    if (s.state !== 'connected' || s.progress || shown !== 'connected') node.status(statusFor(s));
    shown = s.state;
  };
  const all: Record<string, (arg: any) => void> = { ...listeners, status: (s: CompanyStatus) => (showState(s), listeners.status?.(s)) };
  const attached = (async () => {
    company = await connectionOf(RED, config).whenCompany();
    for (const [event, fn] of Object.entries(all)) company.on(event, fn as (arg: unknown) => void);
    showState(company.status());
    return company;
  })();
  attached.catch((err: Error) => {
    node.error(err.message);
    node.status({ fill: 'red', shape: 'ring', text: 'no connection' });
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
    if (company.status().state === 'connected') node.status({ fill: 'grey', shape: 'ring', text: texts.ready });
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
