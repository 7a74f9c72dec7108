/**
 * Wiring for one QuickBooks Online connection: endpoints from the environment, a token manager over the injected
 * store (refreshing through node-quickbooks), and the client. What a config node builds once.
 */
import { QboClient, RetryOptions } from './client';
import { Clock, systemClock } from './clock';
import { EnvironmentConfig, Endpoints, resolveEndpoints } from './environment';
import { AppCredentials, refreshWithNodeQuickbooks } from './oauth';
import type { ThrottleLimits } from './throttle';
import { TokenManager, TokenStore } from './tokens';

export interface ConnectionConfig {
  realmId: string;
  app: AppCredentials;
  environment: EnvironmentConfig;
  store: TokenStore;
  /** Store key (default `qbo:${realmId}`). */
  storeKey?: string;
  clock?: Clock;
  limits?: Partial<ThrottleLimits>;
  retry?: Partial<RetryOptions>;
  batchSize?: number;
}

export interface QboConnection {
  endpoints: Endpoints;
  tokens: TokenManager;
  client: QboClient;
}

export function createQboConnection(cfg: ConnectionConfig): QboConnection {
  const endpoints = resolveEndpoints(cfg.environment);
  const clock = cfg.clock ?? systemClock;
  const tokens = new TokenManager({
    store: cfg.store,
    key: cfg.storeKey ?? `qbo:${cfg.realmId}`,
    realmId: cfg.realmId,
    refresh: (refreshToken) => refreshWithNodeQuickbooks(endpoints, cfg.app, refreshToken),
    clock,
  });
  const client = new QboClient({ realmId: cfg.realmId, app: cfg.app, endpoints, tokens, clock, limits: cfg.limits, retry: cfg.retry, batchSize: cfg.batchSize });
  return { endpoints, tokens, client };
}
