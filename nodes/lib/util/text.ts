/**
 * Text normalisation shared by rules, matching and the qbXML builder: one piece of code per idea.
 */

/** Trims and lower-cases an e-mail address; empty or non-string input gives ''. */
export function normalizeEmail(value: unknown): string {
  if (typeof value !== 'string') return '';
  return value.trim().toLowerCase();
}

/**
 * Normalises a match key: trims, collapses inner runs of white space to one space and, unless
 * `caseSensitive`, lower-cases. Numbers are turned into their decimal text; anything else gives ''.
 */
export function normalizeKey(value: unknown, caseSensitive = false): string {
  if (typeof value === 'number' && Number.isFinite(value)) value = String(value);
  if (typeof value !== 'string') return '';
  const collapsed = value.trim().replace(/\s+/g, ' ');
  return caseSensitive ? collapsed : collapsed.toLowerCase();
}

const LATIN1_FALLBACK: Record<string, string> = {
  '\u2018': "'", '\u2019': "'", '\u201A': "'", '\u201B': "'",
  '\u201C': '"', '\u201D': '"', '\u201E': '"', '\u201F': '"',
  '\u2013': '-', '\u2014': '-', '\u2212': '-', '\u2026': '...',
  '\u00A0': ' ', '\u2009': ' ', '\u200B': '', '\u20AC': 'EUR', '\u2122': 'TM',
  '\u0152': 'OE', '\u0153': 'oe', '\u0141': 'L', '\u0142': 'l', '\u0131': 'i',
};

/**
 * Transliterates text to the ISO-8859-1 repertoire QuickBooks Desktop accepts: characters already in
 * Latin-1 stay, accented letters outside it lose their marks (e.g. "Š" → "S"), typographic quotes and
 * dashes become ASCII, anything else becomes "?". Control characters other than tab, CR and LF are
 * dropped. When `maxLength` is given the result is cut to that many characters.
 */
export function toLatin1(value: unknown, maxLength?: number): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) as number;
    if (code < 0x20 && ch !== '\t' && ch !== '\n' && ch !== '\r') continue;
    if (code === 0x7f || (code >= 0x80 && code < 0xa0)) continue;
    if (code <= 0xff) {
      out += ch;
      continue;
    }
    const mapped = LATIN1_FALLBACK[ch];
    if (mapped !== undefined) {
      out += mapped;
      continue;
    }
    const stripped = ch.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
    out += [...stripped].every((c) => (c.codePointAt(0) as number) <= 0xff) && stripped.length > 0 ? stripped : '?';
  }
  if (maxLength !== undefined && maxLength >= 0 && out.length > maxLength) out = out.slice(0, maxLength);
  return out;
}

/** Rounds a money amount to cents, half away from zero, avoiding binary drift (1.005 → 1.01). */
export function roundCents(value: number): number {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite amount: ${value}`);
  const sign = value < 0 ? -1 : 1;
  const cents = Math.round(Number((Math.abs(value) * 100).toPrecision(15)));
  return (sign * cents) / 100 || 0;
}

/** Text safe inside HTML (element content or a quoted attribute): & < > " ' as character references. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
