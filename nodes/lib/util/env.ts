/**
 * Configuration from the environment: a value may be `${NAME}` (Node-RED's own substitution does this
 * for node properties, but not for credentials), and an empty value falls back to a named variable,
 * so a shipped flow runs against sandbox, production or a simulator without edits.
 */
export function fromEnv(value: unknown, fallbackVar?: string, env: NodeJS.ProcessEnv = process.env): string {
  const text = typeof value === 'string' ? value.trim() : '';
  const ref = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(text);
  if (ref) return env[ref[1]] ?? '';
  if (text) return text;
  return fallbackVar ? (env[fallbackVar] ?? '') : '';
}

/** A positive integer setting, or the default when empty or invalid. */
export function intSetting(value: unknown, fallback: number, min = 0): number {
  const n = typeof value === 'number' ? value : Number.parseInt(String(value ?? ''), 10);
  return Number.isFinite(n) && n >= min ? Math.floor(n) : fallback;
}
