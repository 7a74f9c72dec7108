/**
 * matcher.test.ts again, on the PostgreSQL store (QB_TEST_PG_URL; test/support/pg.ts: skipped with the
 * reason printed when PostgreSQL is unreachable, a failure under CI).
 */
import { it } from 'node:test';
import { pgSkip } from '../../support/pg';

process.env.QB_TEST_STORE = 'postgres';
const skip = pgSkip();
if (skip) it('matcher on PostgreSQL', { skip }, () => undefined);
else require('./matcher.test');
