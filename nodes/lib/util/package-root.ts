import fs from 'node:fs';
import path from 'node:path';

const PACKAGE_NAME = '@qbsync/node-red-quickbooks';
let cached: string | undefined;

/**
 * The folder holding this package's package.json, found by walking up from this file, so shipped
 * assets (rules/, flows/, examples/) resolve the same from the source tree, dist/ or node_modules.
 */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = __dirname;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        if (JSON.parse(fs.readFileSync(manifest, 'utf8')).name === PACKAGE_NAME) return (cached = dir);
      } catch {
        /* not ours; keep walking */
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the ${PACKAGE_NAME} package root above ${__dirname}`);
    dir = parent;
  }
}
