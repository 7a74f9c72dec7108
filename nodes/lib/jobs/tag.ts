/**
 * The tag every write carries so the look-up after an unknown outcome finds the job's own record and
 * never a look-alike: `[qbsync <job key>]`, unique per job (the outbox keeps one job per key), put in a
 * text field QuickBooks keeps and returns (QBO PrivateNote / Customer Notes; Desktop Memo / Notes).
 * QuickBooks shows it too, so a person can see which source record a transaction came from.
 */

/** The tag of one job. */
export function jobTag(key: string): string {
  return `[qbsync ${key}]`;
}

/** Whether a QuickBooks text field carries this job's tag. */
export function hasJobTag(text: unknown, key: string): boolean {
  return typeof text === 'string' && text.includes(jobTag(key));
}

/** The job tag a text ends with (the key; withJobTag puts it last, so a key may hold "]"), or undefined. */
export function tagIn(text: unknown): string | undefined {
  if (typeof text !== 'string') return undefined;
  const trimmed = text.trimEnd();
  const start = trimmed.lastIndexOf('[qbsync ');
  if (start < 0 || !trimmed.endsWith(']')) return undefined;
  const key = trimmed.slice(start + '[qbsync '.length, -1);
  return key || undefined;
}

/**
 * The text with this job's tag at its end, within `max` characters (the text is cut before the tag,
 * never the tag). A tag of another job (a copied memo) is replaced.
 */
export function withJobTag(text: unknown, key: string, max: number): string {
  const tag = jobTag(key);
  const base = (typeof text === 'string' ? text : '').replace(/\s*\[qbsync [^\]]+\]/g, '').trim();
  if (!base) return tag;
  return `${base.slice(0, Math.max(0, max - tag.length - 1)).trimEnd()} ${tag}`;
}
