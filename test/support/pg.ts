/**
 * PostgreSQL for tests: `QB_TEST_PG_URL` (default postgres://postgres@127.0.0.1:5432/test). Each test
 * file works in schemas of its own (`qbt_<pid>_<random>_…`), dropped when the file ends.
 *
 * Availability is checked once, synchronously, when a file loads. When PostgreSQL is unreachable:
 * under CI (`CI=true`) the file fails at once with the reason (tests needing PostgreSQL are never
 * skipped silently in CI); elsewhere its PostgreSQL tests are skipped and the reason is printed.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { after } from 'node:test';

import { PG_URL, pgQuery } from './pg-query';

export { PG_URL, pgQuery };

let checked: string | false | undefined;

/** False when PostgreSQL answers, else why not (the URL's password never shown). */
function unreachable(): string | false {
  if (checked !== undefined) return checked;
  const probe = `
    let pg; try { pg = require('pg'); } catch { console.log('the optional package "pg" is not installed'); process.exit(0); }
    const c = new pg.Client({ connectionString: process.env.URL, connectionTimeoutMillis: 5000 });
    c.connect().then(() => c.query('select 1')).then(() => { console.log('ok'); return c.end(); }, (e) => { console.log(e.message || e.code || 'no answer'); process.exit(0); });`;
  let out: string;
  try {
    out = execFileSync(process.execPath, ['-e', probe], { cwd: __dirname, env: { ...process.env, URL: PG_URL }, encoding: 'utf8', timeout: 15_000 }).trim();
  } catch (err) {
    out = `the probe failed: ${(err as Error).message.split('\n')[0]}`;
  }
  checked = out === 'ok' ? false : `PostgreSQL at ${PG_URL.replace(/:[^:@/]*@/, ':***@')} is not reachable: ${out}`;
  return checked;
}

/**
 * Whether this file's PostgreSQL tests run: false to run them, else the reason to skip them (printed).
 * Under CI an unreachable server throws instead, failing the file.
 */
export function pgSkip(): false | string {
  const why = unreachable();
  if (!why) return false;
  if (process.env.CI === 'true' || process.env.CI === '1') {
    throw new Error(`${why}. CI runs the PostgreSQL tests: start PostgreSQL (.ci/run does) or set QB_TEST_PG_URL.`);
  }
  console.log(`# skipping PostgreSQL tests: ${why}`);
  return why;
}

const prefix = `qbt_${process.pid}_${crypto.randomBytes(3).toString('hex')}`;
let used = false;
after(dropTestSchemas);

/** A schema name of this file's own (`qbt_<pid>_<random>_<label>`); every one is dropped after the file. */
export function testSchema(label: string): string {
  used = true;
  return `${prefix}_${label.replace(/[^A-Za-z0-9_]/g, '_')}`.slice(0, 63);
}

async function dropTestSchemas(): Promise<void> {
  if (!used || unreachable()) return;
  const rows = await pgQuery(`SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)`, [`${prefix}_`]);
  for (const r of rows) await pgQuery(`DROP SCHEMA "${r.nspname}" CASCADE`);
}
