/**
 * Value formatting for qbXML requests: XML escaping, the Latin-1 repertoire QuickBooks Desktop stores,
 * length limits, money, quantities, booleans and dates. Every formatter takes the field's path so that
 * an error names the field (e.g. `InvoiceAdd.InvoiceLineAdd[2].Desc`).
 */
import { roundCents, toLatin1 } from '../../util/text';

/** A request value that cannot be sent to QuickBooks; `field` is the path of the offending field. */
export class QbxmlBuildError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'QbxmlBuildError';
    this.field = field;
  }
}

const ESCAPE_RE = /[&<>"']/;
const ESCAPE_ALL_RE = /[&<>"']/g;
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escapes the five XML special characters (`& < > " '`); usable in text and in attribute values. */
export function escapeXml(text: string): string {
  return ESCAPE_RE.test(text) ? text.replace(ESCAPE_ALL_RE, (c) => ESCAPES[c] as string) : text;
}

/** What happens when a text is longer than its qbXML limit. */
export type OverLength = 'throw' | 'truncate';

/**
 * Turns a value into qbXML text: transliterated to ISO-8859-1, then checked against `max` characters
 * (counted after transliteration, before escaping, as QuickBooks counts them), then escaped.
 */
export function formatText(value: unknown, field: string, max?: number, overLength: OverLength = 'throw'): string {
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new QbxmlBuildError(field, `expected a string, got ${describe(value)}`);
  }
  let text = toLatin1(value);
  if (max !== undefined && text.length > max) {
    if (overLength === 'throw') {
      throw new QbxmlBuildError(field, `is ${text.length} characters long; QuickBooks allows at most ${max}`);
    }
    text = text.slice(0, max);
  }
  return escapeXml(text);
}

/** An identifier QuickBooks issued (ListID, TxnID, EditSequence, iteratorID): non-empty, no transliteration. */
export function formatId(value: unknown, field: string): string {
  if (typeof value === 'number' && Number.isFinite(value)) value = String(value);
  if (typeof value !== 'string' || value.trim() === '') {
    throw new QbxmlBuildError(field, `expected a non-empty identifier, got ${describe(value)}`);
  }
  if (value.length > 100) throw new QbxmlBuildError(field, `identifier longer than 100 characters`);
  return escapeXml(value);
}

function toNumber(value: unknown, field: string, what: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new QbxmlBuildError(field, `expected ${what}, got ${describe(value)}`);
  }
  return n;
}

/** AMTTYPE: rounded to cents (half away from zero) and written with two decimals, e.g. `104.90`. */
export function formatMoney(value: unknown, field: string): string {
  const cents = roundCents(toNumber(value, field, 'an amount'));
  return cents.toFixed(2);
}

/**
 * PRICETYPE (line Rate, item Price): at least two decimals, at most five (QuickBooks keeps up to five
 * decimals of a unit price), e.g. `49.95`, `0.12345`.
 */
export function formatPrice(value: unknown, field: string): string {
  const n = toNumber(value, field, 'a price');
  const fixed = (Math.round(Number((n * 1e5).toPrecision(15))) / 1e5).toFixed(5);
  return fixed.replace(/0{1,3}$/, '') || '0.00';
}

/** QUANTYPE / PERCENTTYPE: a plain decimal with at most five decimals, no exponent, e.g. `2`, `1.5`. */
export function formatQuantity(value: unknown, field: string): string {
  const n = toNumber(value, field, 'a number');
  const fixed = (Math.round(Number((n * 1e5).toPrecision(15))) / 1e5).toFixed(5);
  return fixed.replace(/\.?0+$/, '') || '0';
}

/** INTTYPE (MaxReturned): a non-negative integer. */
export function formatInt(value: unknown, field: string): string {
  const n = toNumber(value, field, 'an integer');
  if (!Number.isInteger(n) || n < 0) throw new QbxmlBuildError(field, `expected a non-negative integer, got ${n}`);
  return String(n);
}

/** BOOLTYPE: `true` / `false` (also accepts the strings). */
export function formatBool(value: unknown, field: string): string {
  if (value === true || value === 'true') return 'true';
  if (value === false || value === 'false') return 'false';
  throw new QbxmlBuildError(field, `expected a boolean, got ${describe(value)}`);
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?(Z|[+-]\d{2}:\d{2})?$/;

function validDay(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

const pad = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** DATETYPE: `YYYY-MM-DD`. A `Date` is written with its UTC calendar day. */
export function formatDate(value: unknown, field: string): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new QbxmlBuildError(field, 'invalid Date');
    return `${value.getUTCFullYear()}-${pad(value.getUTCMonth() + 1)}-${pad(value.getUTCDate())}`;
  }
  const m = typeof value === 'string' ? DATE_RE.exec(value) : null;
  if (!m || !validDay(Number(m[1]), Number(m[2]), Number(m[3]))) {
    throw new QbxmlBuildError(field, `expected a date YYYY-MM-DD, got ${describe(value)}`);
  }
  return value as string;
}

/**
 * DATETIMETYPE: `YYYY-MM-DDThh:mm:ss` with an optional `±hh:mm` offset (QuickBooks reads a time without
 * offset in the QuickBooks machine's zone). A date alone is accepted, as QuickBooks does. `Z` becomes
 * `+00:00`; a `Date` is written in UTC as `…+00:00`.
 */
export function formatDateTime(value: unknown, field: string): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new QbxmlBuildError(field, 'invalid Date');
    const d = value;
    return (
      `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
      `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}+00:00`
    );
  }
  const m = typeof value === 'string' ? DATETIME_RE.exec(value) : null;
  if (!m || !validDay(Number(m[1]), Number(m[2]), Number(m[3])) || Number(m[4] ?? 0) > 23 || Number(m[5] ?? 0) > 59 || Number(m[6] ?? 0) > 59) {
    throw new QbxmlBuildError(field, `expected a date-time YYYY-MM-DDThh:mm:ss[±hh:mm], got ${describe(value)}`);
  }
  const s = value as string;
  if (m[4] === undefined) return s;
  const time = m[6] === undefined ? `${s.slice(0, 16)}:00` : s.slice(0, 19);
  const zone = m[7] === undefined ? '' : m[7] === 'Z' ? '+00:00' : m[7];
  return time + zone;
}

/** A short, safe description of a bad value for error messages (never the whole value). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a Date';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return value.length > 40 ? `"${value.slice(0, 40)}…"` : `"${value}"`;
  return `${typeof value} ${String(value)}`;
}
