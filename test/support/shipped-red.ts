import path from 'node:path';
import { startQboSimulator, type QboSimulator } from '../sim/qbo';
import { qboSimEnv } from './env';
import { startRed, type RedProcess } from './red-process';

/** Every POST endpoint of the four shipped flows (README). */
export const POST_ENDPOINTS = [
  '/bluetrace/items', '/bluetrace/customers', '/bluetrace/customers/link', '/bluetrace/resync', '/bluetrace/orders/packed',
  '/bluetrace-desktop/items', '/bluetrace-desktop/customers', '/bluetrace-desktop/customers/link', '/bluetrace-desktop/resync', '/bluetrace-desktop/orders/packed',
  '/blubilling/charges', '/blubilling/customers', '/blubilling/invoices', '/blubilling/payments', '/blubilling/imports', '/blubilling/exports', '/blubilling/queue/approve', '/blubilling/queue/skip',
  '/blubilling-online/charges', '/blubilling-online/customers', '/blubilling-online/invoices', '/blubilling-online/payments', '/blubilling-online/imports', '/blubilling-online/exports', '/blubilling-online/queue/approve', '/blubilling-online/queue/skip',
];

/** The Web Connector credentials the shipped Desktop flows read in these tests. */
export const QBWC_TEST_USER = 'wc-user';
export const QBWC_TEST_PASSWORD = 'wc-password-1';

/** Every shipped flow in a real `npm start` process, QuickBooks Online being the simulator. */
export interface ShippedRed {
  red: RedProcess;
  sim: QboSimulator;
  /** Writes QuickBooks Online received (creates, updates, batches). */
  writes(): number;
  stop(): Promise<void>;
}

/**
 * Starts the QuickBooks Online simulator (a small company) and Node-RED with the four shipped flows
 * configured from the environment as the README says (`extraEnv` adds authentication and the like).
 */
export async function startShippedRed(dir: string, extraEnv: Record<string, string> = {}): Promise<ShippedRed> {
  const sim = await startQboSimulator({ latencyMs: 0 });
  sim.seed('Item', [{ Name: 'Kumamoto 60ct', Sku: 'KUM-60', Type: 'NonInventory', UnitPrice: 42.5 }]);
  sim.seed('Customer', [{ DisplayName: 'Oyster Bay Co', PrimaryEmailAddr: { Address: 'ap@oysterbay.example' } }]);
  let red: RedProcess;
  try {
    red = await startRed(path.join(dir, 'user'), {
      ...qboSimEnv(sim),
      QBWC_USERNAME: QBWC_TEST_USER,
      QBWC_PASSWORD: QBWC_TEST_PASSWORD,
      QBWC_PUBLIC_URL: 'http://localhost:1880',
      ...extraEnv,
    });
  } catch (err) {
    await sim.close();
    throw err;
  }
  return {
    red,
    sim,
    writes: () => sim.stats.requests.write + sim.stats.requests.batch,
    async stop() {
      await red.stop();
      await sim.close();
    },
  };
}
