/**
 * qbsync-console: the Node-RED plugin of the QuickBooks console. Its editor part (qbsync-console.html)
 * adds the "QuickBooks" sidebar tab; its runtime part registers the console's admin routes (also
 * registered by every QuickBooks node, once per runtime). Wiring only: see nodes/lib/console.
 */
import { registerAdminRoutes } from '../lib/node-red/admin-routes';
import type { NodeAPI } from '../lib/node-red/types';

export = function (RED: NodeAPI & { plugins: { registerPlugin(id: string, definition: Record<string, unknown>): void } }): void {
  RED.plugins.registerPlugin('qbsync-console', { type: 'qbsync-console' });
  registerAdminRoutes(RED);
};
