import path from 'node:path';
import { Store, type StoreOptions } from '../../nodes/lib/store';
import { PG_URL, testSchema } from './pg';
import { tempDir } from './tmp';

/**
 * Several instances on one PostgreSQL schema, as several Node-RED processes sharing a store: each a
 * Store of its own (its own pool, instance id and heartbeat) over the same tables, with one token key.
 */
export class Instances {
  private readonly tmp = tempDir('qbsync-instances-');
  private readonly open: Store[] = [];
  private n = 0;
  readonly schema: string;

  constructor(label: string, private readonly options: StoreOptions = {}) {
    this.schema = testSchema(label);
  }

  /** One more instance on the schema. */
  async add(options: StoreOptions = {}): Promise<Store> {
    const store = await Store.open(path.join(this.tmp.dir, `instance-${++this.n}`), {
      url: PG_URL, schema: this.schema, secret: 'one key for every instance of the test', ...this.options, ...options,
    });
    this.open.push(store);
    return store;
  }

  async close(): Promise<void> {
    for (const s of this.open) await s.close();
    this.tmp.cleanup();
  }
}
