import fsp from 'node:fs/promises';
import path from 'node:path';

/**
 * Where the mirror keeps its segment payloads, by a path relative to the store (`mirror-segments/…`):
 * files in the store folder on nedb, rows of a table on PostgreSQL (postgres.ts PgSegments).
 */
export interface SegmentStore {
  write(file: string, text: string): Promise<void>;
  /** The payload, or undefined when it is gone. */
  read(file: string): Promise<string | undefined>;
  /** The names of the payloads directly in `dir` (none when it does not exist). */
  list(dir: string): Promise<string[]>;
  /** Removes a payload; nothing when it is already gone. */
  remove(file: string): Promise<void>;
}

/** Segment payloads as files under the store folder (private: 0700 folders, 0600 files). */
export class DiskSegments implements SegmentStore {
  private readonly dirs = new Set<string>();

  constructor(private readonly root: string) {}

  async write(file: string, text: string): Promise<void> {
    const dir = path.dirname(file);
    if (!this.dirs.has(dir)) await this.mkdir(dir);
    try {
      await fsp.writeFile(path.join(this.root, file), text, { mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await this.mkdir(dir); // the folder was removed meanwhile
      await fsp.writeFile(path.join(this.root, file), text, { mode: 0o600 });
    }
  }

  private async mkdir(dir: string): Promise<void> {
    await fsp.mkdir(path.join(this.root, dir), { recursive: true, mode: 0o700 });
    this.dirs.add(dir);
  }

  async read(file: string): Promise<string | undefined> {
    try {
      return await fsp.readFile(path.join(this.root, file), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async list(dir: string): Promise<string[]> {
    try {
      return await fsp.readdir(path.join(this.root, dir));
    } catch {
      return [];
    }
  }

  async remove(file: string): Promise<void> {
    await fsp.rm(path.join(this.root, file), { force: true });
  }
}
