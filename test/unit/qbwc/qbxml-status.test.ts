import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertNotError,
  classifyStatus,
  messageStatus,
  parseQbxml,
  QbxmlStatusError,
} from '../../../nodes/lib/company/qbwc/qbxml';
import { B1_CUSTOMER_EMPTY, B1_CUSTOMER_PAGE1, B3_CUSTOMER_ADD_3100, WRAPPED_500_AND_3200 } from './qbxml-wire-fixtures';

test('0 is ok', () => {
  assert.equal(classifyStatus(0, 'Info', 'Status OK').kind, 'ok');
});

test('1 (no match) is a warning, not a failure', () => {
  const s = classifyStatus(1, 'Info');
  assert.equal(s.kind, 'warning');
  assert.equal(s.reason, 'noMatch');
});

test('500 Warn (object not found) is a warning', () => {
  const s = classifyStatus(500, 'Warn');
  assert.equal(s.kind, 'warning');
  assert.equal(s.reason, 'notFound');
});

test('any other Warn severity is a warning', () => {
  assert.equal(classifyStatus(530, 'Warn').kind, 'warning');
});

test('3100, 3070, 3140, 3200 and 3391 are errors with their reason', () => {
  const reasons = [3100, 3070, 3140, 3200, 3391].map((c) => {
    const s = classifyStatus(c, 'Error', 'm');
    assert.equal(s.kind, 'error');
    return s.reason;
  });
  assert.deepEqual(reasons, ['nameInUse', 'stringTooLong', 'invalidReference', 'editSequenceOutOfDate', 'iteratorInvalid']);
});

test('a code of 1000 or more is an error even with severity Info (3210 seen as Info)', () => {
  assert.equal(classifyStatus(3210, 'Info').kind, 'error');
});

test('record-in-use codes are retryable; a name collision is not', () => {
  assert.equal(classifyStatus(3175, 'Error').retryable, true);
  assert.equal(classifyStatus(3100, 'Error').retryable, false);
});

test('messageStatus and assertNotError work on parsed wire examples', () => {
  assert.equal(messageStatus(parseQbxml(B1_CUSTOMER_PAGE1).messages[0]!).kind, 'ok');
  assert.equal(assertNotError(parseQbxml(B1_CUSTOMER_EMPTY).messages[0]!).kind, 'warning');
  assert.equal(messageStatus(parseQbxml(WRAPPED_500_AND_3200).messages[0]!).kind, 'warning');
  const msg = parseQbxml(B3_CUSTOMER_ADD_3100).messages[0]!;
  assert.throws(
    () => assertNotError(msg),
    (e: unknown) =>
      e instanceof QbxmlStatusError &&
      e.code === 3100 &&
      e.requestID === 'x-cust-42' &&
      e.message === 'QuickBooks 3100 (CustomerAddRs x-cust-42): The name "Baker & Sons" of the list element is already in use.',
  );
});
