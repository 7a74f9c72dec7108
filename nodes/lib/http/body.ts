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

/** How much of an over-large streamed body is read and dropped before the 413 (times the limit). */
const DRAIN_FACTOR = 4;

/** A request that an upstream middleware may already have read (express body parsers set req.body). */
export type MaybeParsedRequest = IncomingMessage & { body?: unknown };

/**
 * Reads the raw request body with a hard byte limit, before any XML parser sees it.
 * Compressed bodies are refused (415): the soap package would gunzip them without a limit.
 * A declared Content-Length over the limit is refused before reading; an undeclared (chunked)
 * body is counted while it streams and refused once it passes the limit (its bytes dropped, not kept).
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
    let over = false;
    const tooLarge = () => new BodyError(413, `Request body is larger than ${limit} bytes`);
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (!over && size > limit) {
        // Nothing more is kept. The rest is read and dropped (up to DRAIN_FACTOR × the limit), so the
        // client that is still sending gets the 413 instead of a reset connection; past that, refused now.
        over = true;
        chunks.length = 0;
      }
      if (over) {
        if (size > limit * DRAIN_FACTOR) {
          req.pause();
          finish(tooLarge());
        }
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => (over ? finish(tooLarge()) : finish(null, Buffer.concat(chunks, size)));
    const onError = (err: Error): void => finish(err);
    const onAborted = (): void => finish(new BodyError(400, 'The request was aborted'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}


/** The deepest JSON nesting (arrays and objects) a request body may have. */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether JSON text nests arrays and objects deeper than `maxDepth`, found by one pass over the text
 * (strings skipped) before `JSON.parse` builds anything: a 4 KB body of 2,000 nested arrays costs a
 * scan, not an object graph that later clones and walks overflow the stack on.
 */
export function jsonNestingExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** Keys that would reach an object's prototype through a careless merge. */
const FORBIDDEN_KEY = '__proto__';

/**
 * Parses a JSON request body that was read within its byte limit: refused (400, a message naming
 * what is wrong) when it is not UTF-8 JSON, nests deeper than `maxDepth`, or carries a `__proto__`
 * key. An empty body is `undefined`.
 */
export function parseJsonBody(body: Buffer, maxDepth = MAX_JSON_DEPTH): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '') return undefined;
  if (jsonNestingExceeds(text, maxDepth)) throw new BodyError(400, `the JSON body nests deeper than ${maxDepth} levels`);
  let value: unknown;
  try {
    value = JSON.parse(text, (key, v) => {
      if (key === FORBIDDEN_KEY) throw new BodyError(400, `the JSON body has a "${FORBIDDEN_KEY}" key`);
      return v;
    });
  } catch (err) {
    if (err instanceof BodyError) throw err;
    // The parser's own text quotes the body; only the position is kept.
    const at = /position (\d+)/.exec((err as Error).message);
    throw new BodyError(400, at ? `the body is not valid JSON (at character ${at[1]})` : 'the body is not valid JSON');
  }
  return value;
}

/**
 * Whether a parsed value nests deeper than `maxDepth` (arrays and objects), walked without recursion
 * for messages that did not come through a guarded body. A cycle is as deep as it goes round; a value
 * that shares parts so often that walking it passes `budget` visits counts as too deep as well (it
 * would be as costly to clone).
 */
export function valueNestingExceeds(value: unknown, maxDepth = MAX_JSON_DEPTH, budget = 10_000_000): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  let visited = 0;
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object' || Buffer.isBuffer(v)) continue;
    if (depth >= maxDepth) return true;
    if (++visited > budget) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v as object)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}
