/**
 * qbo-connection: a QuickBooks Online company. Connect with the editor's "Connect to QuickBooks" button
 * (Intuit's OAuth 2.0 authorization-code flow through admin routes) or headless from QBO_REFRESH_TOKEN;
 * tokens live sealed in the store and rotate there. Hands the company (mirror, queue, matches) to
 * every QuickBooks node that chooses this connection. Wiring only: see nodes/lib/company/qbo.
 */
import type { AppCredentials, TokenSet } from '../lib/company/qbo/oauth';
import { resolveEndpoints, type QboEnvironment } from '../lib/company/qbo/environment';
import { createOnlineCompany, type OnlineCompanyHandle } from '../lib/company/qbo/online-factory';
import type { Company } from '../lib/company/types';
import { registerAdminRoutes } from '../lib/node-red/admin-routes';
import { isNotConfigured, NotConfiguredError } from '../lib/errors';
import { reportNotConfigured } from '../lib/node-red/first-start';
import { guardClose } from '../lib/node-red/errors';
import { registerOAuthRoutes } from '../lib/node-red/qbo-oauth';
import { generalSettings, type GeneralSettingsConfig } from '../lib/node-red/settings';
import type { NodeAPI, RuntimeNode } from '../lib/node-red/types';
import { createConfiguredNode } from '../lib/node-red/migrations';
import { acquireStore, releaseStore, sharedVault, storeDir } from '../lib/store';
import { fromEnv, intSetting } from '../lib/util/env';

interface QboConnectionConfig extends GeneralSettingsConfig {
  name?: string;
  environment?: string;
  baseUrl?: string;
  tokenUrl?: string;
  authUrl?: string;
  realmId?: string;
  redirectUri?: string;
  syncEveryMinutes?: string | number;
}

interface QboConnectionNode extends RuntimeNode {
  edition: 'qbo';
  whenCompany(): Promise<Company>;
}

export = function (RED: NodeAPI): void {
  registerAdminRoutes(RED);
  const deployed = new Map<string, { endpoints: () => ReturnType<typeof resolveEndpoints>; app: () => AppCredentials; connected: (t: TokenSet) => Promise<void>; redirectUri?: string }>();
  registerOAuthRoutes(RED, (id) => deployed.get(id));

  function QboConnectionNode(this: QboConnectionNode, config: QboConnectionConfig): void {
    config = createConfiguredNode(RED, this, config);
    const node = this;
    node.edition = 'qbo';
    const environment = (fromEnv(config.environment, 'QBO_ENVIRONMENT') || 'sandbox') as QboEnvironment;
    const environmentConfig = {
      environment,
      baseUrl: fromEnv(config.baseUrl, 'QBO_BASE_URL'),
      tokenUrl: fromEnv(config.tokenUrl, 'QBO_TOKEN_URL'),
      authorizeUrl: fromEnv(config.authUrl, 'QBO_AUTH_URL'),
    };
    const endpoints = () => resolveEndpoints(environmentConfig);
    const app = (): AppCredentials => ({
      clientId: fromEnv(node.credentials?.clientId, 'QBO_CLIENT_ID'),
      clientSecret: fromEnv(node.credentials?.clientSecret, 'QBO_CLIENT_SECRET'),
    });
    const dir = storeDir(RED.settings.userDir);
    // Tokens are kept per QuickBooks company (realm), not per node: two connections to one company share
    // one rotating refresh token instead of invalidating each other's. The realm a node was connected to
    // by "Connect to QuickBooks" is remembered in the store's state.
    const realmStateId = `qbo-connection|${node.id}`;
    const keyFor = (realmId: string) => `qbo:${realmId}`;
    let handle: OnlineCompanyHandle | undefined;
    let acquired = false;

    const ready = (async () => {
      endpoints(); // a bad environment or URL is reported now, not on the first call
      const store = await acquireStore(dir, { warn: (m) => node.warn(m) });
      acquired = true;
      const vault = sharedVault<TokenSet>(store);
      const configuredRealm = fromEnv(config.realmId, 'QBO_REALM_ID');
      const remembered = (await store.state.findOne({ _id: realmStateId })) as { realmId?: string } | null;
      const realmId = configuredRealm || remembered?.realmId || '';
      const tokenKey = keyFor(realmId);
      let tokens = realmId ? await vault.load(tokenKey) : null;
      const bootstrap = fromEnv(node.credentials?.refreshToken, 'QBO_REFRESH_TOKEN');
      if (!tokens && bootstrap && realmId) {
        const now = Date.now();
        const seed: TokenSet = { realmId, accessToken: '', refreshToken: bootstrap, accessTokenExpiresAt: 0, refreshTokenExpiresAt: now + 100 * 86_400_000, updatedAt: now };
        await vault.saveIfAbsent(tokenKey, seed); // another connection may have seeded (and rotated) it already
        tokens = await vault.load(tokenKey);
      }
      if (!tokens) {
        const needs = [
          ...(app().clientId ? [] : ['QBO_CLIENT_ID']), ...(app().clientSecret ? [] : ['QBO_CLIENT_SECRET']),
          ...(realmId ? [] : ['QBO_REALM_ID']), ...(bootstrap ? [] : ['QBO_REFRESH_TOKEN (or press "Connect to QuickBooks")']),
        ];
        throw new NotConfiguredError('QuickBooks Online is not connected yet: press "Connect to QuickBooks" in the qbo-connection settings and deploy again (or set QBO_REALM_ID and QBO_REFRESH_TOKEN)', needs);
      }
      handle = await createOnlineCompany({
        id: node.id, store, settings: generalSettings(config), realmId: tokens.realmId, app: app(), environment: environmentConfig,
        tokenStore: vault, tokenKey,
        syncEveryMinutes: intSetting(config.syncEveryMinutes, 60),
      });
      return handle.company;
    })();
    ready.catch((err: Error) => (isNotConfigured(err) ? reportNotConfigured(RED, node, err) : node.error(err.message)));
    node.whenCompany = () => ready;

    deployed.set(node.id, {
      endpoints, app, redirectUri: fromEnv(config.redirectUri) || undefined,
      connected: async (tokens: TokenSet) => {
        const store = await acquireStore(dir);
        try {
          await sharedVault<TokenSet>(store).save(keyFor(tokens.realmId), tokens);
          await store.state.update({ _id: realmStateId }, { _id: realmStateId, realmId: tokens.realmId }, { upsert: true });
        } finally {
          await releaseStore(dir);
        }
        if (handle && handle.realmId === tokens.realmId) await handle.reconnected(tokens);
      },
    });

    node.on('close', guardClose(node, async () => {
      deployed.delete(node.id);
      await ready.catch(() => undefined);
      if (handle) await handle.close();
      if (acquired) await releaseStore(dir);
    }));
  }

  RED.nodes.registerType('qbo-connection', QboConnectionNode as never, {
    credentials: { clientId: { type: 'text' }, clientSecret: { type: 'password' }, refreshToken: { type: 'password' } },
  });
};
