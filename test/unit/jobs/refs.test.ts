import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jobRefsIn, resolveJobRefs } from '../../../nodes/lib/jobs';

describe('job references', () => {
  const fields = { CustomerRef: { ListID: { jobRef: 'customer:cu-1' } }, AppliedToTxnAdd: [{ TxnID: { jobRef: 'invoice:in-1' }, EditSequence: { jobRef: 'invoice:in-1', use: 'version' } }] };

  it('lists the jobs a payload refers to', () => {
    assert.deepEqual(jobRefsIn(fields).sort(), ['customer:cu-1', 'invoice:in-1']);
  });

  it('fills each reference from its dependency\'s result', () => {
    const results: Record<string, { qbId: string; version?: string }> = { 'customer:cu-1': { qbId: '80000001-1' }, 'invoice:in-1': { qbId: '12-34', version: '7' } };
    assert.deepEqual(resolveJobRefs(fields, (k) => results[k]), { CustomerRef: { ListID: '80000001-1' }, AppliedToTxnAdd: [{ TxnID: '12-34', EditSequence: '7' }] });
  });

  it('a dependency without a result is a clear error', () => {
    assert.throws(() => resolveJobRefs(fields, () => undefined), /job "customer:cu-1" has no qbId yet: it must be complete first/);
  });
});
