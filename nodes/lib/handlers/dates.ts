/**
 * Calendar-date arithmetic for date-range exports and the export scheduler. Dates are ISO calendar
 * dates (`YYYY-MM-DD`) without a time or a zone; instants become dates only through `localDate` in a
 * named IANA time zone. Everything here is pure (no clock).
 */

export type PeriodUnit = 'days' | 'weeks' | 'months' | 'quarters' | 'years';

/** The units of BluBilling's Period Duration. */
export const PERIOD_UNITS: readonly PeriodUnit[] = ['days', 'weeks', 'months', 'quarters', 'years'];

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

interface Ymd {
  y: number;
  m: number;
  d: number;
}

function parse(date: string): Ymd {
  const m = DATE.exec(date);
  if (!m) throw new RangeError(`not a date (YYYY-MM-DD): "${date}"`);
  const ymd = { y: Number(m[1]), m: Number(m[2]), d: Number(m[3]) };
  if (ymd.m < 1 || ymd.m > 12 || ymd.d < 1 || ymd.d > daysInMonth(ymd.y, ymd.m)) throw new RangeError(`not a calendar date: "${date}"`);
  return ymd;
}

function format({ y, m, d }: Ymd): string {
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** Days in a month (1-12) of a year, leap years included. */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The date `n` days after `date` (n may be negative). */
export function addDays(date: string, n: number): string {
  const { y, m, d } = parse(date);
  const t = new Date(Date.UTC(y, m - 1, d + n));
  return format({ y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() });
}

/**
 * The date `n` months after `date`, clamped to the end of the target month: Jan 31 + 1 month = Feb 28
 * (Feb 29 in a leap year). Always count from a fixed anchor (anchor + k months), never step by step,
 * or Jan 31 would drift to Feb 28, Mar 28, ….
 */
export function addMonths(date: string, n: number): string {
  const { y, m, d } = parse(date);
  const index = y * 12 + (m - 1) + n;
  const ty = Math.floor(index / 12);
  const tm = index - ty * 12 + 1;
  return format({ y: ty, m: tm, d: Math.min(d, daysInMonth(ty, tm)) });
}

/** The date `n` periods of `unit` after `date` (weeks are 7 days; months, quarters and years clamp, see `addMonths`). */
export function addPeriod(date: string, n: number, unit: PeriodUnit): string {
  switch (unit) {
    case 'days':
      return addDays(date, n);
    case 'weeks':
      return addDays(date, 7 * n);
    case 'months':
      return addMonths(date, n);
    case 'quarters':
      return addMonths(date, 3 * n);
    case 'years':
      return addMonths(date, 12 * n);
  }
}

/** True for a real calendar date in `YYYY-MM-DD`. */
export function isDate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    parse(value);
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Throws a clear error unless `timeZone` is an IANA zone this Node.js knows; returns it. */
export function checkTimeZone(timeZone: string): string {
  formatter(timeZone);
  return timeZone;
}

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    } catch {
      throw new RangeError(`unknown time zone "${timeZone}" (use an IANA name such as "America/New_York" or "UTC")`);
    }
    formatters.set(timeZone, f);
  }
  return f;
}

/** The time zone of this host (the default company zone). */
export function hostTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/**
 * The calendar date an instant falls on in `timeZone`: `2026-01-31T23:30:00-05:00` is 2026-01-31 in
 * America/New_York and 2026-02-01 in UTC. A bare date (`YYYY-MM-DD`) is already a local date.
 */
export function localDate(instant: string | Date, timeZone: string): string {
  if (typeof instant === 'string' && DATE.test(instant)) return format(parse(instant));
  const t = instant instanceof Date ? instant : new Date(instant);
  if (Number.isNaN(t.getTime())) throw new RangeError(`not a date-time: "${String(instant)}"`);
  const parts = formatter(timeZone).formatToParts(t);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return format({ y: get('year'), m: get('month'), d: get('day') });
}
