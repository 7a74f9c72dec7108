/** Normalisers for arguments as the soap package hands them over (empty elements may arrive as {} or null). */

/** A string argument: "" for absent, null or empty-element ({}) values. */
export function argString(args: unknown, name: string): string {
  if (args === null || typeof args !== 'object') return '';
  const v = (args as Record<string, unknown>)[name];
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v !== null && typeof v === 'object' && '$value' in v) {
    const inner = (v as { $value: unknown }).$value;
    return typeof inner === 'string' ? inner : inner === undefined || inner === null ? '' : String(inner);
  }
  return '';
}

/** An int argument: 0 when absent or not a number. */
export function argInt(args: unknown, name: string): number {
  const n = Number.parseInt(argString(args, name), 10);
  return Number.isFinite(n) ? n : 0;
}
