/** The history answers (flows and console) never say where a file is, even when a stored failure does. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { historyRow } from '../../../nodes/lib/handlers/queue-view';
import type { Job } from '../../../nodes/lib/jobs';

describe('history rows', () => {
  it('keep a stored failure\'s file name and drop its folders', () => {
    const job = {
      _id: 'j', company: 'c', key: 'invoice:in-1', kind: 'invoice.upsert', rank: 2, sourceId: 'in-1', payload: {}, dependsOn: [],
      summary: 'Invoice BB-1', state: 'error', attempts: 1, version: 1, uncertain: false, createdAt: '2026-12-01T00:00:00Z', seq: 1,
      updatedAt: '2026-12-01T00:00:00Z', history: [],
      error: { message: "EACCES: permission denied, open '/home/ops/.node-red/quickbooks/jobs.db'" },
    } as unknown as Job;
    const row = historyRow(job);
    assert.match(String(row.error), /jobs\.db/);
    assert.doesNotMatch(String(row.error), /\/home|\.node-red|quickbooks\//);
  });
});
