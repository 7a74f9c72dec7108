import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasJobTag, jobTag, tagIn, withJobTag } from '../../../nodes/lib/jobs';

describe('job tags', () => {
  it('puts the job\'s tag last, within the field\'s length, replacing a copied tag of another job', () => {
    assert.equal(withJobTag(undefined, 'payment:p1', 100), '[qbsync payment:p1]');
    assert.equal(withJobTag('Paid by cheque', 'payment:p1', 100), 'Paid by cheque [qbsync payment:p1]');
    assert.equal(withJobTag('Paid [qbsync payment:p0]', 'payment:p1', 100), 'Paid [qbsync payment:p1]');
    const cut = withJobTag('x'.repeat(50), 'invoice:i1', 30);
    assert.equal(cut.length, 30);
    assert.ok(cut.endsWith(jobTag('invoice:i1')));
  });

  it('tells the job\'s own record from a look-alike: the exact key, never a prefix', () => {
    assert.equal(hasJobTag('Paid [qbsync payment:p1]', 'payment:p1'), true);
    assert.equal(hasJobTag('Paid [qbsync payment:p12]', 'payment:p1'), false);
    assert.equal(hasJobTag(undefined, 'payment:p1'), false);
    assert.equal(tagIn('Paid [qbsync payment:p1]'), 'payment:p1');
    assert.equal(tagIn(withJobTag('memo', 'payment:a]b', 100)), 'payment:a]b');
    assert.equal(tagIn('no tag'), undefined);
  });
});
