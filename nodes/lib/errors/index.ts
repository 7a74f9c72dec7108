import os from 'node:os';
import path from 'node:path';

/**
 * The one error funnel: every failure that reaches a node becomes a real `Error` whose message names
 * what is wrong, so Catch nodes and logs read well and nothing secret leaks.
 */

/** Turns anything thrown (JSONata error objects, strings, Errors) into an `Error`. */
export function toError(value: unknown, context?: string): Error {
  let err: Error;
  if (value instanceof Error) err = value;
  else if (value && typeof value === 'object' && typeof (value as { message?: unknown }).message === 'string') {
    err = Object.assign(new Error((value as { message: string }).message), value);
  } else err = new Error(typeof value === 'string' ? value : `unexpected failure: ${safeStringify(value)}`);
  if (context && !err.message.startsWith(context)) err.message = `${context}: ${err.message}`;
  return err;
}

/** The message of anything thrown (an Error's message, else its text), for logs and job errors. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * A request that cannot be carried out as asked (a missing field, an unknown record). `code` reaches
 * Catch nodes as `msg.error.code`, so a flow can answer HTTP 400 or 404 without parsing messages.
 */
export class RequestError extends Error {
  override name = 'RequestError';
  constructor(
    message: string,
    readonly code: 'QB_BAD_REQUEST' | 'QB_NOT_FOUND' = 'QB_BAD_REQUEST',
  ) {
    super(message);
  }
}

/** Folders whose paths never appear in answers beside the usual roots (store folders, the user dir). */
const privateDirs = new Set<string>();

/** Registers a folder (e.g. a store folder) whose absolute path must never appear in an answer. */
export function registerPrivateDir(dir: string): void {
  privateDirs.add(path.resolve(dir));
}

/** Absolute paths under the usual file-system roots (not inside a URL), on a Windows drive, or file: URLs. */
const ABSOLUTE_PATH =
  /file:\/\/[^\s'"`()<>[\]{},;]*|(?<![\w.:/\\-])(?:\/(?:home|root|tmp|var|usr|opt|srv|mnt|media|etc|work|data|app|run|proc|dev|private|Users|Volumes|snap|nix)(?![\w.-])(?:\/[^\s'"`()<>[\]{},;]*)?|[A-Za-z]:\\[^\s'"`()<>[\]{},;]*)/g;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A message with every file-system path taken out: a path under a registered folder, the home or
 * temporary folder, the working directory, a usual root (/home, /var, /tmp, ...) or a drive keeps only
 * its last segment (`'/home/me/.node-red/quickbooks/jobs.db'` → `'jobs.db'`), so callers learn which
 * file, never where it is.
 */
export function redactPaths(text: string): string {
  let out = text;
  const dirs = [...privateDirs, os.homedir(), os.tmpdir(), process.cwd()].filter((d) => d && d !== '/').sort((a, b) => b.length - a.length);
  for (const dir of dirs) {
    out = out.replace(new RegExp(`(?<![\\w.:/\\\\-])${escapeRegExp(dir)}(?:[\\/]([^\\s'"\`()<>[\\]{},;]*))?`, 'g'), (_m, rest?: string) => lastSegment(rest ?? '') || '…');
  }
  return out.replace(ABSOLUTE_PATH, (m) => lastSegment(m) || '…');
}

function lastSegment(p: string): string {
  const parts = p.split(/[\\/]+/).filter(Boolean);
  return parts.length ? parts[parts.length - 1] : '';
}

/** The message of anything thrown, fit for an answer to a caller: no file-system paths. */
export function publicMessage(err: unknown): string {
  return redactPaths(messageOf(err));
}

/**
 * A connection that cannot work until someone configures it (no tokens yet, no Web Connector
 * password): `code` QB_NOT_CONFIGURED, answered over HTTP as 503.
 */
export class NotConfiguredError extends Error {
  override name = 'NotConfiguredError';
  readonly code = 'QB_NOT_CONFIGURED';
  constructor(
    message: string,
    /** The environment variables (or settings) that would configure it. */
    readonly needs: string[] = [],
  ) {
    super(message);
  }
}

/** Whether a failure is a connection nobody configured yet (not an error to shout about). */
export function isNotConfigured(err: unknown): err is NotConfiguredError {
  return !!err && typeof err === 'object' && (err as { code?: unknown }).code === 'QB_NOT_CONFIGURED';
}

/** What a failure answers over HTTP: `{error, problems?}` and a status, never a stack or a path. */
export interface HttpErrorAnswer {
  statusCode: number;
  body: { error: string; problems?: unknown };
}

const BAD_REQUEST_CODES = new Set(['QB_BAD_REQUEST', 'QB_INVALID_MESSAGE']);
const NOT_CONNECTED_CODES = new Set(['NOT_CONNECTED', 'RECONNECT_NEEDED', 'QB_NOT_CONFIGURED']);

/** The HTTP status and JSON body a failure answers with (flows' error paths and admin routes). */
export function httpErrorAnswer(failure: unknown): HttpErrorAnswer {
  const err = toError(failure);
  const code = (err as { code?: unknown }).code;
  const problems = (err as { problems?: unknown }).problems;
  let statusCode = 500;
  if (typeof code === 'string' && BAD_REQUEST_CODES.has(code)) statusCode = 400;
  else if (code === 'QB_NOT_FOUND') statusCode = 404;
  else if (typeof code === 'string' && NOT_CONNECTED_CODES.has(code)) statusCode = 503;
  else if (err.name === 'RangeError' || err.name === 'RuleError') statusCode = 400;
  const body: HttpErrorAnswer['body'] = { error: publicMessage(err) };
  if (Array.isArray(problems)) body.problems = problems;
  return { statusCode, body };
}

/**
 * A `limit`-like parameter from a message or a query string (a number, or its digits as text): undefined
 * when absent, else a whole number from 1 to `max`, or a RequestError (HTTP 400) naming the parameter.
 */
export function wholeNumberParam(raw: unknown, name: string, max: number): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d{1,9}$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > max) throw new RequestError(`${name} must be a whole number from 1 to ${max}`);
  return n;
}
