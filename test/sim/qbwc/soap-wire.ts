/**
 * The SOAP 1.1 wire format the Windows Web Connector (a .NET client) speaks: request envelopes built
 * like the real ones (prefix soap:, xsi/xsd declared, operation element unprefixed in the default
 * namespace http://developer.intuit.com/, empty values as empty elements), and a strict parser for
 * the answers (sax, strict mode, namespace-aware).
 */
import * as sax from 'sax';

export const INTUIT_NS = 'http://developer.intuit.com/';
export const SOAP_ENV_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

/** Escapes element text the way .NET's XmlWriter does (quotes stay literal). */
export function escapeText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A request envelope; params in the order given (parameter names and order are significant). */
export function requestEnvelope(operation: string, params: ReadonlyArray<readonly [string, string | number]>): string {
  const head =
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<soap:Envelope xmlns:soap="${SOAP_ENV_NS}" xmlns:xsi="${XSI_NS}" xmlns:xsd="http://www.w3.org/2001/XMLSchema">` +
    '<soap:Body>';
  const tail = '</soap:Body></soap:Envelope>';
  if (params.length === 0) return `${head}<${operation} xmlns="${INTUIT_NS}" />${tail}`;
  const inner = params
    .map(([name, value]) => {
      const text = String(value);
      return text === '' ? `<${name} />` : `<${name}>${escapeText(text)}</${name}>`;
    })
    .join('');
  return `${head}<${operation} xmlns="${INTUIT_NS}">${inner}</${operation}>${tail}`;
}

/** A parsed answer: the result text (null when absent or xsi:nil), or the strings of an ArrayOfString, or a Fault. */
export type ParsedAnswer =
  | { kind: 'result'; value: string | null }
  | { kind: 'array'; values: Array<string | null> }
  | { kind: 'fault'; faultcode: string; faultstring: string };

export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireError';
  }
}

interface Node {
  local: string;
  uri: string;
  nil: boolean;
  text: string;
  children: Node[];
}

function parseTree(xml: string): Node {
  const parser = sax.parser(true, { xmlns: true, trim: false, normalize: false });
  const root: Node = { local: '#document', uri: '', nil: false, text: '', children: [] };
  const stack: Node[] = [root];
  let failure: Error | undefined;
  parser.onerror = (err: Error) => {
    failure ??= err;
    parser.resume();
  };
  parser.ondoctype = () => {
    failure ??= new WireError('DOCTYPE in a SOAP answer');
  };
  parser.onopentag = (tag) => {
    const t = tag as sax.QualifiedTag;
    const nilAttr = Object.values(t.attributes).find((a) => a.local === 'nil' && a.uri === XSI_NS);
    const node: Node = { local: t.local, uri: t.uri, nil: nilAttr?.value === 'true', text: '', children: [] };
    stack[stack.length - 1].children.push(node);
    stack.push(node);
  };
  parser.onclosetag = () => {
    stack.pop();
  };
  const onText = (text: string): void => {
    stack[stack.length - 1].text += text;
  };
  parser.ontext = onText;
  parser.oncdata = onText;
  parser.write(xml).close();
  if (failure) throw new WireError(`ill-formed XML: ${failure.message.split('\n')[0]}`);
  return root;
}

function child(node: Node, local: string, uri: string | null): Node | undefined {
  return node.children.find((c) => c.local === local && (uri === null || c.uri === uri));
}

/**
 * Parses an answer to `operation` as the .NET client reads it: Envelope/Body in the SOAP 1.1
 * namespace; either a Fault, or `<operation>Response` in http://developer.intuit.com/ holding
 * `<operation>Result` in the same namespace. `array` reads ArrayOfString children named `string`.
 * Throws WireError when the document is not a SOAP 1.1 envelope or the wrapper is missing.
 */
export function parseAnswer(xml: string, operation: string, array = false): ParsedAnswer {
  const doc = parseTree(xml);
  const envelope = child(doc, 'Envelope', SOAP_ENV_NS);
  if (!envelope) throw new WireError('no SOAP 1.1 Envelope');
  const body = child(envelope, 'Body', SOAP_ENV_NS);
  if (!body) throw new WireError('no SOAP Body');
  const fault = child(body, 'Fault', SOAP_ENV_NS);
  if (fault) {
    return {
      kind: 'fault',
      faultcode: (child(fault, 'faultcode', null)?.text ?? '').trim(),
      faultstring: child(fault, 'faultstring', null)?.text ?? '',
    };
  }
  const wrapper = child(body, `${operation}Response`, INTUIT_NS);
  if (!wrapper) throw new WireError(`no ${operation}Response element in ${INTUIT_NS}`);
  const result = child(wrapper, `${operation}Result`, INTUIT_NS);
  if (array) {
    if (!result || result.nil) return { kind: 'array', values: [] };
    const strings = result.children.filter((c) => c.local === 'string' && c.uri === INTUIT_NS);
    return { kind: 'array', values: strings.map((s) => (s.nil ? null : s.text)) };
  }
  if (!result || result.nil) return { kind: 'result', value: null };
  if (result.children.length > 0) throw new WireError(`${operation}Result holds elements instead of text`);
  return { kind: 'result', value: result.text };
}
