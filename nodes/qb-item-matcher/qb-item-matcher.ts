/** qb-item-matcher: BlueTrace items ↔ QuickBooks items by SKU through the key rules. */
import { matcherNode } from '../lib/node-red/matcher-node';
import type { NodeAPI } from '../lib/node-red/types';

export = function (RED: NodeAPI): void {
  matcherNode(RED, 'qb-item-matcher', 'item');
};
