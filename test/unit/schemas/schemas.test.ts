import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SCHEMAS, SchemaError, schemas } from '../../../nodes/lib/schemas';

const order = {
  id: 'so-1001', orderNumber: 'SO-1001', customerId: 'c-7', packedDate: '2026-11-20',
  lines: [{ itemId: 'it-101', sku: 'KUM-60', quantity: 3, unitPrice: 42.5 }],
};

function problems(schema: string, data: unknown): SchemaError {
  try {
    schemas().validate(schema, data);
  } catch (err) {
    if (err instanceof SchemaError) return err;
    throw err;
  }
  assert.fail(`expected ${schema} to reject ${JSON.stringify(data)}`);
}

describe('inbound message schemas', () => {
  it('accepts a valid packed order and returns it unchanged', () => {
    assert.equal(schemas().validate('bluetrace-packed-order', order), order);
  });

  it('one error names every failing field path and the value type found', () => {
    const err = problems('bluetrace-packed-order', { ...order, customerId: undefined, packedDate: '2026-02-30', lines: [{ itemId: 'it-1', quantity: '3', unitPrice: -1 }] });
    assert.ok(err instanceof Error);
    assert.deepEqual(
      err.problems.map((p) => [p.path, p.type]),
      [['/customerId', 'undefined'], ['/packedDate', 'string'], ['/lines/0/quantity', 'string'], ['/lines/0/unitPrice', 'integer']],
    );
    assert.match(err.message, /^Invalid BlueTrace packed order: \/customerId is required \(got undefined\); \/packedDate must match format "date" \(got string\); \/lines\/0\/quantity must be number \(got string\); \/lines\/0\/unitPrice must be >= 0 \(got integer\)$/);
  });

  it('never echoes the offending values, only their types', () => {
    const err = problems('bluetrace-customer', { id: 'c-1', name: 'X', billingEmail: { secret: 'hunter2' } });
    assert.doesNotMatch(err.message, /hunter2/);
    assert.match(err.message, /\/billingEmail must be string,null \(got object\)/);
  });

  it('a non-object payload is rejected at the root', () => {
    const err = problems('blubilling-payment', 'hello');
    assert.deepEqual(err.problems, [{ path: '/', message: 'must be object', type: 'string' }]);
  });

  it('validates each message kind', () => {
    const valid: Record<string, unknown> = {
      'bluetrace-item': { id: 'it-1', name: 'Kumamoto', sku: 'KUM-60' },
      'bluetrace-customer': { id: 7, name: 'Oyster Bay Co', billingEmail: 'ap@oysterbay.example' },
      'bluetrace-packed-order': order,
      'blubilling-charge': { id: 'ch-1', name: 'Hosting', priceCode: 'Hosting - Monthly' },
      'blubilling-customer': { id: 'cu-1', name: 'Acme', createdAt: '2026-11-01T10:00:00-05:00' },
      'blubilling-invoice': { id: 'in-1', invoiceNumber: 'INV-1', customerId: 'cu-1', invoiceDate: '2026-11-01', createdAt: '2026-11-01T10:00:00Z', lines: [{ chargeId: 'ch-1', quantity: 1, unitPrice: 10 }] },
      'blubilling-payment': { id: 'pa-1', customerId: 'cu-1', invoiceId: 'in-1', paymentDate: '2026-11-02', createdAt: '2026-11-02T09:00:00Z', amount: 10 },
      'import-request': { from: '2000-01-01', to: '2026-11-21', entities: ['items', 'customers'] },
      'export-request': { from: '2026-11-01', to: '2026-11-30', entities: ['customers', 'invoices', 'payments'] },
    };
    assert.deepEqual(Object.keys(valid).sort(), Object.keys(SCHEMAS).sort());
    for (const [name, data] of Object.entries(valid)) assert.doesNotThrow(() => schemas().validate(name, data), name);
  });

  it('a date range whose end is before its start is rejected', () => {
    const err = problems('export-request', { from: '2026-11-30', to: '2026-11-01' });
    assert.deepEqual(err.problems.map((p) => p.path), ['/to']);
  });

  it('date-range requests refuse unknown entities and unknown fields', () => {
    const err = problems('import-request', { from: '2026-01-01', to: '2026-01-31', entities: ['vendors'], extra: 1 });
    assert.deepEqual(err.problems.map((p) => p.path).sort(), ['/entities/0', '/extra']);
  });

  it('date-time needs a time zone and a real date', () => {
    assert.ok(problems('blubilling-customer', { id: 1, name: 'A', createdAt: '2026-11-01T10:00:00' }));
    assert.ok(problems('blubilling-customer', { id: 1, name: 'A', createdAt: '2026-13-01T10:00:00Z' }));
  });

  it('an unknown schema name is a plain error', () => {
    assert.throws(() => schemas().validate('nope', {}), /unknown schema "nope"/);
  });
});
