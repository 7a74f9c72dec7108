import { httpErrorAnswer, redactPaths, RequestError, toError } from '../errors';
import { MAX_JSON_DEPTH, valueNestingExceeds } from '../http/body';
import type { DoneFn, NodeMessage, RuntimeNode, SendFn } from './types';

/**
 * The one error funnel for input handlers: the failure becomes a real `Error`, the node shows a red
 * status (an i18n key), and `done(err)` hands it to Catch nodes (never also `node.error`, which would
 * fire Catch twice). A message that came from an HTTP In node (`msg.res`) also carries the answer the
 * flow sends: `msg.statusCode` and `msg.payload = {error, problems?}` (no stack, no file path: `redactPaths`).
 */
export function failInput(node: RuntimeNode, done: DoneFn, failure: unknown, statusText?: string, msg?: NodeMessage): void {
  const err = toError(failure);
  // what reaches Catch nodes (and so the flows' HTTP answers) never says where files are
  err.message = redactPaths(err.message);
  node.status({ fill: 'red', shape: 'ring', text: statusText ?? `${node.type}.status.failed` });
  if (msg && msg.res) {
    const answer = httpErrorAnswer(err);
    msg.statusCode = answer.statusCode;
    msg.payload = answer.body;
  }
  done(err);
}

/**
 * Runs an async input handler through the funnel, so a rejected promise can never escape into the
 * runtime (an uncaught error stops all of Node-RED). A payload nested deeper than the JSON limit is
 * refused before the handler runs and taken off the message, so no clone (Catch, debug, a second
 * wire) ever walks it.
 */
export function guardInput(
  node: RuntimeNode,
  handler: (msg: NodeMessage, send: SendFn, done: DoneFn) => Promise<void>,
): (msg: NodeMessage, send: SendFn, done: DoneFn) => void {
  return (msg, send, done) => {
    if (valueNestingExceeds(msg.payload, MAX_JSON_DEPTH)) {
      msg.payload = undefined;
      return failInput(node, done, new RequestError(`msg.payload nests deeper than ${MAX_JSON_DEPTH} levels (or is too large to walk)`), undefined, msg);
    }
    handler(msg, send, done).catch((failure) => failInput(node, done, failure, undefined, msg));
  };
}

/**
 * A failure of work the node does on its own (a follow-up invoice, a scheduled export, a re-match):
 * logged and handed to Catch nodes as a real `Error` whose message says what failed, with a message
 * `{topic, payload: {error}}` a flow can route.
 */
export function reportBackground(node: RuntimeNode, what: string, failure: unknown): void {
  const cause = toError(failure);
  const err = new Error(`${what} failed: ${cause.message}`);
  const code = (cause as { code?: unknown }).code;
  if (typeof code === 'string') (err as Error & { code?: string }).code = code;
  node.error(err, { topic: what, payload: { error: err.message } });
}

/**
 * A node's close handler: runs `work` (release what the node holds); a failure is logged as the node's
 * error and `done` is called either way, so a failing close never holds up a redeploy.
 */
export function guardClose(node: RuntimeNode, work: () => Promise<void>): (removed: boolean, done: () => void) => void {
  return (_removed, done) => {
    work().then(done, (err) => {
      node.error(`close failed: ${(err as Error).message}`);
      done();
    });
  };
}
