/** qb-customer-matcher: BlueTrace customers ↔ QuickBooks customers by billing email through the key rules. */
import { matcherNode } from '../lib/node-red/matcher-node';
import type { NodeAPI } from '../lib/node-red/types';

export = function (RED: NodeAPI): void {
  matcherNode(RED, 'qb-customer-matcher', 'customer');
};
