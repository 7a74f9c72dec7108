/**
 * The PostgreSQL server of the tests and benchmarks (`QB_TEST_PG_URL`, default
 * postgres://postgres@127.0.0.1:5432/test) and one query on a client of its own. Free of node:test, so
 * the benchmarks use it too (test/support/pg.ts adds the tests' schemas and skipping).
 */
export const PG_URL = process.env.QB_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';

/** Runs SQL on the test database through a client of its own. */
export async function pgQuery(sql: string, params: unknown[] = [], url: string = PG_URL): Promise<any[]> {
  const pg = require('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}
