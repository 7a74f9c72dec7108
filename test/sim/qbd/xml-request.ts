/**
 * Reads a qbXML request with `sax` (strict) into an ordered element tree. Independent of the production
 * parser on purpose. Anything QuickBooks would refuse to parse (not well-formed, DOCTYPE, no `<?qbxml?>`
 * processing instruction, raw characters outside ISO-8859-1) throws QbdRequestError, which stands for
 * the request processor's 0x80040400 failure.
 */
import sax from 'sax';

export const PARSE_ERROR_HRESULT = '0x80040400';
export const PARSE_ERROR_MESSAGE = 'QuickBooks found an error when parsing the provided XML text stream.';

/** The request processor failed (QBWC reports `hresult` + `message` instead of a response). */
export class QbdRequestError extends Error {
  readonly hresult: string;
  readonly detail: string;
  constructor(detail: string, hresult = PARSE_ERROR_HRESULT, message = PARSE_ERROR_MESSAGE) {
    super(`${message} (${detail})`);
    this.name = 'QbdRequestError';
    this.hresult = hresult;
    this.detail = detail;
  }
}

export interface XNode {
  name: string;
  attrs: Record<string, string>;
  children: XNode[];
  text: string;
}

export interface ParsedRequest {
  version: string;
  onError: string;
  requests: XNode[];
}

/** Reads the request document; returns the qbXML version, onError and the `…Rq` elements in order. */
export function readRequest(qbxml: string): ParsedRequest {
  if (typeof qbxml !== 'string' || qbxml.trim() === '') throw new QbdRequestError('empty request');
  for (let i = 0; i < qbxml.length; i++) {
    if (qbxml.charCodeAt(i) > 0xff) throw new QbdRequestError(`character U+${qbxml.charCodeAt(i).toString(16).toUpperCase()} outside ISO-8859-1 at offset ${i}`);
  }
  const parser = sax.parser(true, { trim: false, normalize: false, position: true });
  let version: string | null = null;
  let root: XNode | null = null;
  const stack: XNode[] = [];
  let failure: string | null = null;
  parser.onerror = (e: Error) => {
    failure ??= e.message.split('\n')[0] ?? 'parse error';
    parser.error = null as unknown as Error;
    parser.close();
  };
  parser.ondoctype = () => {
    failure ??= 'DOCTYPE not allowed';
  };
  parser.onprocessinginstruction = (pi: { name: string; body: string }) => {
    if (pi.name === 'qbxml') {
      const m = /version\s*=\s*"([^"]*)"/.exec(pi.body);
      version = m ? (m[1] as string) : '';
    }
  };
  parser.onopentag = (tag) => {
    const node: XNode = { name: tag.name, attrs: { ...(tag.attributes as Record<string, string>) }, children: [], text: '' };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(node);
    else if (root) failure ??= 'more than one root element';
    else root = node;
    stack.push(node);
  };
  parser.onclosetag = () => {
    stack.pop();
  };
  // Characters outside Latin-1 that arrive as character references are stored as "?" (qbwc.md §3.5).
  const onText = (t: string) => {
    const top = stack[stack.length - 1];
    if (top) top.text += /[^\u0000-\u00ff]/.test(t) ? t.replace(/[^\u0000-\u00ff]/gu, '?') : t;
  };
  parser.ontext = onText;
  parser.oncdata = onText;
  try {
    parser.write(qbxml).close();
  } catch (e) {
    failure ??= e instanceof Error ? e.message.split('\n')[0] ?? 'parse error' : String(e);
  }
  if (failure !== null) throw new QbdRequestError(failure);
  if (version === null) throw new QbdRequestError('missing <?qbxml version="…"?> processing instruction');
  if (!/^(?:[A-Z]{2})?\d+\.\d+$/.test(version)) throw new QbdRequestError(`unsupported qbXML version "${version}"`);
  const r = root as XNode | null;
  if (r === null || r.name !== 'QBXML') throw new QbdRequestError('root element must be QBXML');
  const msgs = r.children.find((c) => c.name === 'QBXMLMsgsRq');
  if (!msgs || r.children.length !== 1) throw new QbdRequestError('QBXML must contain exactly one QBXMLMsgsRq');
  const onError = msgs.attrs.onError ?? '';
  if (onError !== 'stopOnError' && onError !== 'continueOnError' && onError !== 'rollbackOnError') {
    throw new QbdRequestError(`onError must be stopOnError, continueOnError or rollbackOnError, got "${onError}"`);
  }
  return { version, onError, requests: msgs.children };
}

/** First child with this name. */
export function child(node: XNode, name: string): XNode | undefined {
  return node.children.find((c) => c.name === name);
}

/** Text of the first child with this name (undefined if absent). */
export function childText(node: XNode, name: string): string | undefined {
  const c = child(node, name);
  return c === undefined ? undefined : c.text;
}

/** Texts of all children with this name. */
export function childTexts(node: XNode, name: string): string[] {
  return node.children.filter((c) => c.name === name).map((c) => c.text);
}
