/**
 * Where a QuickBooks Online connection talks to: Intuit sandbox, Intuit production, or a custom base URL (the
 * simulator, a proxy). qbo.md §2.1, §2.9.
 */

export type QboEnvironment = 'sandbox' | 'production' | 'custom';

export interface EnvironmentConfig {
  environment: QboEnvironment;
  /** custom only: the API base (scheme://host[:port][/prefix]); the client appends `/v3/company/{realmId}/…`. */
  baseUrl?: string;
  /** custom only: token endpoint. */
  tokenUrl?: string;
  /** custom only: authorize endpoint. */
  authorizeUrl?: string;
  /** custom only: revoke endpoint (optional). */
  revokeUrl?: string;
}

export interface Endpoints {
  /** Ends with `/v3/company/`: node-quickbooks' `endpoint`. */
  apiBase: string;
  tokenUrl: string;
  authorizeUrl: string;
  revokeUrl: string;
}

const INTUIT_TOKEN_URL = 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer';
const INTUIT_AUTHORIZE_URL = 'https://appcenter.intuit.com/connect/oauth2';
const INTUIT_REVOKE_URL = 'https://developer.api.intuit.com/v2/oauth2/tokens/revoke';

function httpUrl(value: string | undefined, what: string): string {
  if (!value) throw new Error(`QuickBooks custom environment: ${what} is required`);
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new Error(`QuickBooks custom environment: ${what} is not a valid URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`QuickBooks custom environment: ${what} must be http or https`);
  return value;
}

export function resolveEndpoints(cfg: EnvironmentConfig): Endpoints {
  const intuit = { tokenUrl: INTUIT_TOKEN_URL, authorizeUrl: INTUIT_AUTHORIZE_URL, revokeUrl: INTUIT_REVOKE_URL };
  switch (cfg.environment) {
    case 'sandbox':
      return { apiBase: 'https://sandbox-quickbooks.api.intuit.com/v3/company/', ...intuit };
    case 'production':
      return { apiBase: 'https://quickbooks.api.intuit.com/v3/company/', ...intuit };
    case 'custom': {
      const base = httpUrl(cfg.baseUrl, 'base URL').replace(/\/+$/, '');
      const tokenUrl = httpUrl(cfg.tokenUrl, 'token URL');
      const authorizeUrl = httpUrl(cfg.authorizeUrl, 'authorize URL');
      const revokeUrl = cfg.revokeUrl ? httpUrl(cfg.revokeUrl, 'revoke URL') : `${new URL(tokenUrl).origin}/v2/oauth2/tokens/revoke`;
      return { apiBase: `${base}/v3/company/`, tokenUrl, authorizeUrl, revokeUrl };
    }
    default:
      throw new Error(`unknown QuickBooks environment: ${String((cfg as { environment: unknown }).environment)}`);
  }
}
