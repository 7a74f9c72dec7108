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
