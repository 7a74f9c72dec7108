/**
 * One error type for everything QuickBooks Online answers or fails with. Built from node-quickbooks' many error shapes
 * (qbo.md §1.5): AxiosError with `response.data`, a raw `Fault` body, the gateway's lower-case `fault`, XML bodies,
 * and network errors. Only chosen fields are copied: never the request config, headers or tokens.
 */

export interface QboErrorInit {
  code: string;
  message: string;
  detail?: string;
  element?: string;
  intuitTid?: string;
  status?: number;
  type?: string;
  /** Milliseconds from a Retry-After header (429). */
  retryAfterMs?: number;
  /** The request may have been applied (network failure after sending, 5xx). */
  unknownOutcome?: boolean;
}

export class QboError extends Error {
  readonly code: string;
  readonly detail: string;
  readonly element: string;
  readonly intuitTid?: string;
  readonly status?: number;
  readonly type?: string;
  readonly retryAfterMs?: number;
  readonly unknownOutcome: boolean;

  constructor(init: QboErrorInit) {
    const detail = scrub(init.detail ?? '');
    const text = scrub(init.message);
    super(`QuickBooks ${init.code === text ? '' : `${init.code}: `}${text}${detail && detail !== text ? ` (${detail})` : ''}${init.intuitTid ? ` [intuit_tid ${init.intuitTid}]` : ''}`);
    this.name = 'QboError';
    this.code = init.code;
    this.detail = detail;
    this.element = init.element ?? '';
    this.intuitTid = init.intuitTid;
    this.status = init.status;
    this.type = init.type;
    this.retryAfterMs = init.retryAfterMs;
    this.unknownOutcome = init.unknownOutcome ?? false;
  }

  /** For 6240 (duplicate name): the Id of the existing record, parsed from `… : Id=123`. */
  get existingId(): string | undefined {
    return /Id=(\d+)/.exec(this.detail)?.[1];
  }

  /** Worth retrying as is: throttled, server errors and network failures. */
  get transient(): boolean {
    return this.status === 429 || this.code === '3001' || (this.status !== undefined && this.status >= 500) || this.code === 'NETWORK';
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, detail: this.detail, element: this.element, intuitTid: this.intuitTid, status: this.status, type: this.type };
  }
}

/** The refresh token was refused (`invalid_grant`): a person must reconnect the company. Never retried. */
export class ReconnectNeededError extends QboError {
  constructor(realmId: string, reason = 'invalid_grant') {
    super({
      code: 'RECONNECT_NEEDED',
      message: `The QuickBooks Online connection to company ${realmId} must be re-authorised: Intuit refused the refresh token (${reason}). Open the connection node and click Connect to QuickBooks again.`,
      status: 400,
    });
    this.name = 'ReconnectNeededError';
  }
}

/** Removes anything that looks like a credential from text that may be shown or logged. */
export function scrub(text: string): string {
  return String(text)
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [redacted]')
    .replace(/\b(access_token|refresh_token|client_secret|code)=([^&\s"]+)/gi, '$1=[redacted]')
    .replace(/("(?:access_token|refresh_token|client_secret)"\s*:\s*")[^"]*"/gi, '$1[redacted]"');
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

interface FaultItem {
  code?: string;
  message?: string;
  detail?: string;
  element?: string | null;
}

function faultFromJson(body: Any): { items: FaultItem[]; type?: string } | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const f = body.Fault ?? body.fault;
  if (f && typeof f === 'object') {
    const list: Any[] = f.Error ?? f.error ?? [];
    return {
      type: f.type,
      items: list.map((e) => ({ code: e.code !== undefined ? String(e.code) : undefined, message: e.Message ?? e.message, detail: e.Detail ?? e.detail, element: e.element })),
    };
  }
  if (typeof body.error === 'string') return { items: [{ code: body.error, message: body.error_description ?? body.error }], type: 'OAuth' };
  return undefined;
}

function faultFromXml(text: string): { items: FaultItem[]; type?: string } | undefined {
  if (!/<Fault/i.test(text)) return undefined;
  const type = /<Fault[^>]*type="([^"]*)"/i.exec(text)?.[1];
  const code = /<Error[^>]*code="([^"]*)"/i.exec(text)?.[1];
  const message = /<Message>([\s\S]*?)<\/Message>/i.exec(text)?.[1];
  const detail = /<Detail>([\s\S]*?)<\/Detail>/i.exec(text)?.[1];
  return { type, items: [{ code, message, detail }] };
}

function header(headers: Any, name: string): string | undefined {
  if (!headers) return undefined;
  const v = typeof headers.get === 'function' ? headers.get(name) : headers[name] ?? headers[name.toLowerCase()];
  return v === undefined || v === null ? undefined : String(v);
}

function retryAfterMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'ERR_NETWORK', 'ERR_SOCKET_CONNECTION_TIMEOUT', 'UND_ERR_SOCKET']);

/**
 * Turns whatever node-quickbooks (or fetch) reported into a QboError. `err` is the callback's first argument,
 * `second` its second (data, or the error again for find*), `res` its third (the axios response).
 */
export function normalizeError(err: unknown, second?: unknown, res?: unknown): QboError {
  if (err instanceof QboError) return err;
  const e = err as Any;
  const response: Any = e?.response ?? (res && typeof res === 'object' && 'status' in (res as Any) ? res : undefined);
  const status: number | undefined = typeof response?.status === 'number' ? response.status : undefined;
  const headers = response?.headers;
  const intuitTid = header(headers, 'intuit_tid');
  const body: Any = response?.data ?? (e && (e.Fault || e.fault) ? e : undefined) ?? (second && typeof second === 'object' && ((second as Any).Fault || (second as Any).fault) ? second : undefined);
  const parsed = typeof body === 'string' ? faultFromXml(body) ?? safeJsonFault(body) : faultFromJson(body);
  if (parsed && parsed.items.length > 0) {
    const first = parsed.items[0];
    return new QboError({
      code: first.code ?? (status ? `HTTP_${status}` : 'UNKNOWN'),
      message: first.message ?? `HTTP ${status}`,
      detail: parsed.items.map((i) => i.detail).filter(Boolean).join('; '),
      element: first.element ?? '',
      intuitTid,
      status: status ?? (e?.Fault ? 200 : undefined),
      type: parsed.type,
      retryAfterMs: retryAfterMs(header(headers, 'retry-after')),
      unknownOutcome: status !== undefined && status >= 500,
    });
  }
  if (status !== undefined) {
    return new QboError({
      code: `HTTP_${status}`,
      message: `HTTP ${status}${response?.statusText ? ` ${response.statusText}` : ''}`,
      intuitTid,
      status,
      retryAfterMs: retryAfterMs(header(headers, 'retry-after')),
      unknownOutcome: status >= 500,
    });
  }
  const code: string | undefined = e?.code ?? e?.cause?.code;
  const message: string = typeof e?.message === 'string' ? e.message : String(err);
  if ((code && NETWORK_CODES.has(code)) || /socket hang up|network|ECONN|fetch failed/i.test(message)) {
    return new QboError({ code: 'NETWORK', message: `network failure: ${code ?? message}`, detail: code && message !== code ? message : '', unknownOutcome: true });
  }
  return new QboError({ code: code ?? 'UNKNOWN', message });
}

function safeJsonFault(text: string): { items: FaultItem[]; type?: string } | undefined {
  try {
    return faultFromJson(JSON.parse(text));
  } catch {
    return undefined;
  }
}
