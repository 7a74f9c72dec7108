/** A receiveResponseXML envelope with the text of its `response` element taken out. */
export interface LiftedResponse {
  /** The envelope with `<response></response>` emptied (what the soap package still parses). */
  envelope: string;
  /** The element's text decoded and trimmed, exactly as the soap package would hand it over. */
  text: string;
}

/** The rest of a start tag that may carry namespace declarations only. */
const START_TAG_REST = /^(?:\s+xmlns(?::[A-Za-z_][\w.-]*)?\s*=\s*(?:"[^"<&]*"|'[^'<&]*'))*\s*>/;
/** More tags than a Web Connector envelope has: not the plain shape. */
const MAX_TAGS = 64;
const LT = 0x3c;
const AMP = 0x26;
const SEMI = 0x3b;

function isNameByte(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2d || c === 0x2e || c === 0x3a || c >= 0x80;
}

interface Tag {
  at: number;
  close: boolean;
  /** The qualified name, e.g. `response` or `q:response`. */
  name: string;
  /** Just after the name. */
  nameEnd: number;
}

/** The byte sequence `ascii` at `at`. */
function bytesAre(buf: Buffer, at: number, ascii: string): boolean {
  if (at + ascii.length > buf.length) return false;
  for (let i = 0; i < ascii.length; i++) if (buf[at + i] !== ascii.charCodeAt(i)) return false;
  return true;
}

/** Writes a code point as UTF-8; false for a surrogate (which UTF-8 cannot carry but the soap package would keep). */
function putCodePoint(out: Buffer, w: number, cp: number): number {
  if (cp < 0x80) {
    out[w] = cp;
    return w + 1;
  }
  if (cp < 0x800) {
    out[w] = 0xc0 | (cp >> 6);
    out[w + 1] = 0x80 | (cp & 0x3f);
    return w + 2;
  }
  if (cp >= 0xd800 && cp <= 0xdfff) return -1;
  if (cp < 0x10000) {
    out[w] = 0xe0 | (cp >> 12);
    out[w + 1] = 0x80 | ((cp >> 6) & 0x3f);
    out[w + 2] = 0x80 | (cp & 0x3f);
    return w + 3;
  }
  out[w] = 0xf0 | (cp >> 18);
  out[w + 1] = 0x80 | ((cp >> 12) & 0x3f);
  out[w + 2] = 0x80 | ((cp >> 6) & 0x3f);
  out[w + 3] = 0x80 | (cp & 0x3f);
  return w + 4;
}

/** A numeric character reference's code point (the text between `&#` and `;`), or -1 when it is not valid. */
function charRef(buf: Buffer, from: number, to: number): number {
  const hex = buf[from] === 0x78; /* x */
  let i = hex ? from + 1 : from;
  if (i >= to || to - i > 8) return -1;
  let cp = 0;
  for (; i < to; i++) {
    const c = buf[i] as number;
    let d: number;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (hex && c >= 0x61 && c <= 0x66) d = c - 0x57;
    else if (hex && c >= 0x41 && c <= 0x46) d = c - 0x37;
    else return -1;
    cp = cp * (hex ? 16 : 10) + d;
  }
  return cp >= 1 && cp <= 0x10ffff ? cp : -1;
}

/**
 * Decodes element text bytes the way the soap package's sax parser (strict mode) does for the five
 * predefined entities and numeric character references; undefined for anything else (a bare `&`, another
 * entity, an invalid reference), which the caller then leaves to the soap package and its error. The
 * output is never longer than the input (every reference is at least as long as its UTF-8 bytes).
 */
function decodeText(src: Buffer, start: number, end: number): string | undefined {
  const out = Buffer.allocUnsafe(end - start);
  let w = 0;
  for (let i = start; i < end; i++) {
    const c = src[i] as number;
    if (c !== AMP) {
      out[w++] = c;
      continue;
    }
    const c1 = src[i + 1];
    if (i + 3 < end && src[i + 3] === SEMI && src[i + 2] === 0x74 /* t */ && (c1 === 0x6c || c1 === 0x67)) {
      out[w++] = c1 === 0x6c ? LT : 0x3e; // &lt; &gt;: nearly every reference in a qbXML answer
      i += 3;
      continue;
    }
    let semi = i + 1;
    while (semi < end && semi - i <= 12 && src[semi] !== SEMI) semi++;
    if (semi >= end || src[semi] !== SEMI) return undefined;
    const len = semi - i - 1;
    if (len === 3 && bytesAre(src, i + 1, 'amp')) out[w++] = AMP;
    else if (len === 4 && bytesAre(src, i + 1, 'quot')) out[w++] = 0x22;
    else if (len === 4 && bytesAre(src, i + 1, 'apos')) out[w++] = 0x27;
    else if (c1 === 0x23 /* # */) {
      const cp = charRef(src, i + 2, semi);
      if (cp < 0) return undefined;
      w = putCodePoint(out, w, cp);
      if (w < 0) return undefined;
    } else return undefined;
    i = semi;
  }
  return out.toString('utf8', 0, w);
}

/** The tags of an envelope (at most MAX_TAGS), or undefined when it has more. Comments and CDATA are refused by the caller. */
function tagsOf(body: Buffer): Tag[] | undefined {
  const tags: Tag[] = [];
  for (let at = body.indexOf(LT); at !== -1; at = body.indexOf(LT, at + 1)) {
    if (tags.length >= MAX_TAGS) return undefined;
    const close = body[at + 1] === 0x2f; /* / */
    let end = close ? at + 2 : at + 1;
    const start = end;
    while (end < body.length && isNameByte(body[end] as number)) end++;
    tags.push({ at, close, name: body.toString('latin1', start, end), nameEnd: end });
  }
  return tags;
}

const localName = (qname: string): string => qname.slice(qname.indexOf(':') + 1);

/**
 * receiveResponseXML carries QuickBooks' whole qbXML answer as escaped text (`&lt;CustomerRet&gt;…`),
 * hundreds of kilobytes per page. The soap package's sax parser decodes such text character by
 * character, which costs more than parsing the qbXML itself; so the service lifts the text out of the
 * raw body first (one pass over its bytes) and gives the soap package the same envelope with an empty
 * `response` element.
 *
 * Only the plain shape is lifted: exactly one `response` element (any prefix; its start tag without
 * attributes other than namespace declarations), holding text only (no child element, comment, CDATA or
 * processing instruction) with the predefined entities and numeric references alone (no surrogate), and
 * no comment or CDATA section anywhere in the body. Anything else returns undefined and the soap
 * package parses the whole envelope as before. The text is decoded and trimmed as the soap package does.
 */
export function liftResponseText(body: Buffer): LiftedResponse | undefined {
  if (body.indexOf('<!--') !== -1 || body.indexOf('<![CDATA[') !== -1) return undefined;
  const tags = tagsOf(body);
  if (!tags) return undefined;
  const idx = tags.findIndex((t) => localName(t.name) === 'response');
  if (idx === -1) return undefined;
  const open = tags[idx] as Tag;
  const close = tags[idx + 1];
  if (open.close || !close || !close.close || close.name !== open.name) return undefined;
  if (tags.some((t, i) => i !== idx && i !== idx + 1 && localName(t.name) === 'response')) return undefined;
  const gt = body.indexOf(0x3e, open.nameEnd);
  if (gt === -1 || gt > close.at) return undefined;
  if (!START_TAG_REST.test(body.toString('latin1', open.nameEnd, gt + 1))) return undefined;
  const closeGt = body.indexOf(0x3e, close.nameEnd);
  if (closeGt === -1 || body.toString('latin1', close.nameEnd, closeGt).trim() !== '') return undefined;
  // The end tag is the first markup after the start tag (tags are in order): the content holds no '<'.
  const text = decodeText(body, gt + 1, close.at);
  if (text === undefined) return undefined;
  return { envelope: body.toString('utf8', 0, gt + 1) + body.toString('utf8', close.at), text: text.trim() };
}
