import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..');

/** Debian's Chromium (or CHROMIUM_PATH), which the browser tests drive through playwright-core. */
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/**
 * Why the browser tests cannot run here (no Chromium, no playwright-core, the package not built up to
 * `builtFile` under dist/), or undefined when they can.
 */
export function browserTestsUnavailable(builtFile: string): string | undefined {
  if (!fs.existsSync(CHROMIUM)) return `no Chromium binary at ${CHROMIUM} (install Debian's chromium or set CHROMIUM_PATH)`;
  try {
    require.resolve('playwright-core');
  } catch {
    return 'playwright-core is not installed (npm install -D playwright-core)';
  }
  if (!fs.existsSync(path.join(root, 'dist', builtFile))) return 'the package is not built into dist/ (run node scripts/build.js)';
  return undefined;
}
