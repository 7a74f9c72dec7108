import crypto from 'node:crypto';
import { exchangeCode, buildAuthorizeUrl, parseRedirect, type AppCredentials, type TokenSet } from '../company/qbo/oauth';
import type { Endpoints } from '../company/qbo/environment';
import { systemClock } from '../company/qbo/clock';
import type { NodeAPI, RequestLike, ResponseLike } from './types';
import { escapeHtml } from '../util/text';

/** What the qbo-connection node gives the OAuth routes. */
export interface OAuthTarget {
  endpoints(): Endpoints;
  app(): AppCredentials;
  /** Keeps the tokens and realm of a completed connect (sealed in the store) and reconnects. */
  connected(tokens: TokenSet): Promise<void>;
}

interface Pending {
  nodeId: string;
  redirectUri: string;
  expires: number;
}

const STATE_TTL_MS = 10 * 60_000;
const pending = new Map<string, Pending>();


/** JSON that is safe inside an inline script: no `</script>`, no HTML comment, no line separators. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function page(res: ResponseLike, status: number, title: string, body: string, message: Record<string, unknown>): void {
  res.status(status);
  res.type?.('text/html');
  res.send(
    `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body style="font-family:sans-serif">` +
      `<h2>${escapeHtml(title)}</h2><p>${escapeHtml(body)}</p>` +
      // The editor opened this window from the same origin: only it may hear the outcome.
      `<script>if (window.opener) { window.opener.postMessage(${scriptJson({ source: 'qbo-connection', ...message })}, window.location.origin); }</script>` +
      '</body></html>',
  );
}

/** The redirect URI Intuit sends the browser back to: the configured one, else this admin API's callback. */
export function callbackUrl(req: RequestLike, adminRoot: string, configured?: string): string {
  if (configured) return configured;
  const root = adminRoot.endsWith('/') ? adminRoot : `${adminRoot}/`;
  return `${req.protocol ?? 'http'}://${req.get?.('host') ?? 'localhost'}${root}qbo-connection/callback`;
}

/**
 * Intuit's OAuth 2.0 authorization-code flow through admin routes:
 * - `POST /qbo-connection/:id/auth` (editor, authenticated) → `{url}` to open: the consent page with a
 *   random single-use `state` that expires in 10 minutes;
 * - `GET /qbo-connection/callback` (the browser, coming back from Intuit: it carries no editor token,
 *   so it is protected by that `state` instead) → exchanges the code, keeps the tokens sealed in the
 *   store, and answers a page that tells the editor and can be closed.
 */
export function registerOAuthRoutes(RED: NodeAPI, target: (nodeId: string) => (OAuthTarget & { redirectUri?: string }) | undefined): void {
  const adminRoot = typeof RED.settings.httpAdminRoot === 'string' ? RED.settings.httpAdminRoot : '/';

  RED.httpAdmin.post('/qbo-connection/:id/auth', RED.auth.needsPermission('qbo-connection.write'), (req: RequestLike, res: ResponseLike) => {
    const node = target(req.params.id);
    if (!node) {
      res.status(404).json({ error: 'deploy this QuickBooks Online connection first, then connect it' });
      return;
    }
    const app = node.app();
    if (!app.clientId || !app.clientSecret) {
      res.status(400).json({ error: 'set the Client ID and Client Secret (or QBO_CLIENT_ID and QBO_CLIENT_SECRET) and deploy first' });
      return;
    }
    for (const [s, p] of pending) if (p.expires < Date.now()) pending.delete(s);
    const state = crypto.randomBytes(24).toString('base64url');
    const redirectUri = callbackUrl(req, adminRoot, node.redirectUri);
    pending.set(state, { nodeId: req.params.id, redirectUri, expires: Date.now() + STATE_TTL_MS });
    res.json({ url: buildAuthorizeUrl(node.endpoints(), { clientId: app.clientId, redirectUri, state }), redirectUri });
  });

  RED.httpAdmin.get('/qbo-connection/callback', (req: RequestLike, res: ResponseLike) => {
    const state = typeof req.query.state === 'string' ? req.query.state : '';
    const entry = state ? pending.get(state) : undefined;
    if (!entry || entry.expires < Date.now()) {
      page(res, 400, 'QuickBooks connection failed', 'This sign-in link is unknown or has expired. Start again with "Connect to QuickBooks" in the editor.', { ok: false });
      return;
    }
    pending.delete(state);
    const node = target(entry.nodeId);
    if (!node) {
      page(res, 400, 'QuickBooks connection failed', 'The QuickBooks Online connection is no longer deployed.', { ok: false });
      return;
    }
    (async () => {
      const { code, realmId } = parseRedirect(req.query, state);
      const tokens = await exchangeCode(node.endpoints(), node.app(), { code, redirectUri: entry.redirectUri, realmId }, systemClock);
      await node.connected(tokens);
      page(res, 200, 'Connected to QuickBooks', `Company ${realmId} is connected. You can close this window.`, { ok: true, realmId, nodeId: entry.nodeId });
    })().catch((err: Error) => {
      page(res, 400, 'QuickBooks connection failed', err.message, { ok: false });
    });
  });
}
