/**
 * The QBO simulator's HTTP server (node:http on 127.0.0.1, ephemeral port) and its programmatic API.
 * See README.md in this folder.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { batch, cdc, companyInfo, operationOf, write } from './api';
import { canonicalEntity, Company, EntityName, Rec } from './entities';
import { FaultInjector, faults, QboFault, RequestKind, throttleBody } from './faults';
import { Limits, LimitOptions } from './limits';
import { OAuthServer, TokenResponse } from './oauth';
import { queryResponse } from './query';

export interface SimulatorOptions {
  realmId?: string;
  clientId?: string;
  clientSecret?: string;
  /** Base clock (epoch ms). Default Date.now. `sim.clock.advance()` shifts it forward. */
  now?: () => number;
  limits?: LimitOptions;
  /** Access-token lifetime (s), refresh-token lifetime (s), rotation policy, registered redirect URIs. */
  accessTokenTtlSec?: number;
  refreshTokenTtlSec?: number;
  rotation?: 'always' | 'daily';
  redirectUris?: string[];
  /** Delay before each API answer (real ms), to make requests overlap. Mutable later via `sim.config`. */
  latencyMs?: number;
  /** Batch size limit (Intuit: 30). */
  maxBatchItems?: number;
  /** Company time zone offset in minutes (default -480). */
  tzOffsetMinutes?: number;
  /** Custom transaction numbers on: invoices without DocNumber get none. Default false (auto-numbering). */
  customTxnNumbers?: boolean;
}

export interface SimStats {
  requests: Record<RequestKind, number>;
  /** 429s sent, by cause. */
  throttled: { rate: number; batch: number; concurrency: number; injected: number };
  serverErrors: number;
  unauthorized: number;
  /** Writes applied whose response was dropped. */
  dropped: number;
  /** Requests never answered (FaultInjector.hang). */
  hung: number;
  /** requestid replays answered from the store. */
  replays: number;
  /** Records created, by entity (creates through the API, including batch items). */
  created: Record<string, number>;
  /** The most API requests in flight at once. */
  maxInFlight: number;
  /** Validation faults answered (single requests and batch items), by QuickBooks error code (e.g. 6140 duplicate DocNumber). */
  faults: Record<string, number>;
}

function emptyStats(): SimStats {
  return {
    requests: { query: 0, read: 0, write: 0, batch: 0, cdc: 0, token: 0, authorize: 0, revoke: 0, other: 0 },
    throttled: { rate: 0, batch: 0, concurrency: 0, injected: 0 },
    serverErrors: 0,
    unauthorized: 0,
    dropped: 0,
    hung: 0,
    replays: 0,
    created: {},
    maxInFlight: 0,
    faults: {},
  };
}

export interface QboSimulator {
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  /** `baseUrl + '/v3/company/'`: what node-quickbooks' `endpoint` must be. */
  apiBase: string;
  tokenUrl: string;
  authorizeUrl: string;
  revokeUrl: string;
  realmId: string;
  clientId: string;
  clientSecret: string;
  company: Company;
  oauth: OAuthServer;
  faults: FaultInjector;
  stats: SimStats;
  /** Mutable runtime settings. */
  config: { latencyMs: number };
  clock: { now(): number; advance(ms: number): void };
  /** Issues a fresh token pair, as a completed consent would. */
  issueTokens(): TokenResponse;
  /** Issues a fresh grant and returns only its refresh token (a client that must refresh first). */
  issueRefreshToken(): string;
  seed(entity: EntityName, records: Rec[]): Rec[];
  all(entity: EntityName): Rec[];
  resetStats(): void;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const jsonAnswer = (status: number, body: unknown): Answer => ({ status, headers: { 'content-type': 'application/json;charset=UTF-8' }, body: JSON.stringify(body) });

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function classify(method: string, rest: string[]): RequestKind {
  const head = (rest[0] ?? '').toLowerCase();
  if (head === 'query') return 'query';
  if (head === 'batch') return 'batch';
  if (head === 'cdc') return 'cdc';
  if (method === 'GET') return 'read';
  if (method === 'POST') return 'write';
  return 'other';
}

export async function startQboSimulator(options: SimulatorOptions = {}): Promise<QboSimulator> {
  let offset = 0;
  const base = options.now ?? Date.now;
  const now = () => base() + offset;
  const realmId = options.realmId ?? `93${Math.floor(1e13 + Math.random() * 8e13)}`;
  const clientId = options.clientId ?? `AB${randomBytes(12).toString('hex')}`;
  const clientSecret = options.clientSecret ?? randomBytes(20).toString('hex');
  const company = new Company(realmId, { now, tzOffsetMinutes: options.tzOffsetMinutes, customTxnNumbers: options.customTxnNumbers });
  const oauth = new OAuthServer({
    clientId,
    clientSecret,
    realmId,
    now,
    accessTokenTtlSec: options.accessTokenTtlSec,
    refreshTokenTtlSec: options.refreshTokenTtlSec,
    rotation: options.rotation,
    redirectUris: options.redirectUris,
  });
  const limits = new Limits(now, options.limits);
  const injector = new FaultInjector();
  const config = { latencyMs: options.latencyMs ?? 0 };
  const maxBatch = options.maxBatchItems ?? 30;
  /** requestid → stored answer (per company). */
  const replay = new Map<string, Answer>();
  const sim = { stats: emptyStats() };

  const withTime = (body: Rec) => ({ ...body, time: company.time() });
  const faultAnswer = (f: QboFault) => jsonAnswer(f.status, { Fault: f.toFault(), time: company.time() });

  function countCreated(entity: string, n = 1): void {
    sim.stats.created[entity] = (sim.stats.created[entity] ?? 0) + n;
  }

  function countFault(code: string): void {
    sim.stats.faults[code] = (sim.stats.faults[code] ?? 0) + 1;
  }

  /** The API operation itself; throws QboFault. */
  function perform(method: string, rest: string[], url: URL, body: string, kind: RequestKind): Answer {
    const parse = (): Rec => {
      if (body.trim() === '') throw faults.emptyBody();
      try {
        return JSON.parse(body) as Rec;
      } catch {
        throw faults.invalid('', 'Request body is not valid JSON');
      }
    };
    if (kind === 'query') {
      const text = method === 'GET' ? url.searchParams.get('query') : body;
      if (!text) throw faults.queryParse('Encountered "<EOF>" at line 1, column 1.');
      return jsonAnswer(200, withTime({ QueryResponse: queryResponse(company, text) }));
    }
    if (kind === 'batch') {
      const result = batch(company, parse(), maxBatch);
      for (const item of result.BatchItemResponse as Rec[]) {
        const key = Object.keys(item).find((k) => canonicalEntity(k) === k);
        if (key && item[key].status !== 'Deleted' && item[key].SyncToken === '0') countCreated(key);
        if (item.Fault) countFault(String(item.Fault.Error?.[0]?.code));
      }
      return jsonAnswer(200, withTime(result));
    }
    if (kind === 'cdc') return jsonAnswer(200, withTime(cdc(company, url.searchParams.get('entities'), url.searchParams.get('changedSince'))));
    const head = (rest[0] ?? '').toLowerCase();
    if (method === 'GET' && head === 'companyinfo') return jsonAnswer(200, withTime(companyInfo(company)));
    if (method === 'GET' && head === 'preferences') {
      return jsonAnswer(200, withTime({ Preferences: { SalesFormsPrefs: { CustomTxnNumbers: !!options.customTxnNumbers } } }));
    }
    const entity = canonicalEntity(head);
    if (!entity) throw faults.unsupported(`Unsupported entity or operation: ${rest.join('/')}`);
    if (method === 'GET' && rest.length === 2) return jsonAnswer(200, withTime({ [entity]: company.read(entity, decodeURIComponent(rest[1])) }));
    if (method === 'POST' && rest.length === 1) {
      const op = operationOf(url.searchParams);
      const include = (url.searchParams.get('include') ?? '').toLowerCase().split(',');
      const result = write(company, entity, op, parse(), { allowDuplicateDocNum: include.includes('allowduplicatedocnum') });
      if (result[entity]?.SyncToken === '0' && op === 'create') countCreated(entity);
      return jsonAnswer(200, withTime(result));
    }
    throw faults.unsupported(`Unsupported operation ${method} ${rest.join('/')}`);
  }

  async function api(req: http.IncomingMessage, res: http.ServerResponse, url: URL, realm: string, rest: string[], body: string): Promise<Answer | 'dropped'> {
    const method = req.method ?? 'GET';
    const kind = classify(method, rest);
    sim.stats.requests[kind] += 1;
    const denied = oauth.verify(req.headers.authorization, realm);
    if (denied) {
      sim.stats.unauthorized += 1;
      return denied;
    }
    const admission = limits.admit(realm, kind === 'batch');
    if (!admission.ok) {
      sim.stats.throttled[admission.reason] += 1;
      const { body: b, contentType } = throttleBody(false, company.time());
      const headers: Record<string, string> = { 'content-type': contentType };
      if (admission.retryAfterSec !== undefined) headers['retry-after'] = String(admission.retryAfterSec);
      return { status: 429, headers, body: b };
    }
    sim.stats.maxInFlight = Math.max(sim.stats.maxInFlight, limits.inFlight(realm));
    try {
      if (config.latencyMs > 0) await sleep(config.latencyMs);
      const injected = injector.take(kind, company.time());
      if (injected) {
        if (injected.status === 429) sim.stats.throttled.injected += 1;
        else sim.stats.serverErrors += 1;
        return injected;
      }
      const isWrite = method === 'POST' && (kind === 'write' || kind === 'batch');
      const requestId = isWrite ? [...url.searchParams].find(([k]) => k.toLowerCase() === 'requestid')?.[1] : undefined;
      if (requestId !== undefined) {
        const max = kind === 'batch' ? 36 : 50;
        if (requestId.length > max) return faultAnswer(faults.tooLong('requestid', max, requestId.length));
        const stored = replay.get(requestId);
        if (stored) {
          sim.stats.replays += 1;
          return stored;
        }
      }
      let answer: Answer;
      try {
        answer = perform(method, rest, url, body, kind);
      } catch (err) {
        if (!(err instanceof QboFault)) throw err;
        countFault(err.code);
        answer = faultAnswer(err);
      }
      if (requestId !== undefined) replay.set(requestId, answer);
      if (injector.hangThis(kind)) {
        sim.stats.hung += 1;
        return 'dropped'; // no answer; the connection stays open until the client gives up
      }
      if (isWrite && injector.dropThisWrite()) {
        sim.stats.dropped += 1;
        admission.release();
        res.socket?.destroy();
        return 'dropped';
      }
      return answer;
    } finally {
      admission.release();
    }
  }

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<Answer | 'dropped'> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const body = await readBody(req);
    const path = url.pathname.replace(/\/+$/, '');
    const method = req.method ?? 'GET';
    if (path === '/connect/oauth2' && method === 'GET') {
      sim.stats.requests.authorize += 1;
      return oauth.authorize(url.searchParams);
    }
    if (path === '/oauth2/v1/tokens/bearer' && method === 'POST') {
      sim.stats.requests.token += 1;
      const injected = injector.take('token', company.time());
      if (injected) return injected;
      return oauth.token(req.headers.authorization, new URLSearchParams(body));
    }
    if ((path === '/oauth2/v1/tokens/revoke' || path === '/v2/oauth2/tokens/revoke') && method === 'POST') {
      sim.stats.requests.revoke += 1;
      const tokenValue = body.trim().startsWith('{') ? String((JSON.parse(body) as Rec).token ?? '') : new URLSearchParams(body).get('token') ?? '';
      return oauth.revoke(req.headers.authorization, tokenValue);
    }
    const m = /^\/v3\/company\/([^/]+)\/(.+)$/.exec(path);
    if (m) return api(req, res, url, decodeURIComponent(m[1]), m[2].split('/'), body);
    sim.stats.requests.other += 1;
    return jsonAnswer(404, { error: 'not_found' });
  }

  const server = http.createServer((req, res) => {
    res.setHeader('intuit_tid', `1-${randomUUID().replace(/-/g, '').slice(0, 24)}`);
    route(req, res)
      .then((answer) => {
        if (answer === 'dropped') return;
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
      })
      .catch((err: unknown) => {
        sim.stats.serverErrors += 1;
        const f = faults.system(500);
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ Fault: f.toFault(), time: company.time(), note: String(err) }));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const baseUrl = `http://127.0.0.1:${port}`;

  return {
    baseUrl,
    apiBase: `${baseUrl}/v3/company/`,
    tokenUrl: `${baseUrl}/oauth2/v1/tokens/bearer`,
    authorizeUrl: `${baseUrl}/connect/oauth2`,
    revokeUrl: `${baseUrl}/v2/oauth2/tokens/revoke`,
    realmId,
    clientId,
    clientSecret,
    company,
    oauth,
    faults: injector,
    get stats() {
      return sim.stats;
    },
    config,
    clock: {
      now,
      advance(ms: number) {
        offset += ms;
      },
    },
    issueTokens: () => oauth.issue(),
    issueRefreshToken: () => oauth.issue().refresh_token,
    seed: (entity, records) => company.seed(entity, records),
    all: (entity) => company.all(entity),
    resetStats() {
      sim.stats = emptyStats();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
