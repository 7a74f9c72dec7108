import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Another live process holds the store: opening it too would corrupt nedb's append-only files. */
export class StoreLockedError extends Error {
  override name = 'StoreLockedError';
  constructor(readonly dir: string, readonly pid: number) {
    super(
      `The QuickBooks store ${dir} is in use by another process (pid ${pid}). nedb files must be opened by one ` +
        'process only; stop the other Node-RED or point QB_STORE_DIR at a separate folder.',
    );
  }
}

interface LockInfo {
  pid: number;
  host: string;
  since: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the store's lock file (created exclusively). A lock left by a dead process on this host is
 * taken over; a live one gives a `StoreLockedError`. Returns the function that releases it.
 */
export function acquireLock(dir: string): () => void {
  const file = path.join(dir, 'LOCK');
  const mine: LockInfo = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(mine), { flag: 'wx', mode: 0o600 });
      return () => {
        try {
          const held = JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
          if (held.pid === process.pid) fs.unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let held: LockInfo | undefined;
    try {
      held = JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
    } catch {
      held = undefined; // torn or empty lock file: treat as stale
    }
    if (held && held.host === mine.host && held.pid !== process.pid && isAlive(held.pid)) {
      throw new StoreLockedError(dir, held.pid);
    }
    if (held && held.host !== mine.host) throw new StoreLockedError(dir, held.pid);
    fs.rmSync(file, { force: true }); // stale: its owner is gone
  }
  throw new Error(`could not take the store lock ${file}`);
}
