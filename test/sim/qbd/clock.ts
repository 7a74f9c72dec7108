/**
 * Time and identifiers as QuickBooks Desktop writes them: `TimeModified` in the company machine's local
 * time with its offset (`2024-06-01T08:02:11-05:00`), ListIDs like `80000004-1712345678`, TxnIDs like
 * `1A2F-1718900000` (hex counter, then the creation time in Unix seconds), EditSequence = Unix seconds
 * of the last change (bumped past the previous one when two changes of a record fall in the same second).
 */

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `YYYY-MM-DDThh:mm:ss±hh:mm` of `ms` at a fixed UTC offset in minutes. */
export function formatQbDateTime(ms: number, offsetMinutes: number): string {
  const d = new Date(Math.floor(ms / 1000) * 1000 + offsetMinutes * 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** `YYYY-MM-DD` of `ms` in the company's local zone. */
export function formatQbDate(ms: number, offsetMinutes: number): string {
  return formatQbDateTime(ms, offsetMinutes).slice(0, 10);
}

const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * Parses a DATETIMETYPE filter value. Without an offset the value is read in the company's zone (as
 * QuickBooks reads it in the QuickBooks machine's zone). A date alone means the start of that day, or
 * its last second when `endOfDay` (used for ToModifiedDate). Returns epoch ms, or null when invalid.
 */
export function parseQbDateTime(text: string, offsetMinutes: number, endOfDay = false): number | null {
  const m = DATETIME_RE.exec(text.trim());
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const dateOnly = m[4] === undefined;
  const h = dateOnly ? (endOfDay ? 23 : 0) : Number(m[4]);
  const mi = dateOnly ? (endOfDay ? 59 : 0) : Number(m[5]);
  const s = dateOnly ? (endOfDay ? 59 : 0) : Number(m[6] ?? 0);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null;
  let offset = offsetMinutes;
  if (m[7] === 'Z') offset = 0;
  else if (m[7] !== undefined) {
    const sign = m[7][0] === '-' ? -1 : 1;
    offset = sign * (Number(m[7].slice(1, 3)) * 60 + Number(m[7].slice(4, 6)));
  }
  const local = Date.UTC(y, mo - 1, d, h, mi, s);
  if (new Date(local).getUTCDate() !== d) return null;
  return local - offset * 60_000;
}

/** Validates a DATETYPE value `YYYY-MM-DD`. */
export function isQbDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return false;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return new Date(t).getUTCDate() === Number(m[3]) && Number(m[2]) >= 1 && Number(m[2]) <= 12;
}

/** Issues ListIDs, TxnIDs / TxnLineIDs and EditSequences. */
export class IdIssuer {
  private listCounter = 0;
  private txnCounter = 0x1a00;

  listId(ms: number): string {
    this.listCounter++;
    return `${(0x80000000 + this.listCounter).toString(16).toUpperCase()}-${Math.floor(ms / 1000)}`;
  }

  txnId(ms: number): string {
    this.txnCounter++;
    return `${this.txnCounter.toString(16).toUpperCase()}-${Math.floor(ms / 1000)}`;
  }

  /**
   * Unix seconds of the change (as QuickBooks writes it); bumped past the record's previous sequence
   * when two changes fall in the same second, so a stale sequence never matches.
   */
  editSequence(ms: number, previous?: string): string {
    const prev = previous === undefined ? -1 : Number(previous);
    return String(Math.max(Math.floor(ms / 1000), prev + 1));
  }
}
