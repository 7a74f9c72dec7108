import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import jsonata from 'jsonata';
import { BAIL, RuleError, compileFastPath, compileRule, listDefaultRules } from '../../../nodes/lib/rules';

const fastPathOf = (source: string) => compileFastPath(jsonata(source).ast());

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STRINGS = [
  '', ' ', 'x', 'X', '  KUM-60 ', 'kum-60', 'Ab  Cd', '\t a \n b\r ', 'ÄÖÜ straße', 'İstanbul', 'ǅungla', '😀 Emoji 😀',
  'Šaš “q” — d…', ' AP@OysterBay.example ', '0', 'false', 'null', '1.5', 'a\u00a0b', '\u2003x\u2003', 'Hosting - Monthly',
];
const NUMBERS = [0, -0, 1, -1, 2, 3, -3, 42, 4410, 1.5, 0.1 + 0.2, 1.005, -2.675, 1e21, 123456789.123456789, 2 ** 53 + 2];
/** Values no JSON parser produces: the fast path must bail or agree on them too. */
const EXOTIC: unknown[] = [NaN, Infinity, -Infinity, new Date(0), () => 1, 10n, Symbol('s'), Object.assign(Object.create(null), { b: 'np' })];
const FIELDS = ['a', 'b', 'c', 'n', 'sku', 'Sku', 'Name', 'ManufacturerPartNumber', 'billingEmail', 'Email', 'PrimaryEmailAddr', 'priceCode', 'a b', 'Address', 'tupleStream', '@'];

function value(rnd: () => number, depth: number): unknown {
  const pick = <T>(list: readonly T[]) => list[Math.floor(rnd() * list.length)];
  const r = rnd();
  if (r < 0.4) return pick(STRINGS);
  if (r < 0.6) return pick(NUMBERS);
  if (r < 0.66) return pick([true, false]);
  if (r < 0.71) return null;
  if (r < 0.74) return undefined;
  if (r < 0.85) return depth > 0 && rnd() < 0.8 ? record(rnd, depth - 1) : {};
  if (r < 0.94) return pick([[], ['x'], [' A '], [1, 2], [{ Address: 'x' }], [[]]]);
  return pick(EXOTIC);
}

function record(rnd: () => number, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of FIELDS) if (rnd() < 0.45) out[field] = value(rnd, depth);
  return out;
}

/**
 * Many inputs: mostly records with random fields, a quarter any other value (rules like `$trim()` work
 * on the input itself), and the default rules' samples.
 */
function inputs(seed: number, count: number): unknown[] {
  const rnd = random(seed);
  const samples = listDefaultRules().flatMap((r) => r.samples.map((s) => s.input));
  return [...samples, ...Array.from({ length: count }, () => (rnd() < 0.25 ? value(rnd, 2) : record(rnd, 2)))];
}

/** The key order of a result, recursively (deepStrictEqual ignores it, JSON.stringify does not). */
function keyOrder(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(keyOrder);
  if (v && typeof v === 'object') return Object.entries(v).map(([k, x]) => [k, keyOrder(x)]);
  return null;
}

/** Hand-written expressions inside the subset, on the generated fields. */
const SUBSET = [
  'sku',
  'PrimaryEmailAddr.Address',
  '`a b`',
  'a.b.c',
  '"a".b',
  '"text"',
  '42',
  '-1.5',
  'true',
  'null',
  '(a)',
  '/* note */ ($trim(a))',
  'a ? b : c',
  'a ? "yes"',
  'a and b',
  'a or b',
  'a = b',
  'a != b',
  'a = "x"',
  'n = 1',
  'a = null',
  'a != true',
  'a & b',
  'a & "-" & n',
  'n & ""',
  '{"k": a, "n": $normKey(b), "z": c ? "yes" : "no"}',
  '{"o": {"p": a.b, "q": n}, "e": {}}',
  '{"b": b, "1": a, "0": c}',
  '$normEmail(a)',
  '$normKey(a, b)',
  '$normKey(a, true)',
  '$normKey()',
  '$qbText(a, 3)',
  '$qbText(a, n)',
  '$cents(n)',
  '$cents(a)',
  '$exists(a)',
  '$exists(a.b)',
  '$string(a)',
  '$string(n, true)',
  '$string()',
  '$trim(a)',
  '$trim()',
  '$lowercase(a)',
  '$uppercase(a)',
  '$substring(a, 1)',
  '$substring(a, -2, 1)',
  '$substring(a, n, n)',
  '$length(a)',
  '$not(a)',
  '$boolean(a)',
  '$boolean()',
  '$uppercase(a) & $lowercase(b)',
  '$exists(PrimaryEmailAddr) and $normEmail(PrimaryEmailAddr.Address) != "" ? $normEmail(PrimaryEmailAddr.Address) : $normKey(Name)',
];

describe('rules: fast path', () => {
  describe('shipped default rules', () => {
    const expected: Record<string, boolean> = {
      'charge-item-name': true,
      'customer-key.app': true,
      'customer-key.qbd': true,
      'customer-key.qbo': true,
      'item-key.app': true,
      'item-key.qbd': true,
      'item-key.qbo': true,
      'invoice.qbd': false,
      'invoice.qbo': false,
    };
    for (const rule of listDefaultRules()) {
      it(`${rule.name} ${expected[rule.name] ? 'gets' : 'does not get'} a fast path`, () => {
        assert.equal(rule.name in expected, true, `a new default rule: say whether ${rule.name} gets a fast path`);
        assert.equal(fastPathOf(rule.source) !== null, expected[rule.name]);
        assert.equal(compileRule(rule.name, rule.source).hasFastPath, expected[rule.name]);
      });
    }
  });

  describe('gives exactly what JSONata gives, or BAIL', () => {
    const defaults = listDefaultRules().filter((r) => fastPathOf(r.source) !== null);
    const cases = [...defaults.map((r) => ({ label: r.name, source: r.source })), ...SUBSET.map((s) => ({ label: s, source: s }))];
    cases.forEach(({ label, source }, index) => {
      it(label, async () => {
        const fast = compileRule(label, source);
        const slow = compileRule(label, source, { fastPath: false });
        assert.equal(fast.hasFastPath, true, 'the expression is in the subset');
        assert.equal(slow.hasFastPath, false);
        let handled = 0;
        for (const input of inputs(1000 + index, 400)) {
          const quick = fast.evaluateSync(input);
          if (quick === BAIL) continue;
          handled++;
          const reference = await slow.evaluate(input);
          assert.deepStrictEqual(quick, reference, `input ${String(JSON.stringify(input, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)))}`);
          assert.deepStrictEqual(keyOrder(quick), keyOrder(reference));
        }
        assert.ok(handled >= 20, `the fast path handled only ${handled} inputs`);
      });
    });
  });

  describe('expressions outside the subset compile to null', () => {
    const outside = [
      'function($x) { $x }',
      '$map(a, function($v) { $v })',
      'a[0]',
      'a[b = 1]',
      'a.b[]',
      '[a]',
      '[lines.{"x": y}]',
      '*',
      'a.*',
      '**.a',
      '$',
      '$$',
      '$$.a',
      '$x',
      '($x := 1; $x)',
      '(a; b)',
      '()',
      '/ab/',
      '$match(a, /x/)',
      '$ ~> |a|{"b": 1}|',
      'a + 1',
      '-a',
      'a < b',
      'a in b',
      'a.$normKey(b)',
      'a{b: c}',
      'a^(b)',
      'a#$i.b',
      'a@$x.b',
      '$unknown(a)',
      '$normKey(a, true, 1)',
      '$substring(a)',
      '$exists()',
      '$normKey(?)',
      '{"a": 1, "a": 2}',
      '{"_jsonata_lambda": 1}',
      '{a: 1}',
    ];
    for (const source of outside) {
      it(source, () => assert.equal(fastPathOf(source), null));
    }
  });

  describe('bails instead of mapping sequences', () => {
    const rule = compileRule('item-key.app', '$normKey(sku)');

    it('bails on an array field', () => assert.equal(rule.evaluateSync({ sku: ['A'] }), BAIL));

    it('bails on an array input', () => assert.equal(rule.evaluateSync([{ sku: 'A' }]), BAIL));

    it('bails on an array in the middle of a path', () => {
      assert.equal(compileRule('email', 'PrimaryEmailAddr.Address').evaluateSync({ PrimaryEmailAddr: [{ Address: 'a' }] }), BAIL);
    });

    it('bails on an empty array', () => assert.equal(rule.evaluateSync({ sku: [] }), BAIL));

    it('leaves a bailed input to JSONata in evaluate()', async () => {
      assert.equal(await compileRule('skus', '$string(sku)').evaluate({ sku: ['A', 'B'] }), '["A","B"]');
    });
  });

  describe('bails on what it does not reproduce', () => {
    it('bails on values no JSON document holds', () => {
      const rule = compileRule('a', '$normKey(a)');
      for (const a of [NaN, Infinity, new Date(0), () => 1, 10n, Symbol('s'), { then: () => undefined }]) {
        assert.equal(rule.evaluateSync({ a }), BAIL);
      }
    });

    it('bails on an object where a string is expected', () => {
      assert.equal(compileRule('concat', 'a & "x"').evaluateSync({ a: { b: 1 } }), BAIL);
    });

    it('bails on an object constructor whose input has a truthy tupleStream (JSONata\'s internal flag)', () => {
      assert.equal(compileRule('obj', '{"k": a}').evaluateSync({ tupleStream: true, a: 1 }), BAIL);
    });

    it('bails on comparing two objects', () => {
      assert.equal(compileRule('eq', 'a = b').evaluateSync({ a: {}, b: {} }), BAIL);
    });

    it('bails on an argument type the signature refuses, and JSONata reports the error', async () => {
      const rule = compileRule('lower', '$lowercase(a)');
      assert.equal(rule.evaluateSync({ a: 5 }), BAIL);
      await assert.rejects(rule.evaluate({ a: 5 }), (err: unknown) => err instanceof RuleError && err.code === 'T0410');
    });

    it('bails when a helper throws, and JSONata reports the error', async () => {
      const rule = compileRule('text', '$qbText(a)');
      const a = Object.create(null) as object;
      assert.equal(rule.evaluateSync({ a }), BAIL);
      await assert.rejects(rule.evaluate({ a }), RuleError);
    });
  });

  describe('Rule integration', () => {
    it('evaluateSync gives the same result as evaluate', async () => {
      const rule = compileRule('item-key.app', '$normKey(sku)');
      assert.equal(rule.evaluateSync({ sku: '  KUM-60 ' }), 'kum-60');
      assert.equal(await rule.evaluate({ sku: '  KUM-60 ' }), 'kum-60');
    });

    it('{ fastPath: false } forces JSONata: no fast path, evaluateSync always BAIL', async () => {
      const rule = compileRule('item-key.app', '$normKey(sku)', { fastPath: false });
      assert.equal(rule.hasFastPath, false);
      assert.equal(rule.evaluateSync({ sku: 'A' }), BAIL);
      assert.equal(await rule.evaluate({ sku: 'A' }), 'a');
      assert.equal('fastPath' in rule.limits, false);
    });

    it('a rule outside the subset has no fast path and evaluateSync gives BAIL', () => {
      const rule = compileRule('lines', '[lines.sku]');
      assert.equal(rule.hasFastPath, false);
      assert.equal(rule.evaluateSync({ lines: [{ sku: 'a' }] }), BAIL);
    });

    it('a stack limit JSONata would hit turns the fast path off, so the error still comes', async () => {
      const rule = compileRule('item-key.app', '$normKey(sku)', { stack: 2 });
      assert.equal(rule.hasFastPath, false);
      await assert.rejects(rule.evaluate({ sku: 'A' }), (err: unknown) => err instanceof RuleError && err.code === 'D1011');
    });

    it('the evaluation depth is counted as JSONata counts it', async () => {
      const rule = compileRule('item-key.app', '$normKey(sku)', { stack: 3 });
      assert.equal(rule.hasFastPath, true);
      assert.equal(await compileRule('item-key.app', '$normKey(sku)', { stack: 3, fastPath: false }).evaluate({ sku: 'A' }), 'a');
    });

    it('a sequence limit below one turns the fast path off, so the error still comes', async () => {
      const rule = compileRule('sku', 'sku', { sequence: 0.5 });
      assert.equal(rule.hasFastPath, false);
      await assert.rejects(rule.evaluate({ sku: 'A' }), (err: unknown) => err instanceof RuleError && err.code === 'D2015');
    });
  });
});
