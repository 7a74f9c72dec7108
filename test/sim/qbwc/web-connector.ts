/**
 * A QuickBooks Web Connector simulator: talks SOAP over HTTP to a real endpoint exactly as the
 * Windows Web Connector does (headers, envelopes, call order), drives a RequestProcessor in place
 * of QuickBooks, and fails where the real client fails. See README.md for the rules it enforces.
 */
import type { RequestProcessor } from './request-processor';
import { parseAnswer, requestEnvelope, WireError, INTUIT_NS, type ParsedAnswer } from './soap-wire';
import { postSoap } from './soap-transport';

export type QbwcOperation =
  | 'serverVersion'
  | 'clientVersion'
  | 'authenticate'
  | 'sendRequestXML'
  | 'receiveResponseXML'
  | 'connectionError'
  | 'getLastError'
  | 'closeConnection';

/** Fault injection; can be set on the simulator and overridden per session. */
export interface FaultOptions {
  /** QuickBooks cannot be opened: connectionError is called instead of sendRequestXML. */
  openFails?: boolean | { hresult?: string; message?: string; times?: number };
  /** The Nth response(s) of a session (1-based) are sent as hresult + message instead of qbXML (wire example A7). */
  hresultOnResponse?: number | number[];
  /** hresult used by hresultOnResponse and when the processor throws (default 0x80040400). */
  hresult?: string;
  /** message used by hresultOnResponse (default the parse-error text QuickBooks gives). */
  hresultMessage?: string;
  /** The Web Connector "crashes" right after the Nth receiveResponseXML answer: no closeConnection. */
  killAfterResponses?: number;
  /**
   * The Web Connector "crashes" right after receiving the Nth request, before answering it: the
   * processor may or may not have run it (`processKilledRequest`, default true), no receiveResponseXML,
   * no closeConnection. The outcome is unknown to the server, as after a real crash.
   */
  killAfterRequests?: number;
  /** With killAfterRequests: whether QuickBooks processed the request before the crash (default true). */
  processKilledRequest?: boolean;
}

export interface WebConnectorOptions extends FaultOptions {
  /** The AppURL of the .qwc file. */
  url: string;
  username: string;
  password: string;
  processor: RequestProcessor;
  /** The company file open in QuickBooks (used when authenticate answers ""). */
  companyFile?: string;
  /** Default "2.3.0.215". */
  clientVersion?: string;
  qbXMLCountry?: string;
  qbXMLMajorVers?: number;
  qbXMLMinorVers?: number;
  /** HCP response sent with the first sendRequestXML; default: asked from the processor (Host/Company/Preferences query). */
  hcpResponse?: string;
  /** Send `Expect: 100-continue` as .NET does (default true). */
  expectContinue?: boolean;
  /** Per-call HTTP timeout (default 30 s). */
  timeoutMs?: number;
  /** Safety stop for a server that never reaches 100 (default 10000 requests per session). */
  maxRequests?: number;
  /** Pause after "NoOp" before asking again (the real client waits about 5 s; default 0). */
  noOpDelayMs?: number;
  /** Give up after this many consecutive NoOps (default 3). */
  maxNoOps?: number;
  /** Continue after a clientVersion "W:" warning, as a user clicking OK would (default true). */
  acceptWarnings?: boolean;
}

export interface TranscriptEntry {
  op: QbwcOperation;
  /** Parameters as sent (the password is replaced by "***"). */
  params: Record<string, string>;
  httpStatus: number;
  /** The raw HTTP answer body. */
  raw: string;
  answer?: ParsedAnswer;
  error?: string;
}

export interface SessionResult {
  /** Operation names in call order. */
  calls: QbwcOperation[];
  transcript: TranscriptEntry[];
  serverVersion?: string | null;
  clientVersionAnswer?: string | null;
  /** The authenticate array as received. */
  authAnswer?: Array<string | null>;
  ticket?: string;
  /** authenticate entry [1]: "nvu", "none", "busy", "" or a company path. */
  authStatus?: string;
  /** authenticate entry [2] when a number: seconds the application asked to postpone the next update (qbwc.md §1.4). */
  postponeSeconds?: number;
  /** Company file the session worked on. */
  companyFile?: string;
  /** Every qbXML request the server sent. */
  requests: string[];
  /** Every receiveResponseXML answer. */
  percents: number[];
  finalPercent?: number;
  connectionErrorAnswer?: string;
  lastError?: string;
  closeMessage?: string;
  /** The session was killed by killAfterResponses or killAfterRequests (no closeConnection). */
  killed: boolean;
  /** Failures the real Web Connector would report (with its QBWC error code when known). */
  errors: string[];
  /** Oddities the references do not say the real client rejects. */
  warnings: string[];
  /** No errors. */
  ok: boolean;
}

/** Raised when the server's answer makes the real Web Connector fail. */
export class WebConnectorError extends Error {
  constructor(
    readonly op: QbwcOperation,
    readonly code: string,
    message: string,
  ) {
    super(`${code} ${op}: ${message}`);
    this.name = 'WebConnectorError';
  }
}

/** QBWC error codes for an exception in each callback (qbwc.md §5). */
const EXCEPTION_CODE: Record<QbwcOperation, string> = {
  serverVersion: 'QBWC-serverVersion',
  clientVersion: 'QBWC1036',
  authenticate: 'QBWC1012',
  sendRequestXML: 'QBWC1041',
  receiveResponseXML: 'QBWC1042',
  getLastError: 'QBWC1043',
  closeConnection: 'QBWC1044',
  connectionError: 'QBWC1045',
};

const DEFAULT_COMPANY = 'C:\\Users\\Public\\Documents\\Intuit\\QuickBooks\\Company Files\\Sim Company.QBW';
const PARSE_ERROR_MESSAGE = 'QuickBooks found an error when parsing the provided XML text stream.';

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function hcpRequest(major: number, minor: number): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<?qbxml version="${major}.${minor}"?>` +
    '<QBXML><QBXMLMsgsRq onError="continueOnError">' +
    '<HostQueryRq requestID="0" /><CompanyQueryRq requestID="1" /><PreferencesQueryRq requestID="2" />' +
    '</QBXMLMsgsRq></QBXML>'
  );
}

export class WebConnectorSimulator {
  /** Every call of every session run by this simulator. */
  readonly transcript: TranscriptEntry[] = [];
  private stopped = false;

  constructor(readonly options: WebConnectorOptions) {}

  /** One Web Connector run: serverVersion → clientVersion → authenticate → (sendRequestXML → receiveResponseXML)* → closeConnection. */
  async runSession(overrides: FaultOptions = {}): Promise<SessionResult> {
    const faults: FaultOptions = { ...this.options, ...overrides };
    const result: SessionResult = { calls: [], transcript: [], requests: [], percents: [], killed: false, errors: [], warnings: [], ok: false };
    try {
      await this.session(result, faults);
    } catch (err) {
      result.errors.push(err instanceof Error ? err.message : String(err));
    }
    result.ok = result.errors.length === 0;
    return result;
  }

  /** AutoRun: a session every `intervalMs`, `count` times (stop() ends early). */
  async runEvery(intervalMs: number, count: number, onSession?: (r: SessionResult, index: number) => void): Promise<SessionResult[]> {
    this.stopped = false;
    const results: SessionResult[] = [];
    for (let i = 0; i < count && !this.stopped; i++) {
      // Auto-Run honours the application's postpone hint (authenticate entry [2]): next run = last run + x seconds.
      const postpone = (results.at(-1)?.postponeSeconds ?? 0) * 1000;
      if (i > 0) await delay(Math.max(intervalMs, postpone));
      const r = await this.runSession();
      results.push(r);
      onSession?.(r, i);
    }
    return results;
  }

  stop(): void {
    this.stopped = true;
  }

  private async session(result: SessionResult, faults: FaultOptions): Promise<void> {
    const o = this.options;
    result.serverVersion = await this.callText(result, 'serverVersion', []);
    const cv = await this.callString(result, 'clientVersion', [['strVersion', o.clientVersion ?? '2.3.0.215']], true);
    result.clientVersionAnswer = cv;
    if (!this.clientVersionAllowsAuth(result, cv ?? '')) return;

    const auth = await this.callArray(result, 'authenticate', [
      ['strUserName', o.username],
      ['strPassword', o.password],
    ]);
    result.authAnswer = auth;
    if (auth.length < 2) throw new WebConnectorError('authenticate', 'QBWC1012', `authenticate returned ${auth.length} string(s); at least 2 are required`);
    if (auth.length > 4) throw new WebConnectorError('authenticate', 'QBWC1012', `authenticate returned ${auth.length} strings (Index was outside the bounds of the array)`);
    if (auth[0] === null || auth[1] === null) throw new WebConnectorError('authenticate', 'QBWC1012', 'authenticate returned a null ticket or status');
    const ticket = auth[0];
    const status = auth[1];
    result.ticket = ticket;
    result.authStatus = status;
    if (auth.length > 2 && auth[2] !== null && /^\d+$/.test(auth[2].trim())) result.postponeSeconds = Number(auth[2].trim());
    const code = status.toLowerCase();
    if (code === 'nvu' || code === 'none' || code === 'busy') {
      if (code === 'nvu') result.errors.push('Invalid password for username (authenticate answered "nvu")');
      result.closeMessage = await this.closeConnection(result, ticket);
      return;
    }

    let company = status === '' ? (o.companyFile ?? DEFAULT_COMPANY) : status;
    if (!(await this.openCompany(result, faults, ticket, company, (c) => (company = c)))) return;
    result.companyFile = company;

    const major = o.qbXMLMajorVers ?? 13;
    const minor = o.qbXMLMinorVers ?? 0;
    let hcp = o.hcpResponse ?? this.askHcp(result, ticket, major, minor);
    const maxRequests = o.maxRequests ?? 10000;
    let noOps = 0;
    let previous = 0;
    const hresultAt = new Set([faults.hresultOnResponse ?? []].flat());
    for (;;) {
      if (result.requests.length >= maxRequests) {
        result.errors.push(`stopped after ${maxRequests} requests without reaching 100 percent`);
        result.closeMessage = await this.closeConnection(result, ticket);
        return;
      }
      const request = await this.callText(result, 'sendRequestXML', [
        ['ticket', ticket],
        ['strHCPResponse', hcp],
        ['strCompanyFileName', company],
        ['qbXMLCountry', o.qbXMLCountry ?? 'US'],
        ['qbXMLMajorVers', major],
        ['qbXMLMinorVers', minor],
      ]);
      hcp = '';
      if (request === '' || request === 'NoOp') {
        const lastError = request === 'NoOp' ? 'NoOp' : await this.getLastError(result, ticket);
        if (lastError === 'NoOp') {
          if (++noOps > (o.maxNoOps ?? 3)) throw new WebConnectorError('sendRequestXML', 'QBWC-NoOp', `gave up after ${noOps - 1} NoOp answers`);
          await delay(o.noOpDelayMs ?? 0);
          continue;
        }
        result.lastError = lastError;
        result.closeMessage = await this.closeConnection(result, ticket);
        return;
      }
      noOps = 0;
      result.requests.push(request);
      const n = result.requests.length;
      if (faults.killAfterRequests !== undefined && n >= faults.killAfterRequests) {
        if (faults.processKilledRequest ?? true) {
          try {
            o.processor.processRequest(request, ticket);
          } catch {
            // the crash hides the outcome either way
          }
        }
        result.killed = true;
        return;
      }
      let response = '';
      let hresult = '';
      let message = '';
      if (hresultAt.has(n)) {
        hresult = faults.hresult ?? '0x80040400';
        message = faults.hresultMessage ?? PARSE_ERROR_MESSAGE;
      } else {
        try {
          response = o.processor.processRequest(request, ticket);
        } catch (err) {
          hresult = faults.hresult ?? '0x80040400';
          message = err instanceof Error ? err.message : String(err);
        }
      }
      const percent = await this.callInt(result, 'receiveResponseXML', [
        ['ticket', ticket],
        ['response', response],
        ['hresult', hresult],
        ['message', message],
      ]);
      result.percents.push(percent);
      result.finalPercent = percent;
      if (faults.killAfterResponses !== undefined && result.percents.length >= faults.killAfterResponses) {
        result.killed = true;
        return;
      }
      if (percent < 0) {
        result.lastError = await this.getLastError(result, ticket);
        result.errors.push(`receiveResponseXML returned ${percent}: ${result.lastError}`);
        result.closeMessage = await this.closeConnection(result, ticket);
        return;
      }
      if (percent >= 100) {
        result.closeMessage = await this.closeConnection(result, ticket);
        return;
      }
      if (percent < previous) result.warnings.push(`percent went backwards (${previous} → ${percent})`);
      previous = percent;
    }
  }

  /** clientVersion answers: "" / null proceed; "W:" warn (proceed if accepted); "E:" and "O:" stop; anything else is QBWC1046. */
  private clientVersionAllowsAuth(result: SessionResult, answer: string): boolean {
    if (answer === '') return true;
    const prefix = answer.slice(0, 2).toUpperCase();
    if (prefix === 'W:') {
      result.warnings.push(`clientVersion warning: ${answer.slice(2)}`);
      if (this.options.acceptWarnings ?? true) return true;
      result.errors.push('QBWC1037 the user cancelled after the clientVersion warning');
      return false;
    }
    if (prefix === 'E:') {
      result.errors.push(`QBWC1037 clientVersion error: ${answer.slice(2)}`);
      return false;
    }
    if (prefix === 'O:') {
      result.errors.push(`the server requires Web Connector version ${answer.slice(2)} or newer`);
      return false;
    }
    throw new WebConnectorError('clientVersion', 'QBWC1046', `unexpected clientVersion answer "${answer}"`);
  }

  /** Opens the company; on failure calls connectionError until it answers "done" (at most 2 retries). */
  private async openCompany(
    result: SessionResult,
    faults: FaultOptions,
    ticket: string,
    company: string,
    setCompany: (c: string) => void,
  ): Promise<boolean> {
    const fail = faults.openFails;
    if (!fail) return true;
    const spec = typeof fail === 'object' ? fail : {};
    const times = spec.times ?? Number.POSITIVE_INFINITY;
    for (let attempt = 0; attempt < 3; attempt++) {
      if (attempt >= times) return true;
      const answer = await this.callString(
        result,
        'connectionError',
        [
          ['ticket', ticket],
          ['hresult', spec.hresult ?? '0x80040408'],
          ['message', spec.message ?? 'Could not start QuickBooks.'],
        ],
        true,
      );
      if (answer === null) throw new WebConnectorError('connectionError', 'QBWC1045', 'connectionErrorResult is null');
      result.connectionErrorAnswer = answer;
      if (answer.toLowerCase() === 'done') {
        result.errors.push(`QBWC1013 error connecting to QuickBooks (${spec.hresult ?? '0x80040408'})`);
        result.closeMessage = await this.closeConnection(result, ticket);
        return false;
      }
      company = answer === '' ? (this.options.companyFile ?? DEFAULT_COMPANY) : answer;
      setCompany(company);
    }
    result.errors.push('QBWC1013 gave up opening QuickBooks after 2 retries');
    result.closeMessage = await this.closeConnection(result, ticket);
    return false;
  }

  private askHcp(result: SessionResult, ticket: string, major: number, minor: number): string {
    try {
      return this.options.processor.processRequest(hcpRequest(major, minor), ticket);
    } catch (err) {
      result.warnings.push(`the request processor could not answer the Host/Company/Preferences query: ${err instanceof Error ? err.message : String(err)}`);
      return '';
    }
  }

  /** getLastError must be a non-empty string: null or "" crash the real client's logger. */
  private async getLastError(result: SessionResult, ticket: string): Promise<string> {
    const text = await this.callString(result, 'getLastError', [['ticket', ticket]], true);
    if (text === null || text === '') throw new WebConnectorError('getLastError', 'QBWC1043', 'getLastErrorResult is null or empty (Object reference not set to an instance of an object)');
    return text;
  }

  private async closeConnection(result: SessionResult, ticket: string): Promise<string> {
    const text = await this.callString(result, 'closeConnection', [['ticket', ticket]], true);
    if (text === null) throw new WebConnectorError('closeConnection', 'QBWC1044', 'closeConnectionResult is null');
    return text;
  }

  private async callString(
    result: SessionResult,
    op: QbwcOperation,
    params: ReadonlyArray<readonly [string, string | number]>,
    nullAllowed = false,
  ): Promise<string | null> {
    const answer = await this.call(result, op, params, false);
    if (answer.kind !== 'result') throw new WebConnectorError(op, EXCEPTION_CODE[op], 'unexpected answer shape');
    if (answer.value === null && !nullAllowed) throw new WebConnectorError(op, EXCEPTION_CODE[op], `${op}Result is missing or nil`);
    return answer.value;
  }

  /** A string result that must be present (a missing or nil result is a failure). */
  private async callText(result: SessionResult, op: QbwcOperation, params: ReadonlyArray<readonly [string, string | number]>): Promise<string> {
    const text = await this.callString(result, op, params);
    if (text === null) throw new WebConnectorError(op, EXCEPTION_CODE[op], `${op}Result is missing or nil`);
    return text;
  }

  private async callArray(result: SessionResult, op: QbwcOperation, params: ReadonlyArray<readonly [string, string]>): Promise<Array<string | null>> {
    const answer = await this.call(result, op, params, true);
    if (answer.kind !== 'array') throw new WebConnectorError(op, EXCEPTION_CODE[op], 'unexpected answer shape');
    return answer.values;
  }

  /** receiveResponseXMLResult must be an integer literal (a decimal makes the real client throw). */
  private async callInt(result: SessionResult, op: QbwcOperation, params: ReadonlyArray<readonly [string, string]>): Promise<number> {
    const text = await this.callText(result, op, params);
    const trimmed = text.trim();
    if (!/^-?\d+$/.test(trimmed)) throw new WebConnectorError(op, EXCEPTION_CODE[op], `${op}Result "${text}" is not an integer`);
    const n = Number.parseInt(trimmed, 10);
    if (n > 100) throw new WebConnectorError(op, EXCEPTION_CODE[op], `${op}Result ${n} is above 100`);
    return n;
  }

  private async call(
    result: SessionResult,
    op: QbwcOperation,
    params: ReadonlyArray<readonly [string, string | number]>,
    array: boolean,
  ): Promise<ParsedAnswer> {
    const shown: Record<string, string> = {};
    for (const [k, v] of params) shown[k] = k === 'strPassword' ? '***' : String(v);
    const entry: TranscriptEntry = { op, params: shown, httpStatus: 0, raw: '' };
    result.calls.push(op);
    result.transcript.push(entry);
    this.transcript.push(entry);
    const fail = (message: string): WebConnectorError => {
      entry.error = message;
      return new WebConnectorError(op, EXCEPTION_CODE[op], message);
    };
    let http;
    try {
      http = await postSoap(this.options.url, INTUIT_NS + op, requestEnvelope(op, params), {
        expectContinue: this.options.expectContinue ?? true,
        timeoutMs: this.options.timeoutMs ?? 30_000,
      });
    } catch (err) {
      throw fail(`HTTP request failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    entry.httpStatus = http.status;
    entry.raw = http.body;
    let answer: ParsedAnswer | undefined;
    try {
      answer = parseAnswer(http.body, op, array);
      entry.answer = answer;
    } catch (err) {
      if (http.status !== 200) throw fail(`HTTP ${http.status}`);
      throw fail(err instanceof WireError ? `Response is not well-formed XML / not a valid answer: ${err.message}` : String(err));
    }
    if (answer.kind === 'fault') throw fail(`SOAP Fault ${answer.faultcode}: ${answer.faultstring}`);
    if (http.status !== 200) throw fail(`HTTP ${http.status}`);
    return answer;
  }
}
