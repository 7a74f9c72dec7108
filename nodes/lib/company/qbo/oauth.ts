/**
 * OAuth 2.0 with Intuit (qbo.md §2.9): the consent URL, the code exchange, and the refresh call (through
 * node-quickbooks' refreshAccessToken, with its global TOKEN_URL pointed at our endpoint only for that call).
 */
import type { Clock } from './clock';
import type { Endpoints } from './environment';
import { normalizeError, QboError } from './errors';
import { nqCall, QuickBooks } from './nq';

export const ACCOUNTING_SCOPE = 'com.intuit.quickbooks.accounting';

export interface AppCredentials {
  clientId: string;
  clientSecret: string;
}

/** What we keep per connection (persisted through the TokenStore). Times are epoch ms. */
export interface TokenSet {
  realmId: string;
  accessToken: string;
  refreshToken: string;
  accessTokenExpiresAt: number;
  refreshTokenExpiresAt: number;
  updatedAt: number;
}

/** Intuit's token endpoint answer. */
export interface TokenResponse {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  x_refresh_token_expires_in?: number;
  token_type?: string;
}

export function toTokenSet(realmId: string, r: TokenResponse, now: number): TokenSet {
  return {
    realmId,
    accessToken: r.access_token,
    refreshToken: r.refresh_token,
    accessTokenExpiresAt: now + Number(r.expires_in ?? 3600) * 1000,
    refreshTokenExpiresAt: now + Number(r.x_refresh_token_expires_in ?? 8_726_400) * 1000,
    updatedAt: now,
  };
}

/** The consent URL: client_id, scope, redirect_uri, response_type=code, state. */
export function buildAuthorizeUrl(endpoints: Endpoints, p: { clientId: string; redirectUri: string; state: string; scope?: string }): string {
  const u = new URL(endpoints.authorizeUrl);
  u.searchParams.set('client_id', p.clientId);
  u.searchParams.set('scope', p.scope ?? ACCOUNTING_SCOPE);
  u.searchParams.set('redirect_uri', p.redirectUri);
  u.searchParams.set('response_type', 'code');
  u.searchParams.set('state', p.state);
  return u.toString();
}

/** The parameters the redirect brings back; throws when Intuit reported an error or the state does not match. */
export function parseRedirect(query: Record<string, unknown> | URLSearchParams, expectedState: string): { code: string; realmId: string } {
  // One plain value per parameter (a query string may repeat one or nest it); anything else is absent.
  const get = (k: string): string | undefined => {
    const v = query instanceof URLSearchParams ? query.get(k) : query[k];
    return typeof v === 'string' ? v : undefined;
  };
  const error = get('error');
  if (error !== undefined) {
    const known = /^[a-z_]{1,40}$/.test(error) ? error : 'an error';
    throw new QboError({ code: 'CONSENT_FAILED', message: `QuickBooks consent failed: QuickBooks answered ${known}` });
  }
  if (get('state') !== expectedState) throw new QboError({ code: 'STATE_MISMATCH', message: 'QuickBooks consent failed: the state parameter does not match' });
  const code = get('code');
  const realmId = get('realmId');
  if (!code || !realmId) throw new QboError({ code: 'MISSING_CODE', message: 'QuickBooks consent failed: code or realmId missing' });
  // Intuit's company ids are digits; authorization codes are short tokens.
  if (!/^\d{1,32}$/.test(realmId)) throw new QboError({ code: 'BAD_REALM', message: 'QuickBooks consent failed: realmId is not a QuickBooks company id (digits)' });
  if (!/^[A-Za-z0-9._~-]{1,512}$/.test(code)) throw new QboError({ code: 'BAD_CODE', message: 'QuickBooks consent failed: the authorization code is not valid' });
  return { code, realmId };
}

function basic(app: AppCredentials): string {
  return `Basic ${Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64')}`;
}

/** Exchanges an authorization code for tokens. */
export async function exchangeCode(endpoints: Endpoints, app: AppCredentials, p: { code: string; redirectUri: string; realmId: string }, clock: Pick<Clock, 'now'>): Promise<TokenSet> {
  let res: Response;
  try {
    res = await fetch(endpoints.tokenUrl, {
      method: 'POST',
      headers: { authorization: basic(app), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: p.code, redirect_uri: p.redirectUri }).toString(),
    });
  } catch (err) {
    throw normalizeError(err);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  if (!res.ok) throw normalizeError({ response: { status: res.status, headers: res.headers, data: body } });
  return toTokenSet(p.realmId, body as TokenResponse, clock.now());
}

/**
 * One refresh-token grant through node-quickbooks. TOKEN_URL is a global of the library: it is set and restored in the
 * same synchronous turn, because axios reads the URL when the call is made.
 */
export async function refreshWithNodeQuickbooks(endpoints: Endpoints, app: AppCredentials, refreshToken: string): Promise<TokenResponse> {
  const qbo = new QuickBooks({
    consumerKey: app.clientId,
    consumerSecret: app.clientSecret,
    token: '',
    tokenSecret: false,
    realmId: '',
    useSandbox: false,
    debug: false,
    minorversion: 75,
    oauthversion: '2.0',
    refreshToken,
  });
  const { data } = await nqCall<TokenResponse>((cb) => {
    const saved = QuickBooks.TOKEN_URL;
    QuickBooks.TOKEN_URL = endpoints.tokenUrl;
    try {
      qbo.refreshAccessToken(cb);
    } finally {
      QuickBooks.TOKEN_URL = saved;
    }
  });
  return data;
}
