/**
 * Intuit OAuth 2.0 as documented (qbo.md §2.9): authorization-code flow, Basic-auth token endpoint, refresh-token
 * rotation (a superseded refresh token → 400 invalid_grant), access-token expiry, revoke, and the gateway's 401 body.
 */
import { randomBytes } from 'node:crypto';

export const ACCOUNTING_SCOPE = 'com.intuit.quickbooks.accounting';

export interface TokenResponse {
  token_type: 'bearer';
  access_token: string;
  refresh_token: string;
  expires_in: number;
  x_refresh_token_expires_in: number;
}

export interface OAuthOptions {
  clientId: string;
  clientSecret: string;
  realmId: string;
  now: () => number;
  /** Access-token lifetime in seconds (Intuit: 3600). */
  accessTokenTtlSec?: number;
  /** Refresh-token lifetime in seconds from issue (Intuit: 8726400, ~101 days). */
  refreshTokenTtlSec?: number;
  /** 'always' (default): every refresh returns a new refresh token and the old one dies at once.
   *  'daily': the same value comes back until it is 24 h old (Intuit's FAQ), then it rotates. */
  rotation?: 'always' | 'daily';
  /** Registered redirect URIs; when empty any http(s) URI is accepted. */
  redirectUris?: string[];
  /** Authorization-code lifetime in seconds (not documented; 300 chosen). */
  codeTtlSec?: number;
}

interface Grant {
  revoked: boolean;
  refreshToken: string;
  refreshIssuedAt: number;
}

interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const json = (status: number, body: unknown, extra: Record<string, string> = {}): HttpAnswer => ({
  status,
  headers: { 'content-type': 'application/json', ...extra },
  body: JSON.stringify(body),
});

const token = (prefix: string) => `${prefix}${randomBytes(24).toString('base64url')}`;

/** The gateway's lower-case 401/403 envelope (qbo.md §2.6). Never echoes the token. */
export function gatewayFault(status: 401 | 403, code: '3200' | '3100', detail: string, nowMs: number): HttpAnswer {
  const message = code === '3200'
    ? 'message=AuthenticationFailed; errorCode=003200; statusCode=401'
    : 'message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403';
  return json(status, {
    warnings: null,
    intuitObject: null,
    fault: { error: [{ message, detail, code, element: null }], type: code === '3200' ? 'AUTHENTICATION' : 'SERVICE' },
    report: null,
    queryResponse: null,
    batchItemResponse: [],
    attachableResponse: [],
    syncErrorResponse: null,
    requestId: null,
    time: nowMs,
    status: null,
    cdcresponse: [],
  });
}

export class OAuthServer {
  private readonly codes = new Map<string, { redirectUri: string; exp: number; grant?: string }>();
  private readonly access = new Map<string, { exp: number; grant: string }>();
  /** refresh token → grant id; superseded tokens are removed (→ invalid_grant). */
  private readonly refresh = new Map<string, string>();
  private readonly grants = new Map<string, Grant>();

  constructor(private readonly o: OAuthOptions) {}

  private get accessTtl(): number {
    return this.o.accessTokenTtlSec ?? 3600;
  }

  private get refreshTtl(): number {
    return this.o.refreshTokenTtlSec ?? 8_726_400;
  }

  /** GET authorize: consent is automatic; redirects to redirect_uri with code, state and realmId. */
  authorize(q: URLSearchParams): HttpAnswer {
    const redirectUri = q.get('redirect_uri') ?? '';
    if (q.get('client_id') !== this.o.clientId) return json(400, { error: 'invalid_client' });
    const registered = this.o.redirectUris && this.o.redirectUris.length > 0 ? this.o.redirectUris.includes(redirectUri) : /^https?:\/\//.test(redirectUri);
    if (!registered) return json(400, { error: 'invalid_request', error_description: 'redirect_uri is not registered' });
    const back = new URL(redirectUri);
    const state = q.get('state');
    if (state !== null) back.searchParams.set('state', state);
    if (q.get('response_type') !== 'code') {
      back.searchParams.set('error', 'unsupported_response_type');
    } else if (!(q.get('scope') ?? '').split(/\s+/).includes(ACCOUNTING_SCOPE)) {
      back.searchParams.set('error', 'invalid_scope');
    } else {
      const code = token('AB11');
      this.codes.set(code, { redirectUri, exp: this.o.now() + (this.o.codeTtlSec ?? 300) * 1000 });
      back.searchParams.set('code', code);
      back.searchParams.set('realmId', this.o.realmId);
    }
    return { status: 302, headers: { location: back.toString() }, body: '' };
  }

  /** POST token endpoint (form body). */
  token(authorization: string | undefined, form: URLSearchParams): HttpAnswer {
    if (!this.clientOk(authorization)) return json(401, { error: 'invalid_client' });
    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') {
      const code = form.get('code') ?? '';
      const entry = this.codes.get(code);
      this.codes.delete(code); // single use
      if (!entry || entry.exp <= this.o.now() || entry.redirectUri !== form.get('redirect_uri')) return json(400, { error: 'invalid_grant' });
      return json(200, this.issue());
    }
    if (grantType === 'refresh_token') {
      const rt = form.get('refresh_token') ?? '';
      const grantId = this.refresh.get(rt);
      const grant = grantId ? this.grants.get(grantId) : undefined;
      if (!grantId || !grant || grant.revoked || grant.refreshIssuedAt + this.refreshTtl * 1000 <= this.o.now()) {
        return json(400, { error: 'invalid_grant', error_description: 'Incorrect or invalid refresh token' });
      }
      const rotate = (this.o.rotation ?? 'always') === 'always' || this.o.now() - grant.refreshIssuedAt >= 24 * 3600 * 1000;
      if (rotate) {
        this.refresh.delete(rt);
        grant.refreshToken = token('RT1-');
        grant.refreshIssuedAt = this.o.now();
        this.refresh.set(grant.refreshToken, grantId);
      }
      return json(200, this.accessFor(grantId, grant));
    }
    return json(400, { error: 'unsupported_grant_type' });
  }

  /** POST revoke: revokes the whole grant a refresh or access token belongs to. */
  revoke(authorization: string | undefined, tokenValue: string): HttpAnswer {
    if (!this.clientOk(authorization)) return json(401, { error: 'invalid_client' });
    const grantId = this.refresh.get(tokenValue) ?? this.access.get(tokenValue)?.grant;
    if (grantId) (this.grants.get(grantId) as Grant).revoked = true;
    return { status: 200, headers: {}, body: '' };
  }

  /** Checks a Bearer header for an API call; returns the error answer, or undefined when allowed. */
  verify(authorization: string | undefined, realmId: string): HttpAnswer | undefined {
    const now = this.o.now();
    const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!m) return gatewayFault(401, '3200', 'Token invalid: no bearer token', now);
    const entry = this.access.get(m[1]);
    if (!entry) return gatewayFault(401, '3200', 'Token invalid', now);
    if (this.grants.get(entry.grant)?.revoked) return gatewayFault(401, '3200', 'Token revoked', now);
    if (entry.exp <= now) return gatewayFault(401, '3200', 'Token expired', now);
    if (realmId !== this.o.realmId) return gatewayFault(403, '3100', 'The realm in the request does not match the realm of the token', now);
    return undefined;
  }

  /** Issues a fresh grant (what the code exchange would give). Test helper. */
  issue(): TokenResponse {
    const grantId = token('g');
    const grant: Grant = { revoked: false, refreshToken: token('RT1-'), refreshIssuedAt: this.o.now() };
    this.grants.set(grantId, grant);
    this.refresh.set(grant.refreshToken, grantId);
    return this.accessFor(grantId, grant);
  }

  /** Makes every access token issued so far expired (as if an hour passed for them). */
  expireAccessTokens(): void {
    for (const e of this.access.values()) e.exp = this.o.now();
  }

  /** Revokes every grant (the user disconnected the app). */
  revokeAll(): void {
    for (const g of this.grants.values()) g.revoked = true;
  }

  private accessFor(grantId: string, grant: Grant): TokenResponse {
    const at = token('eyJ');
    const now = this.o.now();
    this.access.set(at, { exp: now + this.accessTtl * 1000, grant: grantId });
    const left = Math.max(0, Math.ceil((grant.refreshIssuedAt + this.refreshTtl * 1000 - now) / 1000));
    return { token_type: 'bearer', access_token: at, refresh_token: grant.refreshToken, expires_in: this.accessTtl, x_refresh_token_expires_in: left };
  }

  private clientOk(authorization: string | undefined): boolean {
    const m = /^Basic\s+(\S+)$/i.exec(authorization ?? '');
    if (!m) return false;
    const [id, ...rest] = Buffer.from(m[1], 'base64').toString('utf8').split(':');
    return id === this.o.clientId && rest.join(':') === this.o.clientSecret;
  }
}
