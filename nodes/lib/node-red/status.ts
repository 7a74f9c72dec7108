import type { CompanyStatus } from '../company/types';
import type { NodeAPI, NodeStatus, RuntimeNode } from './types';

/** A node's status texts: keys under `<type>.status.` in the node's own catalog, with substitutions. */
export type StatusText = (key: string, subs?: Record<string, unknown>) => string;

/**
 * The translator of a node's status texts (its locale catalog, `<type>.status.<key>`), so every status
 * a node shows comes from its catalog, counts and names substituted.
 */
export function statusText(RED: Pick<NodeAPI, '_'>, node: Pick<RuntimeNode, 'type'>): StatusText {
  return (key, subs) => RED._(`${node.type}.status.${key}`, subs);
}

/** Short status texts for the connection states (BlueTrace: Connecting → Connected). */
export function statusFor(s: CompanyStatus, t: StatusText): Required<Pick<NodeStatus, 'fill' | 'shape' | 'text'>> {
  switch (s.state) {
    case 'connected':
      return { fill: 'green', shape: 'dot', text: s.progress ? t('connectedProgress', { progress: s.progress }) : t('connected') };
    case 'connecting':
      return { fill: 'yellow', shape: 'ring', text: s.progress ? t('connectingProgress', { progress: s.progress }) : t('connecting') };
    case 'reconnect-needed':
      return { fill: 'red', shape: 'ring', text: t('reconnectNeeded') };
    case 'error':
      return { fill: 'red', shape: 'dot', text: s.message ? t('errorMessage', { message: s.message.slice(0, 32) }) : t('error') };
    default:
      return { fill: 'grey', shape: 'ring', text: t('notConnected') };
  }
}
