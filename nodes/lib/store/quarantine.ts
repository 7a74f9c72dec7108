/**
 * Before nedb loads a datafile, every line is checked the way nedb reads it: a line nedb would drop
 * (not JSON, not an object, no `_id` and not an index record) is moved to `<file>.quarantine` beside
 * it, with the file name, its line number, when it was found and the raw text, so nothing is lost
 * silently and nedb never reaches its corrupt-data threshold. The quarantine file is written and
 * synced before the datafile is rewritten (through a temporary file and a rename), so a crash in
 * between keeps the line in both places, never in neither.
 *
 * nedb splits lines not only at "\n" but also at U+0085, U+2028 and U+2029, which JSON.stringify
 * leaves raw inside strings: such a document would be cut in two and lost at the next start. Those
 * characters are rewritten as their JSON escapes (the same value), so the document loads whole.
 */
import fs from 'node:fs';
import path from 'node:path';

/** What one datafile's scan found. */
export interface QuarantineFinding {
  /** The datafile's name inside the store folder, e.g. `jobs.db`. */
  file: string;
  /** The quarantine file's name beside it, e.g. `jobs.db.quarantine`. */
  quarantineFile: string;
  /** 1-based line numbers of the lines moved aside (at most `MAX_LISTED`). */
  lines: number[];
  /** How many lines were moved aside. */
  count: number;
}

/** One line kept aside, as written (one JSON document per line) to the quarantine file. */
export interface QuarantinedLine {
  file: string;
  line: number;
  foundAt: string;
  raw: string;
}

/** Line numbers listed in a finding (the count is always exact). */
export const MAX_LISTED = 50;

/** The characters nedb's line reader splits at besides "\n" and "\r", which can sit raw in a JSON string. */
const SPLITTERS = /[\x85\u2028\u2029]/g;
const ESCAPES: Record<string, string> = { '\x85': '\\u0085', '\u2028': '\\u2028', '\u2029': '\\u2029' };

/** True when nedb would load the line as a document or an index record. */
function loadable(line: string): boolean {
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    return false;
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return false;
  const d = doc as Record<string, unknown>;
  if (d._id) return true;
  const created = d.$$indexCreated as { fieldName?: unknown } | undefined;
  if (created && typeof created === 'object' && created.fieldName != null) return true;
  return typeof d.$$indexRemoved === 'string';
}

function writeSynced(file: string, text: string, flag: 'a' | 'w'): void {
  const fd = fs.openSync(file, flag, 0o600);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Scans `<dir>/<name>`, moves the lines nedb would drop to `<name>.quarantine` and rewrites the file
 * without them. Returns what it found, or null when every line was loadable (the file is then left
 * as it is, unless a line needed its separators escaped).
 */
export function quarantineCorruptLines(dir: string, name: string, now: () => Date = () => new Date()): QuarantineFinding | null {
  const file = path.join(dir, name);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null; // a new store (or nedb's own crash recovery)
    throw err;
  }
  if (text === '') return null;
  const lines = text.split('\n');
  const kept: string[] = [];
  const moved: QuarantinedLine[] = [];
  let changed = false;
  const foundAt = now().toISOString();
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') return;
    const escaped = line.replace(SPLITTERS, (c) => ESCAPES[c]);
    if (loadable(escaped)) {
      if (escaped !== raw) changed = true;
      kept.push(escaped);
    } else {
      moved.push({ file: name, line: i + 1, foundAt, raw: line });
    }
  });
  if (moved.length === 0 && !changed) return null;
  const quarantineFile = `${name}.quarantine`;
  if (moved.length) writeSynced(path.join(dir, quarantineFile), moved.map((m) => `${JSON.stringify(m)}\n`).join(''), 'a');
  const temp = `${file}.scan-${process.pid}`;
  writeSynced(temp, kept.length ? `${kept.join('\n')}\n` : '', 'w');
  fs.renameSync(temp, file);
  if (moved.length === 0) return null;
  return { file: name, quarantineFile, lines: moved.slice(0, MAX_LISTED).map((m) => m.line), count: moved.length };
}

/**
 * What the quarantine file beside `<dir>/<name>` holds (lines kept aside at this or an earlier start),
 * or null when there is none. Reads it line by line; a damaged entry still counts.
 */
export function readQuarantine(dir: string, name: string): QuarantineFinding | null {
  const quarantineFile = `${name}.quarantine`;
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, quarantineFile), 'utf8');
  } catch {
    return null;
  }
  const entries = text.split('\n').filter((l) => l !== '');
  if (!entries.length) return null;
  const lines: number[] = [];
  for (const entry of entries.slice(0, MAX_LISTED)) {
    try {
      const line = (JSON.parse(entry) as Partial<QuarantinedLine>).line;
      if (typeof line === 'number') lines.push(line);
    } catch {
      // counted below all the same
    }
  }
  return { file: name, quarantineFile, lines, count: entries.length };
}

/** One log line for what a start-up found, naming files (relative to the store) and line numbers. */
export function describeFindings(findings: QuarantineFinding[]): string {
  const total = findings.reduce((n, f) => n + f.count, 0);
  const parts = findings.map((f) => {
    const more = f.count > f.lines.length ? ` and ${f.count - f.lines.length} more` : '';
    return `${f.file} line${f.count === 1 ? '' : 's'} ${f.lines.join(', ')}${more} (moved to ${f.quarantineFile})`;
  });
  return `QuickBooks store: ${total} corrupt line${total === 1 ? '' : 's'} kept aside: ${parts.join('; ')}`;
}
