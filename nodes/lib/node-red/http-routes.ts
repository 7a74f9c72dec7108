import type { IncomingMessage, ServerResponse } from 'node:http';

type Handler = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;
interface ExpressLike {
  all(path: string, handler: (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void): void;
}

const dispatchers = new WeakMap<object, Map<string, { current?: Handler }>>();

/**
 * Mounts a handler on Node-RED's HTTP app (`RED.httpNode`) at a path, replaceable and removable:
 * Express routes cannot be removed, so one dispatcher is mounted per path for the life of the process
 * and each deploy swaps the handler behind it. Unmounted, the path falls through to the next route
 * (404). Returns the unmount function.
 */
export function mountRoute(app: ExpressLike, path: string, handler: Handler): () => void {
  let routes = dispatchers.get(app);
  if (!routes) dispatchers.set(app, (routes = new Map()));
  let slot = routes.get(path);
  if (!slot) {
    const created: { current?: Handler } = {};
    slot = created;
    routes.set(path, created);
    app.all(path, (req, res, next) => (created.current ? created.current(req, res, next) : next()));
  }
  if (slot.current) throw new Error(`the path ${path} is already served by another node`);
  slot.current = handler;
  const owned = slot;
  return () => {
    if (owned.current === handler) owned.current = undefined;
  };
}
