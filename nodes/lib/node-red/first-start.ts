import type { NotConfiguredError } from '../errors';
import type { NodeAPI, RuntimeNode } from './types';

interface Unconfigured {
  name: string;
  type: string;
  flows: string[];
  needs: string[];
  message: string;
}

/** What one start of the flows found unconfigured, logged once in one block (one runtime per process). */
let pending: { items: Unconfigured[]; timer?: NodeJS.Timeout } | undefined;
/** How long after the last report the block is written (the connections start within milliseconds). */
const SETTLE_MS = 300;

/** The labels of the flows (tabs) whose nodes use a connection. */
function flowsUsing(RED: NodeAPI, connectionId: string): string[] {
  const tabs = new Map<string, string>();
  const users = new Set<string>();
  RED.nodes.eachNode?.((n: { id: string; type: string; label?: string; z?: string; qbo?: string; qbwc?: string }) => {
    if (n.type === 'tab') tabs.set(n.id, n.label ?? n.id);
    else if ((n.qbo === connectionId || n.qbwc === connectionId) && n.z) users.add(n.z);
  });
  return [...users].map((z) => tabs.get(z) ?? z).sort();
}

/**
 * A connection that nobody configured yet is not an error: instead of an `[error]` line per node, the
 * log gets one block after the flows start, saying for each such connection which flows use it and
 * which variables to set.
 */
export function reportNotConfigured(RED: NodeAPI, node: RuntimeNode, err: NotConfiguredError): void {
  const batch = (pending ??= { items: [] });
  batch.items.push({ name: node.name || node.id, type: node.type, flows: flowsUsing(RED, node.id), needs: err.needs, message: err.message });
  if (batch.timer) clearTimeout(batch.timer);
  batch.timer = setTimeout(() => {
    pending = undefined;
    RED.log.warn(notConfiguredBlock(batch.items));
  }, SETTLE_MS);
  batch.timer.unref?.();
}

/** The one block the log gets: each unconfigured connection, its flows, and what to set. */
export function notConfiguredBlock(items: readonly Unconfigured[]): string {
  const lines = items.map((i) => {
    const where = i.flows.length ? ` (used by ${i.flows.map((f) => `"${f}"`).join(', ')})` : '';
    const what = i.needs.length ? `set ${i.needs.join(', ')}` : i.message;
    return `  - ${i.type} "${i.name}"${where}: ${what}`;
  });
  return [
    `QuickBooks: ${items.length} connection${items.length === 1 ? ' is' : 's are'} not configured yet; the nodes that use ${items.length === 1 ? 'it' : 'them'} wait (grey status) until then:`,
    ...lines,
    '  Set the variables in the environment or in a .env file (see .env.example and the README), then restart.',
  ].join('\n');
}
