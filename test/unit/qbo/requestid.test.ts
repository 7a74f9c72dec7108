import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requestIdFor } from '../../../nodes/lib/company/qbo/requestid';

const base = { realmId: '1', entity: 'Invoice', sourceKey: 'order-1', payload: { a: 1, b: [1, 2] } };

describe('deterministic requestid', () => {
  it('is stable for the same source record and content, whatever the key order', () => {
    assert.equal(requestIdFor(base), requestIdFor({ ...base, payload: { b: [1, 2], a: 1 } }));
  });

  it('fits the batch limit of 36 characters', () => {
    assert.ok(requestIdFor(base).length <= 36);
  });

  it('changes with the realm, entity, source key, content, version and operation', () => {
    const id = requestIdFor(base);
    for (const v of [{ realmId: '2' }, { entity: 'Payment' }, { sourceKey: 'order-2' }, { payload: { a: 2 } }, { version: 'v2' }, { operation: 'update' }]) {
      assert.notEqual(requestIdFor({ ...base, ...v }), id, JSON.stringify(v));
    }
  });
});
