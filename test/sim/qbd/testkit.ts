/**
 * Helpers for the simulator's own tests: a settable clock, raw request documents, and a sax-based
 * response reader (deliberately not the production parser).
 */
import sax from 'sax';
import { QbdCompany, type QbdCompanyOptions } from './company';

export class FakeClock {
  constructor(public ms: number) {}
  readonly now = (): Date => new Date(this.ms);
  set(iso: string): void {
    this.ms = Date.parse(iso);
  }
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

export function newCompany(opts: QbdCompanyOptions = {}, at = '2024-06-20T16:40:00-05:00'): { company: QbdCompany; clock: FakeClock } {
  const clock = new FakeClock(Date.parse(at));
  return { company: new QbdCompany({ clock: clock.now, ...opts }), clock };
}

/** Wraps request elements in the qbXML envelope. */
export function doc(body: string, onError = 'stopOnError'): string {
  return `<?xml version="1.0" encoding="utf-8"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="${onError}">${body}</QBXMLMsgsRq></QBXML>`;
}

export interface TNode {
  name: string;
  attrs: Record<string, string>;
  children: TNode[];
  text: string;
}

export interface TRs {
  name: string;
  attrs: Record<string, string>;
  code: number;
  records: TNode[];
}

/** Reads a response document with sax into its `…Rs` elements. */
export function readResponse(xml: string): TRs[] {
  const p = sax.parser(true);
  const stack: TNode[] = [];
  let root: TNode | undefined;
  p.onopentag = (t) => {
    const n: TNode = { name: t.name, attrs: { ...(t.attributes as Record<string, string>) }, children: [], text: '' };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(n);
    else root = n;
    stack.push(n);
  };
  p.onclosetag = () => void stack.pop();
  p.ontext = (t) => {
    const top = stack[stack.length - 1];
    if (top) top.text += t;
  };
  p.write(xml).close();
  const msgs = root?.children[0]?.children ?? [];
  return msgs.map((m) => ({ name: m.name, attrs: m.attrs, code: Number(m.attrs.statusCode), records: m.children }));
}

/** Text of a descendant path like `CustomerRef/FullName`. */
export function val(node: TNode | undefined, path: string): string | undefined {
  let cur: TNode | undefined = node;
  for (const part of path.split('/')) cur = cur?.children.find((c) => c.name === part);
  return cur?.text;
}

/** Sends one document and returns its `…Rs` elements. */
export function ask(company: QbdCompany, body: string, ticket = 't1', onError = 'stopOnError'): TRs[] {
  return readResponse(company.processRequest(doc(body, onError), ticket));
}

/** Sends one request element and returns its single `…Rs`. */
export function ask1(company: QbdCompany, body: string, ticket = 't1'): TRs {
  const rs = ask(company, body, ticket);
  if (rs.length !== 1) throw new Error(`expected one response, got ${rs.length}`);
  return rs[0] as TRs;
}

export function customerAdd(name: string, extra = '', requestID = 'r'): string {
  return `<CustomerAddRq requestID="${requestID}"><CustomerAdd><Name>${name}</Name>${extra}</CustomerAdd></CustomerAddRq>`;
}
