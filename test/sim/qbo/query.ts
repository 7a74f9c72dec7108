/**
 * The QBO query language subset (qbo.md §2.3): SELECT * | COUNT(*) FROM e [WHERE c AND …] [ORDERBY f [ASC|DESC], …]
 * [STARTPOSITION n] [MAXRESULTS n]; operators = < > <= >= IN LIKE ('%' only); strings in single quotes, `\'` escapes.
 */
import { accessor, canonicalEntity, Company, EntityName, fieldValue, Rec } from './entities';
import { faults } from './faults';

export type Value = string | number | boolean;
export type Op = '=' | '<' | '>' | '<=' | '>=' | 'IN' | 'LIKE';

export interface Condition {
  field: string;
  op: Op;
  value: Value | Value[];
}

export interface ParsedQuery {
  count: boolean;
  entity: EntityName;
  where: Condition[];
  orderBy: Array<{ field: string; desc: boolean }>;
  startPosition: number;
  maxResults: number;
}

const META = ['MetaData.CreateTime', 'MetaData.LastUpdatedTime'];
/** Filterable properties per entity; anything else in WHERE → 4001. */
export const FILTERABLE: Record<EntityName, string[]> = {
  Item: ['Id', 'Name', 'Sku', 'Type', 'Active', 'Taxable', 'FullyQualifiedName', ...META],
  Customer: ['Id', 'DisplayName', 'GivenName', 'FamilyName', 'CompanyName', 'PrimaryEmailAddr', 'Active', 'Balance', 'FullyQualifiedName', ...META],
  Vendor: ['Id', 'DisplayName', 'GivenName', 'FamilyName', 'CompanyName', 'PrimaryEmailAddr', 'Active', 'Balance', ...META],
  Employee: ['Id', 'DisplayName', 'GivenName', 'FamilyName', 'PrimaryEmailAddr', 'Active', ...META],
  Invoice: ['Id', 'DocNumber', 'TxnDate', 'DueDate', 'Balance', 'TotalAmt', 'CustomerRef', 'SalesTermRef', ...META],
  Payment: ['Id', 'TxnDate', 'CustomerRef', 'TotalAmt', ...META],
  Term: ['Id', 'Name', 'Active', ...META],
  Account: ['Id', 'Name', 'AccountType', 'Classification', 'Active', 'FullyQualifiedName', ...META],
  PaymentMethod: ['Id', 'Name', 'Active', ...META],
};
/** Name lists whose queries return only active rows unless WHERE mentions Active (Account is the exception). */
const ACTIVE_DEFAULT = new Set<EntityName>(['Item', 'Customer', 'Vendor', 'Employee', 'Term', 'PaymentMethod']);
const NUMERIC = new Set(['Balance', 'TotalAmt', 'Id']);
const BOOLEAN = new Set(['Active', 'Taxable']);

// ------------------------------------------------------------------ lexer

type Tok = { t: 'id' | 'str' | 'num' | 'op' | 'eof'; v: string; pos: number };

function lex(text: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === "'") {
      const start = i;
      let v = '';
      i += 1;
      for (;;) {
        if (i >= text.length) throw faults.queryParse(`Lexical error at line 1, column ${start + 1}.  Encountered: <EOF> after : "${text.slice(start)}"`);
        const ch = text[i];
        if (ch === '\\' && i + 1 < text.length) {
          v += text[i + 1];
          i += 2;
        } else if (ch === "'") {
          i += 1;
          break;
        } else {
          v += ch;
          i += 1;
        }
      }
      out.push({ t: 'str', v, pos: start });
    } else if (/[0-9-]/.test(c) && /[0-9.]/.test(text[i + 1] ?? '') || /[0-9]/.test(c)) {
      const m = /^-?\d+(\.\d+)?/.exec(text.slice(i));
      if (!m) throw faults.queryParse(`Lexical error at line 1, column ${i + 1}.  Encountered: "${c}"`);
      out.push({ t: 'num', v: m[0], pos: i });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(text.slice(i)) as RegExpExecArray;
      out.push({ t: 'id', v: m[0], pos: i });
      i += m[0].length;
    } else if (c === '<' || c === '>') {
      const v = text[i + 1] === '=' ? `${c}=` : c;
      out.push({ t: 'op', v, pos: i });
      i += v.length;
    } else if ('=(),*'.includes(c)) {
      out.push({ t: 'op', v: c, pos: i });
      i += 1;
    } else {
      throw faults.queryParse(`Lexical error at line 1, column ${i + 1}.  Encountered: "${c}" (${c.charCodeAt(0)}), after : ""`);
    }
  }
  out.push({ t: 'eof', v: '<EOF>', pos: text.length });
  return out;
}

// ------------------------------------------------------------------ parser

export function parseQuery(text: string): ParsedQuery {
  const toks = lex(text);
  let p = 0;
  const peek = () => toks[p];
  const fail = (tok: Tok): never => {
    throw faults.queryParse(`Encountered " ${tok.t === 'str' ? `<STRING> "'${tok.v}'"` : `"${tok.v}"`} " at line 1, column ${tok.pos + 1}.`);
  };
  const kw = (word: string): boolean => {
    const tok = peek();
    if (tok.t === 'id' && tok.v.toLowerCase() === word) {
      p += 1;
      return true;
    }
    return false;
  };
  const expectKw = (word: string) => {
    if (!kw(word)) fail(peek());
  };
  const expectOp = (op: string) => {
    const tok = peek();
    if (tok.t !== 'op' || tok.v !== op) fail(tok);
    p += 1;
  };
  const value = (): Value => {
    const tok = peek();
    p += 1;
    if (tok.t === 'str') return tok.v;
    if (tok.t === 'num') return Number(tok.v);
    if (tok.t === 'id' && /^(true|false)$/i.test(tok.v)) return tok.v.toLowerCase() === 'true';
    return fail(tok);
  };
  const integer = (): number => {
    const tok = peek();
    if (tok.t !== 'num' || !/^\d+$/.test(tok.v)) fail(tok);
    p += 1;
    return Number(tok.v);
  };

  expectKw('select');
  let count = false;
  if (peek().t === 'op' && peek().v === '*') {
    p += 1;
  } else if (kw('count')) {
    expectOp('(');
    expectOp('*');
    expectOp(')');
    count = true;
  } else {
    fail(peek());
  }
  expectKw('from');
  const entTok = peek();
  if (entTok.t !== 'id') fail(entTok);
  p += 1;
  const entity = canonicalEntity(entTok.v);
  if (!entity) throw faults.queryParse(`Invalid entity name: ${entTok.v}`);
  /** A property of the entity that WHERE and ORDERBY may name, spelt as the entity does (else 4001). */
  const filterableField = (): string => {
    const f = peek();
    if (f.t !== 'id') fail(f);
    p += 1;
    const field = FILTERABLE[entity].find((x) => x.toLowerCase() === f.v.toLowerCase());
    if (!field) throw faults.queryProperty(f.v);
    return field;
  };

  const where: Condition[] = [];
  if (kw('where')) {
    do {
      const field = filterableField();
      const o = peek();
      let op: Op;
      if (o.t === 'op' && ['=', '<', '>', '<=', '>='].includes(o.v)) op = o.v as Op;
      else if (o.t === 'id' && /^(in|like)$/i.test(o.v)) op = o.v.toUpperCase() as Op;
      else return fail(o);
      p += 1;
      if (op === 'IN') {
        expectOp('(');
        const vals: Value[] = [value()];
        while (peek().t === 'op' && peek().v === ',') {
          p += 1;
          vals.push(value());
        }
        expectOp(')');
        where.push({ field, op, value: vals });
      } else {
        const v = value();
        if (op === 'LIKE' && typeof v !== 'string') fail(toks[p - 1]);
        where.push({ field, op, value: v });
      }
    } while (kw('and'));
  }
  const orderBy: ParsedQuery['orderBy'] = [];
  if (kw('orderby') || (kw('order') && (expectKw('by'), true))) {
    do {
      const field = filterableField();
      let desc = false;
      if (kw('desc')) desc = true;
      else kw('asc');
      orderBy.push({ field, desc });
    } while (peek().t === 'op' && peek().v === ',' && (p += 1));
  }
  let startPosition = 1;
  let maxResults = 100;
  for (;;) {
    if (kw('startposition')) startPosition = Math.max(1, integer());
    else if (kw('maxresults')) maxResults = Math.min(1000, integer());
    else break;
  }
  if (peek().t !== 'eof') fail(peek());
  return { count, entity, where, orderBy, startPosition, maxResults };
}

// ------------------------------------------------------------------ evaluation

function kindOf(field: string): 'num' | 'bool' | 'time' | 'str' {
  if (NUMERIC.has(field)) return 'num';
  if (BOOLEAN.has(field)) return 'bool';
  if (field.startsWith('MetaData.')) return 'time';
  return 'str';
}

function norm(field: string, v: unknown): number | string | boolean | undefined {
  if (v === undefined || v === null) return undefined;
  switch (kindOf(field)) {
    case 'num':
      return Number(v);
    case 'bool':
      return v === true || v === 'true';
    case 'time':
      return Date.parse(String(v));
    default:
      return String(v).toLowerCase();
  }
}

function likeRegex(pattern: string): RegExp {
  const body = pattern
    .split('%')
    .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 'is');
}

function compile(c: Condition): (rec: Rec) => boolean {
  const read = accessor(c.field);
  const kind = kindOf(c.field);
  const get = (rec: Rec) => {
    const raw = read(rec);
    if (c.field === 'Active' && raw === undefined) return true;
    if (kind === 'str') return raw === undefined || raw === null ? undefined : String(raw).toLowerCase();
    return norm(c.field, raw);
  };
  if (c.op === 'IN') {
    const set = new Set((c.value as Value[]).map((v) => norm(c.field, v)));
    return (rec) => set.has(get(rec) as never);
  }
  if (c.op === 'LIKE') {
    const re = likeRegex(String(c.value));
    return (rec) => {
      const v = read(rec);
      return v !== undefined && v !== null && re.test(String(v));
    };
  }
  const want = norm(c.field, c.value) as number | string | boolean;
  return (rec) => {
    const v = get(rec);
    if (v === undefined) return false;
    switch (c.op) {
      case '=':
        return v === want;
      case '<':
        return v < want;
      case '>':
        return v > want;
      case '<=':
        return v <= want;
      default:
        return v >= want;
    }
  };
}

export interface QueryResult {
  rows?: Rec[];
  totalCount?: number;
}

/** Runs a parsed query against the company. Uses the Name/Sku/DisplayName/email/DocNumber indexes for = and IN. */
export function runQuery(company: Company, q: ParsedQuery): QueryResult {
  const table = company.table(q.entity);
  const where = [...q.where];
  if (ACTIVE_DEFAULT.has(q.entity) && !where.some((c) => c.field === 'Active')) where.push({ field: 'Active', op: '=', value: true });

  let candidates: Iterable<Rec> = table.rows.values();
  let best: Set<string> | undefined;
  for (const c of where) {
    if ((c.op !== '=' && c.op !== 'IN') || !(c.field === 'Id' || table.isIndexed(c.field))) continue;
    const ids = new Set<string>();
    for (const v of c.op === 'IN' ? (c.value as Value[]) : [c.value as Value]) {
      if (c.field === 'Id') {
        if (table.rows.has(String(v))) ids.add(String(v));
      } else {
        for (const id of table.lookup(c.field, v)) ids.add(id);
      }
    }
    if (!best || ids.size < best.size) best = ids;
  }
  if (best) {
    candidates = [...best].sort((a, b) => Number(a) - Number(b)).map((id) => table.rows.get(id) as Rec);
  }
  const tests = where.map(compile);
  const hits: Rec[] = [];
  // Without ORDERBY or COUNT the scan can stop once the requested page is complete.
  const enough = !q.count && q.orderBy.length === 0 ? q.startPosition - 1 + q.maxResults : Infinity;
  for (const rec of candidates) {
    let ok = true;
    for (const t of tests) {
      if (!t(rec)) {
        ok = false;
        break;
      }
    }
    if (ok && hits.push(rec) >= enough) break;
  }
  if (q.count) return { totalCount: hits.length };
  if (q.orderBy.length > 0) {
    hits.sort((a, b) => {
      for (const o of q.orderBy) {
        const x = norm(o.field, fieldValue(a, o.field));
        const y = norm(o.field, fieldValue(b, o.field));
        if (x === y) continue;
        if (x === undefined) return o.desc ? 1 : -1;
        if (y === undefined) return o.desc ? -1 : 1;
        const r = x < y ? -1 : 1;
        return o.desc ? -r : r;
      }
      return Number(a.Id) - Number(b.Id);
    });
  }
  const page = hits.slice(q.startPosition - 1, q.startPosition - 1 + q.maxResults);
  return { rows: page.map((r) => JSON.parse(JSON.stringify(r)) as Rec) };
}

/** The QueryResponse body for a query text (throws QboFault on parse/validation errors). */
export function queryResponse(company: Company, text: string): Rec {
  const q = parseQuery(text);
  const r = runQuery(company, q);
  if (q.count) return { totalCount: r.totalCount };
  const rows = r.rows as Rec[];
  if (rows.length === 0) return {};
  return { [q.entity]: rows, startPosition: q.startPosition, maxResults: rows.length };
}
