import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RuleError, compileRule, testRule } from '../../../nodes/lib/rules';

describe('rules: compile once, evaluate per record', () => {
  it('evaluates a compiled rule against many records', async () => {
    const rule = compileRule('item-key.app', '$normKey(sku)');
    assert.deepEqual(await Promise.all([{ sku: ' A-1 ' }, { sku: 'b 2' }, {}].map((r) => rule.evaluate(r))), ['a-1', 'b 2', '']);
  });

  it('a syntax error names the rule and the position', () => {
    assert.throws(
      () => compileRule('customer-key.app', '$normEmail(billingEmail'),
      (err: unknown) =>
        err instanceof RuleError &&
        err.rule === 'customer-key.app' &&
        err.position === 23 &&
        /Rule "customer-key\.app" has a syntax error at position 23/.test(err.message),
    );
  });

  it('an empty rule is refused with its name', () => {
    assert.throws(() => compileRule('invoice.qbo', '   '), /Rule "invoice\.qbo" is empty/);
  });

  it('a runtime error is a real Error naming the rule, the code and the position', async () => {
    const rule = compileRule('invoice.qbo', '{"Amount": quantity * "x"}');
    await assert.rejects(rule.evaluate({ quantity: 2 }), (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.ok(err instanceof RuleError);
      assert.equal(err.code, 'T2002');
      assert.match(err.message, /^Rule "invoice\.qbo" failed at position \d+: .*\[T2002\]$/);
      return true;
    });
  });

  it('a runaway rule hits the timeout instead of hanging', async () => {
    const rule = compileRule('loop', '($f := function($n){ $f($n + 1) }; $f(0))', { timeout: 100, stack: 100000 });
    await assert.rejects(rule.evaluate({}), (err: unknown) => err instanceof RuleError && /D1011|D1012/.test(String(err.code)));
  });

  it('deep recursion hits the stack limit', async () => {
    const rule = compileRule('deep', '($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000))', { stack: 200, timeout: 5000 });
    await assert.rejects(rule.evaluate({}), (err: unknown) => err instanceof RuleError && err.code === 'D1011');
  });

  it('a huge sequence hits the sequence limit', async () => {
    const rule = compileRule('big', '[1..100000]', { sequence: 1000 });
    await assert.rejects(rule.evaluate({}), (err: unknown) => err instanceof RuleError && err.code === 'D2015');
  });

  it('registers the helper functions $normEmail, $normKey, $qbText and $cents', async () => {
    const rule = compileRule(
      'helpers',
      '{"e": $normEmail(" A@B.C "), "k": $normKey(" X  Y "), "ks": $normKey(" X ", true), "t": $qbText("Šaš ✓", 3), "c": $cents(1.005)}',
    );
    assert.deepEqual(await rule.evaluate({}), { e: 'a@b.c', k: 'x y', ks: 'X', t: 'Sas', c: 1.01 });
  });

  it('concurrent evaluations of one compiled rule never see each other\'s input', async () => {
    const rule = compileRule('root', '{"id": $$.id, "twice": [$$.id, id]}');
    const ids = Array.from({ length: 200 }, (_, i) => `r${i}`);
    const results = (await Promise.all(ids.map((id) => rule.evaluate({ id })))) as Array<{ id: string; twice: string[] }>;
    results.forEach((r, i) => assert.deepEqual(r, { id: ids[i], twice: [ids[i], ids[i]] }));
  });

  it('results are plain JSON: no undefined keys, sequences as arrays', async () => {
    const rule = compileRule('plain', '{"a": missing, "b": [items.x]}');
    const out = await rule.evaluate({ items: [{ x: 1 }, { x: 2 }] });
    assert.deepEqual(out, { b: [1, 2] });
    assert.equal(JSON.stringify(out), '{"b":[1,2]}');
  });

  it('prototype keys in input cannot be reached or polluted by a rule', async () => {
    const rule = compileRule('proto', '$lookup($, "constructor")');
    assert.equal(await rule.evaluate({}), undefined);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('testRule reports a result or an error with its position, never throwing', async () => {
    assert.deepEqual(await testRule('t', '$normKey(sku)', { sku: ' A ' }), { ok: true, result: 'a' });
    const bad = await testRule('t', 'sku +', {});
    assert.equal(bad.ok, false);
    assert.ok(!bad.ok && bad.error.position === 5 && /Rule "t" has a syntax error at position 5/.test(bad.error.message));
  });
});
