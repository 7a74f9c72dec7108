import { EventEmitter } from 'node:events';
import type { Company } from '../company/types';

/** One deployed QuickBooks node as the console sees it: its type, its company, and the handler it runs. */
export interface RegisteredNode {
  nodeId: string;
  type: string;
  name: string;
  company: Company;
  /** The node's handler (MatcherHandler, InvoiceHandler, ExportHandler, ImportHandler, ChargeHandler). */
  handler: unknown;
  /** What else the node runs that the console shows (the exporter's Accounting Scheduler). */
  extras: Record<string, unknown>;
}

/**
 * The handlers of the deployed QuickBooks nodes, so the console's admin routes call the very objects
 * the flows' messages reach (one piece of code per action). Nodes are added when their handler is
 * built and removed when they close; one registry per process (Node-RED runs one runtime). Event
 * `added` (the entry) lets the console listen to the company's events.
 */
export class HandlerRegistry extends EventEmitter {
  private readonly nodes = new Map<string, RegisteredNode>();

  add(entry: Omit<RegisteredNode, 'extras'> & { extras?: Record<string, unknown> }): void {
    const added = { ...entry, extras: entry.extras ?? {} };
    this.nodes.set(entry.nodeId, added);
    this.emit('added', added);
  }

  /** Adds what else a node runs (e.g. its scheduler) once it is registered. */
  extend(nodeId: string, extras: Record<string, unknown>): void {
    const entry = this.nodes.get(nodeId);
    if (entry) Object.assign(entry.extras, extras);
  }

  /** Removes a node (only if `handler` is still the one registered: a redeploy may have replaced it). */
  remove(nodeId: string, handler?: unknown): void {
    const entry = this.nodes.get(nodeId);
    if (entry && (handler === undefined || entry.handler === handler)) this.nodes.delete(nodeId);
  }

  /** The nodes using a company, optionally of some types, in a stable order (by node id). */
  of(companyId: string, types?: readonly string[]): RegisteredNode[] {
    return [...this.nodes.values()]
      .filter((n) => n.company.id === companyId && (!types || types.includes(n.type)))
      .sort((a, b) => a.nodeId.localeCompare(b.nodeId));
  }

  /** The first node of these types using the company, or undefined. */
  first(companyId: string, types: readonly string[]): RegisteredNode | undefined {
    return this.of(companyId, types)[0];
  }

  all(): RegisteredNode[] {
    return [...this.nodes.values()];
  }
}

/** The process's registry. */
export const registry = new HandlerRegistry();
