/**
 * Test harness for the QBO client: the simulator and the client share one fake clock whose sleep() advances time at
 * once, so throttling and backoff are asserted by counts and clock readings, never by waiting.
 */
import { QboClient, QboClientOptions } from '../../../nodes/lib/company/qbo/client';
import type { Clock } from '../../../nodes/lib/company/qbo/clock';
import { Endpoints, resolveEndpoints } from '../../../nodes/lib/company/qbo/environment';
import { AppCredentials, refreshWithNodeQuickbooks, toTokenSet } from '../../../nodes/lib/company/qbo/oauth';
import { RealmThrottle } from '../../../nodes/lib/company/qbo/throttle';
import { MemoryTokenStore, TokenManager, TokenStore } from '../../../nodes/lib/company/qbo/tokens';
import { startQboSimulator, QboSimulator, SimulatorOptions } from '../../sim/qbo/server';

export class FakeClock implements Clock {
  t = Date.parse('2026-06-01T12:00:00Z');
  readonly slept: number[] = [];

  now(): number {
    return this.t;
  }

  async sleep(ms: number): Promise<void> {
    this.slept.push(ms);
    this.t += Math.max(0, ms);
    await new Promise((r) => setImmediate(r));
  }

  random(): number {
    return 0.5;
  }

  advance(ms: number): void {
    this.t += ms;
  }

  get sleptTotal(): number {
    return this.slept.reduce((a, b) => a + b, 0);
  }
}

export interface Harness {
  clock: FakeClock;
  sim: QboSimulator;
  client: QboClient;
  tokens: TokenManager;
  store: TokenStore & { saved?: unknown[] };
  endpoints: Endpoints;
  app: AppCredentials;
  key: string;
  /** A second manager/client on the same store and realm. */
  newClient(): { client: QboClient; tokens: TokenManager };
  close(): Promise<void>;
}

export async function harness(opts: { sim?: SimulatorOptions; client?: Partial<QboClientOptions>; store?: TokenStore } = {}): Promise<Harness> {
  const clock = new FakeClock();
  const sim = await startQboSimulator({ now: () => clock.now(), ...opts.sim });
  const endpoints = resolveEndpoints({ environment: 'custom', baseUrl: sim.baseUrl, tokenUrl: sim.tokenUrl, authorizeUrl: sim.authorizeUrl });
  const app = { clientId: sim.clientId, clientSecret: sim.clientSecret };
  const store = opts.store ?? new MemoryTokenStore();
  const key = `conn-1:${sim.realmId}`;
  await store.save(key, toTokenSet(sim.realmId, sim.issueTokens(), clock.now()));
  const throttle = new RealmThrottle(clock);
  const make = () => {
    const tokens = new TokenManager({ store, key, realmId: sim.realmId, refresh: (rt) => refreshWithNodeQuickbooks(endpoints, app, rt), clock });
    const client = new QboClient({ realmId: sim.realmId, app, endpoints, tokens, clock, throttle, ...opts.client });
    return { client, tokens };
  };
  const first = make();
  return { clock, sim, ...first, store, endpoints, app, key, newClient: make, close: () => sim.close() };
}

/** An income account Id in the simulated company. */
export function incomeAccount(sim: QboSimulator): string {
  return sim.seed('Account', [{ Name: 'Sales of Product Income', AccountType: 'Income' }])[0].Id as string;
}
