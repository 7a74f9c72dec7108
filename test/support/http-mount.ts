import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { QbwcRequestHandler } from '../../nodes/lib/company/qbwc/service';

/**
 * Routes requests for `path` (exact, with or without a trailing slash, any query) on a plain
 * node:http server to `handler`, leaving every other request to the server's existing listeners.
 * Returns a function that detaches it again (for redeploys and tests).
 */
export function mountOnHttpServer(server: Server, path: string, handler: QbwcRequestHandler): () => void {
  const wanted = path.replace(/\/+$/, '') || '/';
  const previous = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const pathname = (req.url ?? '/').split('?')[0].replace(/\/+$/, '') || '/';
    if (pathname === wanted) {
      handler(req, res);
      return;
    }
    if (previous.length === 0) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Not found');
      return;
    }
    for (const l of previous) l.call(server, req, res);
  };
  server.removeAllListeners('request');
  server.on('request', listener);
  return () => {
    server.off('request', listener);
    for (const l of previous) server.on('request', l);
  };
}
