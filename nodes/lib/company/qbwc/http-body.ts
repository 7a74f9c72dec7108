import type { IncomingMessage } from 'node:http';

/** Why a request body was refused, with the HTTP status to answer. */
export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
    this.name = 'BodyError';
  }
}

/** A request that an upstream middleware may already have read (express body parsers set req.body). */
export type MaybeParsedRequest = IncomingMessage & { body?: unknown };

/**
 * Reads the raw request body with a hard byte limit, before any XML parser sees it.
 * Compressed bodies are refused (415): the soap package would gunzip them without a limit.
 * A declared Content-Length over the limit is refused before reading; an undeclared (chunked)
 * body is counted while it streams and refused as soon as it passes the limit.
 */
export function readLimitedBody(req: MaybeParsedRequest, limit: number): Promise<Buffer> {
  const encoding = String(req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') {
    return Promise.reject(new BodyError(415, `Content-Encoding "${encoding}" is not supported`));
  }
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    return Promise.reject(new BodyError(413, `Request body is larger than ${limit} bytes`));
  }
  const parsed = req.body;
  if (Buffer.isBuffer(parsed) || typeof parsed === 'string') {
    const buf = Buffer.isBuffer(parsed) ? parsed : Buffer.from(parsed, 'utf8');
    if (buf.length > limit) return Promise.reject(new BodyError(413, `Request body is larger than ${limit} bytes`));
    if (buf.length > 0) return Promise.resolve(buf);
  }
  if (req.readableEnded) {
    return Promise.reject(new BodyError(400, 'The request body was already consumed by another handler'));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err: Error | null, body?: Buffer): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      if (err) reject(err);
      else resolve(body as Buffer);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        req.pause();
        finish(new BodyError(413, `Request body is larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => finish(null, Buffer.concat(chunks, size));
    const onError = (err: Error): void => finish(err);
    const onAborted = (): void => finish(new BodyError(400, 'The request was aborted'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}
