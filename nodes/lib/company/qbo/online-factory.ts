import type { Store } from '../../store';
import type { GeneralSettings } from '../types';
import { createQboConnection } from './connection';
import type { EnvironmentConfig } from './environment';
import type { AppCredentials, TokenSet } from './oauth';
import { OnlineCompany } from './online-company';
import type { TokenStore } from './tokens';

/** What the qbo-connection node holds: the company, its realm, and how to reconnect and close it. */
export interface OnlineCompanyHandle {
  company: OnlineCompany;
  realmId: string;
  /** New tokens from a completed "Connect to QuickBooks": use them and resume syncing and sending. */
  reconnected(tokens: TokenSet): Promise<void>;
  close(): Promise<void>;
}

export interface OnlineCompanySetup {
  id: string;
  store: Store;
  settings: GeneralSettings;
  realmId: string;
  app: AppCredentials;
  environment: EnvironmentConfig;
  tokenStore: TokenStore;
  tokenKey: string;
  syncEveryMinutes: number;
}

/**
 * Builds a QuickBooks Online company for a connection config node and starts it in the background
 * (the first full load can take long on a large company; its progress shows as status).
 */
export async function createOnlineCompany(setup: OnlineCompanySetup): Promise<OnlineCompanyHandle> {
  const connection = createQboConnection({ realmId: setup.realmId, app: setup.app, environment: setup.environment, store: setup.tokenStore, storeKey: setup.tokenKey });
  const company = new OnlineCompany({ id: setup.id, store: setup.store, settings: setup.settings, client: connection.client, syncEveryMinutes: setup.syncEveryMinutes });
  const started = company.start().catch(() => undefined); // failures show in the company's status
  return {
    company,
    realmId: setup.realmId,
    reconnected: async (tokens) => {
      await connection.tokens.setTokens(tokens);
      company.resume();
    },
    close: async () => {
      await started;
      await company.close();
    },
  };
}
