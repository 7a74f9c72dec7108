/**
 * QBO fault bodies (qbo.md §2.6) and the test-only fault injector (forced 429 / 5xx, commit-then-drop).
 */

/** A QBO fault raised by a handler; the server turns it into an HTTP response. */
export class QboFault extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly detail: string,
    readonly element = '',
    readonly type = 'ValidationFault',
  ) {
    super(message);
  }

  /** The `Fault` object as it appears in a response (or in a batch item). */
  toFault(): { Error: Array<{ Message: string; Detail: string; code: string; element: string }>; type: string } {
    return { Error: [{ Message: this.message, Detail: this.detail, code: this.code, element: this.element }], type: this.type };
  }
}

export const faults = {
  required: (element: string, what = element) =>
    new QboFault(400, '2020', 'Required param missing, need to supply the required value for the API',
      `Required parameter ${what} is missing in the request`, element),
  tooLong: (element: string, max: number, supplied: number) =>
    new QboFault(400, '2050', 'String length is either shorter or longer than supported by specification',
      `String length specified does not match the supported length. Min:0 Max:${max} supplied length:${supplied}`, element),
  invalid: (element: string, detail: string) =>
    new QboFault(400, '2010', 'Request has invalid or unsupported property', detail, element),
  emptyBody: () => new QboFault(400, '2310', 'Request Body is Empty', 'Request Body is Empty', ''),
  notFound: (detail = "Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees.") =>
    new QboFault(400, '610', 'Object Not Found', detail, ''),
  invalidRef: (label: string, id: string, element: string) =>
    new QboFault(400, '2500', 'Invalid Reference Id', `Invalid Reference Id : ${label} element id ${id} not found`, element),
  stale: () =>
    new QboFault(400, '5010', 'Stale Object Error',
      'Stale Object Error : You and root were working on this at the same time. root finished before you did, so your work was not saved.', ''),
  duplicateName: (id: string) =>
    new QboFault(400, '6240', 'Duplicate Name Exists Error', `The name supplied already exists. : Id=${id}`, ''),
  amount: (supplied: number) =>
    new QboFault(400, '6070', 'Amount calculation incorrect in the request',
      `Amount is not equal to UnitPrice * Qty. Supplied value:${supplied}`, 'Line.Amount'),
  duplicateDocNumber: (docNumber: string, txnId: string) =>
    new QboFault(400, '6140', 'Duplicate Document Number Error',
      `Duplicate Document Number Error : You must specify a different number. This number has already been used. DocNumber=${docNumber} is assigned to TxnType=Invoice with TxnId=${txnId}`, ''),
  business: (detail: string, element = '') =>
    new QboFault(400, '6000', 'A business validation error has occurred while processing your request',
      `Business Validation Error: ${detail}`, element),
  queryParse: (detail: string) => new QboFault(400, '4000', 'Error parsing query', `QueryParserError: ${detail}`, ''),
  queryProperty: (prop: string) =>
    new QboFault(400, '4001', 'Invalid query', `QueryValidationError: property '${prop}' is not queryable`, ''),
  unsupported: (detail: string) => new QboFault(400, '500', 'Unsupported Operation', detail, ''),
  system: (status: number) =>
    new QboFault(status, '10000', 'An application error has occurred while processing your request',
      'System Failure Error: An unexpected error occurred while accessing or saving your data.', '', 'SystemFault'),
};

/** Which requests an injected fault applies to. */
export type FaultTarget = 'api' | 'write' | 'read' | 'query' | 'batch' | 'cdc' | 'token';

/** The kind of a request, as the server classifies it (also the keys of `stats.requests`). */
export type RequestKind = 'query' | 'read' | 'write' | 'batch' | 'cdc' | 'token' | 'authorize' | 'revoke' | 'other';

interface Rule {
  kind: 'throttle' | 'server';
  remaining: number;
  target: FaultTarget;
  retryAfter?: number;
  xml?: boolean;
  status?: number;
}

export interface InjectedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function matches(target: FaultTarget, kind: RequestKind): boolean {
  if (target === 'api') return kind === 'query' || kind === 'read' || kind === 'write' || kind === 'batch' || kind === 'cdc';
  return target === kind;
}

/** Deterministic PRNG (mulberry32) so probability-based faults (and the fuzz test) are reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The gateway's 429 body (JSON, or the historical XML form). */
export function throttleBody(xml: boolean, time: string): { body: string; contentType: string } {
  if (xml) {
    return {
      contentType: 'application/xml',
      body: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><IntuitResponse time="${time}"><Fault type="ThrottleExceeded"><Error code="3001"><Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message><Detail>The request limit was reached.</Detail></Error></Fault></IntuitResponse>`,
    };
  }
  return {
    contentType: 'application/json',
    body: JSON.stringify({
      Fault: {
        Error: [{ Message: 'message=ThrottleExceeded; errorCode=003001; statusCode=429', Detail: 'The request limit was reached.', code: '3001', element: '' }],
        type: 'ThrottleExceeded',
      },
      time,
    }),
  };
}

/** Test-only switchboard: forced throttling, server errors, commit-then-drop and hung connections. */
export class FaultInjector {
  private rules: Rule[] = [];
  private hangs: Array<{ remaining: number; target: FaultTarget }> = [];
  private dropCount = 0;
  private dropProbability = 0;
  private random: () => number = Math.random;

  /** The next `n` matching requests get HTTP 429 (code 3001); `retryAfter` seconds adds a Retry-After header. */
  throttle(n: number, opts: { retryAfter?: number; xml?: boolean; target?: FaultTarget } = {}): void {
    this.rules.push({ kind: 'throttle', remaining: n, target: opts.target ?? 'api', retryAfter: opts.retryAfter, xml: opts.xml });
  }

  /** The next `n` matching requests get a 5xx SystemFault (500 unless `status` says otherwise). */
  serverError(n: number, opts: { status?: number; target?: FaultTarget } = {}): void {
    this.rules.push({ kind: 'server', remaining: n, target: opts.target ?? 'api', status: opts.status ?? 500 });
  }

  /** The next `k` writes (creates, updates, deletes, batches) are applied, then the socket is destroyed unanswered. */
  dropAfterCommit(k: number): void {
    this.dropCount += k;
  }

  /** Every write is applied and then dropped with probability `p`, drawn from a PRNG seeded with `seed`. */
  dropAfterCommitWithProbability(p: number, seed: number): void {
    this.dropProbability = p;
    this.random = rng(seed);
  }

  /**
   * The next `n` matching requests are never answered: the connection stays open, as a hung connection
   * looks to the client. Writes are applied first (the worst case: committed, no answer).
   */
  hang(n: number, opts: { target?: FaultTarget } = {}): void {
    this.hangs.push({ remaining: n, target: opts.target ?? 'api' });
  }

  /** Removes every pending fault. */
  clear(): void {
    this.rules = [];
    this.hangs = [];
    this.dropCount = 0;
    this.dropProbability = 0;
  }

  /** @internal Whether this (already performed) request should never be answered. */
  hangThis(kind: RequestKind): boolean {
    const rule = this.hangs.find((r) => r.remaining > 0 && matches(r.target, kind));
    if (!rule) return false;
    rule.remaining -= 1;
    this.hangs = this.hangs.filter((r) => r.remaining > 0);
    return true;
  }

  /** @internal A forced response for this request, if a rule applies. */
  take(kind: RequestKind, time: string): InjectedResponse | undefined {
    const rule = this.rules.find((r) => r.remaining > 0 && matches(r.target, kind));
    if (!rule) return undefined;
    rule.remaining -= 1;
    this.rules = this.rules.filter((r) => r.remaining > 0);
    if (rule.kind === 'throttle') {
      const { body, contentType } = throttleBody(!!rule.xml, time);
      const headers: Record<string, string> = { 'content-type': contentType };
      if (rule.retryAfter !== undefined) headers['retry-after'] = String(rule.retryAfter);
      return { status: 429, headers, body };
    }
    const status = rule.status ?? 500;
    return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ Fault: faults.system(status).toFault(), time }) };
  }

  /** @internal Whether this (already applied) write should lose its response. */
  dropThisWrite(): boolean {
    if (this.dropCount > 0) {
      this.dropCount -= 1;
      return true;
    }
    return this.dropProbability > 0 && this.random() < this.dropProbability;
  }
}
