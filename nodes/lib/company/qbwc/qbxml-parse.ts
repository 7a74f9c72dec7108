/**
 * qbXML response parser: one pass over the string, no dependencies, no DTD, no entity expansion.
 *
 * Result: one entry per response message (`CustomerQueryRs`, …) with its status attributes and its
 * records in document order (`{ type: 'CustomerRet', data: {…} }`), each record a plain object tree:
 * child elements → keys, repeated elements → arrays, a leaf → its decoded text (numbers stay strings),
 * attributes → `@name` keys, text beside child elements → `#text`. Objects inherit no keys (their
 * prototype chain ends in a null-prototype object) and the names `__proto__`, `constructor` and
 * `prototype` are rejected. White space between elements is layout and dropped; a leaf keeps its text.
 *
 * Security: any `<!DOCTYPE` / `<!ENTITY` is rejected; only the five predefined entities and numeric
 * character references are decoded; the input length and the nesting depth are capped.
 */

export type QbxmlValue = string | QbxmlObject | QbxmlValue[];
export interface QbxmlObject {
  [name: string]: QbxmlValue;
}

export interface QbxmlRecord {
  /** Element name, e.g. `CustomerRet`, `ItemInventoryRet`. */
  type: string;
  /** The element's content; a text-only record is `{ '#text': … }`. */
  data: QbxmlObject;
}

export interface QbxmlResponseMessage {
  /** e.g. `CustomerQueryRs`. */
  name: string;
  requestID?: string;
  statusCode: number;
  statusSeverity: string;
  statusMessage: string;
  iteratorRemainingCount?: number;
  iteratorID?: string;
  /** Every attribute of the message element, as written. */
  attributes: Record<string, string>;
  records: QbxmlRecord[];
}

export interface QbxmlResponse {
  messages: QbxmlResponseMessage[];
}

export interface QbxmlParseOptions {
  /** Maximum input length in characters; default 64 Mi. */
  maxLength?: number;
  /** Maximum element nesting depth; default 64. */
  maxDepth?: number;
  /** Element names that are always arrays, even when they occur once (default: DEFAULT_ARRAY_ELEMENTS). */
  arrayElements?: ReadonlySet<string>;
}

/** Repeating qbXML elements returned as arrays even when there is a single one. */
export const DEFAULT_ARRAY_ELEMENTS: ReadonlySet<string> = new Set([
  'InvoiceLineRet',
  'InvoiceLineGroupRet',
  'AppliedToTxnRet',
  'LinkedTxn',
  'DataExtRet',
  'SupportedQBXMLVersion',
]);

/** Malformed or refused input; `position` is the 0-based character offset, `line`/`column` 1-based. */
export class QbxmlParseError extends Error {
  readonly position: number;
  readonly line: number;
  readonly column: number;
  constructor(message: string, xml: string, position: number) {
    let line = 1;
    let lineStart = 0;
    const end = Math.min(position, xml.length);
    for (let i = xml.indexOf('\n'); i !== -1 && i < end; i = xml.indexOf('\n', i + 1)) {
      line++;
      lineStart = i + 1;
    }
    const column = end - lineStart + 1;
    super(`qbXML parse error at line ${line}, column ${column} (offset ${position}): ${message}`);
    this.name = 'QbxmlParseError';
    this.position = position;
    this.line = line;
    this.column = column;
  }
}

/**
 * Record objects: instances of a constructor whose prototype has a null prototype. They keep V8's fast
 * property layout (unlike Object.create(null), which makes dictionary objects) yet inherit no keys, so
 * `obj.toString` is undefined and a `__proto__` key could only ever be an own property.
 */
const RecordObject = function RecordObject(this: unknown) {} as unknown as new () => QbxmlObject;
RecordObject.prototype = Object.create(null);
const newObject = (): QbxmlObject => new RecordObject();

/**
 * Element names repeat on every record; looking them up by (first character, length) and comparing in
 * place avoids allocating a new string per tag and hands V8 an internalized property key. Bounded.
 */
const nameCache: (string[] | undefined)[] = [];
function internName(xml: string, start: number, end: number): string {
  const n = end - start;
  const key = ((xml.charCodeAt(start) & 127) << 6) | (n & 63);
  let bucket = nameCache[key];
  if (bucket !== undefined) {
    for (let i = 0; i < bucket.length; i++) {
      const cand = bucket[i] as string;
      if (cand.length === n && xml.startsWith(cand, start)) return cand;
    }
  }
  const name = Object.keys({ [xml.slice(start, end)]: 0 })[0] as string;
  if (bucket === undefined) nameCache[key] = bucket = [];
  if (bucket.length < 8) bucket.push(name);
  return name;
}

function isForbiddenName(name: string): boolean {
  const n = name.length;
  return (n === 9 && (name === '__proto__' || name === 'prototype')) || (n === 11 && name === 'constructor');
}

interface Frame {
  name: string;
  depth: number;
  obj: QbxmlObject | null;
  text: string | null;
  attrs: Record<string, string> | null;
  message: QbxmlResponseMessage | null;
}

function isWhitespace(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return false;
  }
  return true;
}

function isNameEnd(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9 || c === 47 /* / */ || c === 62 /* > */ || c === 61 /* = */ || c !== c;
}

function isNameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 58 || c > 127;
}

function isValidXmlChar(cp: number): boolean {
  return (
    cp === 9 || cp === 10 || cp === 13 || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/** Parses a qbXML response message set (the `response` QuickBooks hands to receiveResponseXML). */
export function parseQbxml(xml: string, options: QbxmlParseOptions = {}): QbxmlResponse {
  if (typeof xml !== 'string') throw new TypeError('parseQbxml expects a string');
  const maxLength = options.maxLength ?? 64 * 1024 * 1024;
  const maxDepth = options.maxDepth ?? 64;
  const arrays = options.arrayElements ?? DEFAULT_ARRAY_ELEMENTS;
  if (xml.length > maxLength) {
    throw new QbxmlParseError(`input is ${xml.length} characters; the limit is ${maxLength}`, xml, maxLength);
  }

  const fail = (message: string, at: number): never => {
    throw new QbxmlParseError(message, xml, at);
  };

  const decode = (s: string, at: number): string => {
    let amp = s.indexOf('&');
    if (amp === -1) return s;
    let out = '';
    let last = 0;
    while (amp !== -1) {
      const semi = s.indexOf(';', amp + 1);
      if (semi === -1 || semi - amp > 12) fail('"&" must start an entity reference ending in ";"', at + amp);
      const ent = s.slice(amp + 1, semi);
      let ch: string;
      if (ent === 'amp') ch = '&';
      else if (ent === 'lt') ch = '<';
      else if (ent === 'gt') ch = '>';
      else if (ent === 'quot') ch = '"';
      else if (ent === 'apos') ch = "'";
      else if (ent.charCodeAt(0) === 35 /* # */) {
        const hex = ent.charCodeAt(1) === 120; /* x */
        const digits = ent.slice(hex ? 2 : 1);
        const valid = hex ? /^[0-9a-fA-F]{1,6}$/.test(digits) : /^[0-9]{1,7}$/.test(digits);
        const cp = valid ? parseInt(digits, hex ? 16 : 10) : -1;
        if (!isValidXmlChar(cp)) fail(`invalid character reference &${ent};`, at + amp);
        ch = String.fromCodePoint(cp);
      } else {
        ch = fail(`unknown entity &${ent}; (only &amp; &lt; &gt; &quot; &apos; and &#…; are allowed)`, at + amp);
      }
      out += s.slice(last, amp) + ch;
      last = semi + 1;
      amp = s.indexOf('&', last);
    }
    return out + s.slice(last);
  };

  const messages: QbxmlResponseMessage[] = [];
  const stack: Frame[] = [];
  const pool: Frame[] = [];
  let rootSeen = false;
  const len = xml.length;
  let pos = xml.charCodeAt(0) === 0xfeff ? 1 : 0;

  const text = (start: number, end: number): void => {
    const top = stack.length === 0 ? null : stack[stack.length - 1];
    if (top === null || top.depth < 3) {
      for (let i = start; i < end; i++) {
        const c = xml.charCodeAt(i);
        if (c !== 32 && c !== 10 && c !== 13 && c !== 9) {
          fail(top === null ? 'text outside the root element' : `unexpected text inside <${top.name}>`, i);
        }
      }
      return;
    }
    if (top.obj !== null || xml.charCodeAt(end + 1) !== 47 /* / */) {
      // white space before a child element or between children is layout, not content
      let ws = true;
      for (let i = start; i < end; i++) {
        const c = xml.charCodeAt(i);
        if (c !== 32 && c !== 10 && c !== 13 && c !== 9) {
          ws = false;
          break;
        }
      }
      if (ws && (top.obj !== null || top.text === null)) return;
    }
    const value = decode(xml.slice(start, end), start);
    top.text = top.text === null ? value : top.text + value;
  };

  const open = (name: string, attrs: Record<string, string> | null, selfClosing: boolean, at: number): void => {
    const depth = stack.length;
    if (depth >= maxDepth) fail(`elements nested deeper than ${maxDepth}`, at);
    if (depth === 0) {
      if (rootSeen) fail('a second root element', at);
      if (name !== 'QBXML') fail(`the root element must be <QBXML>, not <${name}>`, at);
      rootSeen = true;
    } else if (depth === 1) {
      if (name !== 'QBXMLMsgsRs') fail(`expected <QBXMLMsgsRs>, got <${name}>`, at);
    }
    let message: QbxmlResponseMessage | null = null;
    if (depth === 2) {
      if (!name.endsWith('Rs')) fail(`<${name}> is not a response message (…Rs)`, at);
      const a = attrs ?? (Object.create(null) as Record<string, string>);
      if (a.statusCode === undefined) fail(`<${name}> has no statusCode attribute`, at);
      const statusCode = Number(a.statusCode);
      if (!Number.isInteger(statusCode)) fail(`<${name}> statusCode "${a.statusCode}" is not an integer`, at);
      message = {
        name,
        statusCode,
        statusSeverity: a.statusSeverity ?? '',
        statusMessage: a.statusMessage ?? '',
        attributes: a,
        records: [],
      };
      if (a.requestID !== undefined) message.requestID = a.requestID;
      if (a.iteratorID !== undefined) message.iteratorID = a.iteratorID;
      if (a.iteratorRemainingCount !== undefined) {
        const n = Number(a.iteratorRemainingCount);
        if (!Number.isInteger(n) || n < 0) fail(`iteratorRemainingCount "${a.iteratorRemainingCount}" is not a count`, at);
        message.iteratorRemainingCount = n;
      }
      messages.push(message);
    } else if (depth >= 3) {
      const parent = stack[depth - 1] as Frame;
      if (parent.text !== null && depth > 3 && isWhitespace(parent.text)) parent.text = null;
      if (depth > 3 && parent.obj === null) parent.obj = newObject();
    }
    let frame = pool[depth];
    if (frame === undefined) {
      frame = { name, depth, obj: null, text: null, attrs: depth >= 3 ? attrs : null, message };
      pool[depth] = frame;
    } else {
      frame.name = name;
      frame.obj = null;
      frame.text = null;
      frame.attrs = depth >= 3 ? attrs : null;
      frame.message = message;
    }
    stack.push(frame);
    if (selfClosing) close(frame);
  };

  const close = (frame: Frame): void => {
    stack.pop();
    if (frame.depth < 3) return;
    let value: QbxmlValue;
    if (frame.obj === null && frame.attrs === null) {
      value = frame.text ?? '';
    } else {
      const o = frame.obj ?? newObject();
      if (frame.attrs !== null) for (const k in frame.attrs) o[`@${k}`] = frame.attrs[k] as string;
      if (frame.text !== null && !(frame.obj !== null && isWhitespace(frame.text))) o['#text'] = frame.text;
      value = o;
    }
    const parent = stack[stack.length - 1] as Frame;
    if (frame.depth === 3) {
      let data: QbxmlObject;
      if (typeof value === 'string') {
        data = newObject();
        data['#text'] = value;
      } else data = value as QbxmlObject;
      (parent.message as QbxmlResponseMessage).records.push({ type: frame.name, data });
      return;
    }
    const obj = parent.obj as QbxmlObject;
    const existing = obj[frame.name];
    if (existing === undefined) obj[frame.name] = arrays.has(frame.name) ? [value] : value;
    else if (Array.isArray(existing)) existing.push(value);
    else obj[frame.name] = [existing, value];
  };

  const readName = (start: number): number => {
    if (!isNameStart(xml.charCodeAt(start))) fail('expected a name', start);
    let i = start + 1;
    while (i < len && !isNameEnd(xml.charCodeAt(i))) i++;
    return i;
  };

  const checkName = (name: string, at: number): void => {
    if (isForbiddenName(name)) fail(`the name "${name}" is not allowed`, at);
  };

  while (pos < len) {
    const lt = xml.indexOf('<', pos);
    if (lt === -1) {
      text(pos, len);
      pos = len;
      break;
    }
    if (lt > pos) text(pos, lt);
    const c = xml.charCodeAt(lt + 1);
    if (c === 47 /* / */) {
      const top = stack[stack.length - 1];
      let i = lt + 2;
      if (top !== undefined && xml.startsWith(top.name, i) && isNameEnd(xml.charCodeAt(i + top.name.length))) {
        i += top.name.length;
      } else {
        const name = xml.slice(i, readName(i));
        if (top === undefined) fail(`closing tag </${name}> without an open element`, lt);
        else fail(`closing tag </${name}> does not match <${top.name}>`, lt);
      }
      while (i < len && isWhitespace(xml[i] as string)) i++;
      if (xml.charCodeAt(i) !== 62) fail(`expected ">" to end </${(top as Frame).name}`, i);
      close(top as Frame);
      pos = i + 1;
    } else if (c === 63 /* ? */) {
      const end = xml.indexOf('?>', lt + 2);
      if (end === -1) fail('unterminated processing instruction', lt);
      // The XML declaration and any other PI carry nothing qbXML needs.
      pos = end + 2;
    } else if (c === 33 /* ! */) {
      if (xml.startsWith('<!--', lt)) {
        const end = xml.indexOf('-->', lt + 4);
        if (end === -1) fail('unterminated comment', lt);
        pos = end + 3;
      } else if (xml.startsWith('<![CDATA[', lt)) {
        const end = xml.indexOf(']]>', lt + 9);
        if (end === -1) fail('unterminated CDATA section', lt);
        const top = stack[stack.length - 1];
        if (top === undefined || top.depth < 3) fail('CDATA outside a record', lt);
        else top.text = (top.text ?? '') + xml.slice(lt + 9, end);
        pos = end + 3;
      } else if (/^<!\s*(DOCTYPE|ENTITY)/i.test(xml.slice(lt, lt + 12))) {
        fail('DOCTYPE and ENTITY declarations are not allowed in qbXML', lt);
      } else {
        fail('unexpected markup declaration "<!"', lt);
      }
    } else {
      const nameEnd = readName(lt + 1);
      const name = internName(xml, lt + 1, nameEnd);
      checkName(name, lt + 1);
      let attrs: Record<string, string> | null = null;
      let i = nameEnd;
      let selfClosing = false;
      for (;;) {
        const start = i;
        while (i < len) {
          const ch = xml.charCodeAt(i);
          if (ch !== 32 && ch !== 10 && ch !== 13 && ch !== 9) break;
          i++;
        }
        const ch = xml.charCodeAt(i);
        if (ch === 62 /* > */) {
          i++;
          break;
        }
        if (ch === 47 /* / */) {
          if (xml.charCodeAt(i + 1) !== 62) fail('expected "/>"', i);
          selfClosing = true;
          i += 2;
          break;
        }
        if (i >= len) fail(`unexpected end of input inside <${name}`, i);
        if (i === start) fail(`expected white space before an attribute in <${name}`, i);
        const attrEnd = readName(i);
        const attrName = xml.slice(i, attrEnd);
        checkName(attrName, i);
        i = attrEnd;
        while (i < len && isWhitespace(xml[i] as string)) i++;
        if (xml.charCodeAt(i) !== 61 /* = */) fail(`expected "=" after attribute ${attrName}`, i);
        i++;
        while (i < len && isWhitespace(xml[i] as string)) i++;
        const q = xml.charCodeAt(i);
        if (q !== 34 && q !== 39) fail(`attribute ${attrName} value must be quoted`, i);
        const close = xml.indexOf(q === 34 ? '"' : "'", i + 1);
        if (close === -1) fail(`unterminated value of attribute ${attrName}`, i);
        let raw = xml.slice(i + 1, close);
        const ltIn = raw.indexOf('<');
        if (ltIn !== -1) fail(`"<" in the value of attribute ${attrName}`, i + 1 + ltIn);
        if (/[\t\n\r]/.test(raw)) raw = raw.replace(/[\t\n\r]/g, ' ');
        if (attrs === null) attrs = Object.create(null) as Record<string, string>;
        if (attrs[attrName] !== undefined) fail(`duplicate attribute ${attrName}`, i);
        attrs[attrName] = decode(raw, i + 1);
        i = close + 1;
      }
      open(name, attrs, selfClosing, lt);
      pos = i;
    }
  }
  if (stack.length > 0) fail(`unexpected end of input: <${(stack[stack.length - 1] as Frame).name}> is not closed`, len);
  if (!rootSeen) fail('no <QBXML> root element', len);
  return { messages };
}
