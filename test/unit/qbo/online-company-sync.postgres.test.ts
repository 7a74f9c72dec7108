/**
 * online-company-sync.test.ts again, on the PostgreSQL store (QB_TEST_PG_URL; test/support/pg.ts: skipped with the
 * reason printed when PostgreSQL is unreachable, a failure under CI). Its tests are reported under
 * online-company-sync.test.ts (where they are written); the one here checks the run was on PostgreSQL.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { pgSkip } from '../../support/pg';
import { testBackend } from '../../support/store';

process.env.QB_TEST_STORE = 'postgres';
const skip = pgSkip();
if (!skip) require('./online-company-sync.test');
it('online-company-sync on PostgreSQL', { skip }, () => assert.equal(testBackend(), 'postgres', 'openTestStore checks each store it opens is on this backend'));
