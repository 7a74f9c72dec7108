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
/** An absolute file path (POSIX or Windows) inside a message. */
const FILE_PATH = /(?:[A-Za-z]:\\|\/)(?:[\w.@+-]+[\\/])+[\w.@+-]*/g;

/** A failure's message as it may be shown to a caller: file paths taken out, the error's class name off. */
export function publicMessage(err: unknown): string {
  return messageOf(err).replace(FILE_PATH, '<file>').replace(/^[A-Za-z]*Error: /, '');
}

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
