import { redactPaths, toError } from '../errors';
import type { DoneFn, NodeMessage, RuntimeNode, SendFn } from './types';

/**
 * The one error funnel for input handlers: the failure becomes a real `Error`, the node shows a red
 * status with a short reason, and `done(err)` hands it to Catch nodes (never also `node.error`, which
 * would fire Catch twice). File-system paths are taken out of the message (`redactPaths`).
 */
export function failInput(node: RuntimeNode, done: DoneFn, failure: unknown, statusText?: string): void {
  const err = toError(failure);
  // what reaches Catch nodes (and so the flows' HTTP answers) never says where files are
  err.message = redactPaths(err.message);
  node.status({ fill: 'red', shape: 'ring', text: statusText ?? shortReason(err) });
  done(err);
}

function shortReason(err: Error): string {
  const name = err.name && err.name !== 'Error' ? err.name : 'error';
  return name.length > 30 ? `${name.slice(0, 29)}…` : name;
}

/**
 * Runs an async input handler through the funnel, so a rejected promise can never escape into the
 * runtime (an uncaught error stops all of Node-RED).
 */
export function guardInput(
  node: RuntimeNode,
  handler: (msg: NodeMessage, send: SendFn, done: DoneFn) => Promise<void>,
): (msg: NodeMessage, send: SendFn, done: DoneFn) => void {
  return (msg, send, done) => {
    handler(msg, send, done).catch((failure) => failInput(node, done, failure));
  };
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
