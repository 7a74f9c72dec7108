import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeEmail, normalizeKey, roundCents, toLatin1 } from '../../../nodes/lib/util/text';

describe('text normalisation', () => {
  it('normalizeEmail trims and lower-cases, and gives "" for non-strings', () => {
    assert.equal(normalizeEmail('  AP@OysterBay.Example '), 'ap@oysterbay.example');
    assert.equal(normalizeEmail(undefined), '');
    assert.equal(normalizeEmail(42), '');
  });

  it('normalizeKey collapses inner spaces and folds case unless asked not to', () => {
    assert.equal(normalizeKey('  KUM   60 '), 'kum 60');
    assert.equal(normalizeKey(' KUM-60 ', true), 'KUM-60');
    assert.equal(normalizeKey(4410), '4410');
    assert.equal(normalizeKey(null), '');
    assert.equal(normalizeKey(Number.NaN), '');
  });

  it('toLatin1 keeps Latin-1, strips accents outside it, maps typography and cuts to length', () => {
    assert.equal(toLatin1('Café Crème'), 'Café Crème');
    assert.equal(toLatin1('Šibenik Łódź'), 'Sibenik Lódz');
    assert.equal(toLatin1('“on ice” — 4…'), '"on ice" - 4...');
    assert.equal(toLatin1('漢字'), '??');
    assert.equal(toLatin1('a\u0000b\u0007c'), 'abc');
    assert.equal(toLatin1('SO-2026-001003', 11), 'SO-2026-001');
    assert.equal(toLatin1(undefined), '');
  });

  it('roundCents rounds half away from zero without binary drift', () => {
    assert.equal(roundCents(1.005), 1.01);
    assert.equal(roundCents(29.985), 29.99);
    assert.equal(roundCents(-2.675), -2.68);
    assert.equal(roundCents(0.1 + 0.2), 0.3);
    assert.equal(roundCents(-0.001), 0);
    assert.throws(() => roundCents(Number.POSITIVE_INFINITY), /not a finite amount/);
  });
});
