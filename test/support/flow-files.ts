import fs from 'node:fs';
import path from 'node:path';

/** Every JSON flow file under a folder (examples/, flows/), in subfolders too. */
export function flowFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return flowFiles(p);
    return e.name.endsWith('.json') ? [p] : [];
  });
}
