/**
 * Issue 10, item 4: hostile rules cannot hog the runtime. Each case here hung, crashed or grew the
 * heap by hundreds of MB before the guards (regex.ts, guards.ts, sandbox.ts). Time and memory are
 * checked only as loose sanity bounds (many times what the guarded path needs).
 */
import assert from 'node:assert/strict';
import jsonata from 'jsonata';
import { describe, it } from 'node:test';
import { RuleError, compileRule, testRule, testRuleIsolated, SandboxBusyError } from '../../../nodes/lib/rules';
import { GUARDED_SIGNATURES } from '../../../nodes/lib/rules/guards';
import { regexProblem } from '../../../nodes/lib/rules/regex';
import { withLoopWatch } from '../../support/loop-watch';

const CATASTROPHIC = '$contains("aaaaaaaaaaaaaaaaaaaaaaaaaaaa!", /^(a+)+$/)';
const PAD_50M = '$pad("", 5e7, "x")';
const PAD_200M = '$length($pad("", 2e8, "x"))';
const DOUBLING = '($f := function($s, $n){ $n = 0 ? $s : $f($s & $s, $n - 1) }; $length($f("x", 40)))';

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number; heapMb: number }> {
  const heap = process.memoryUsage().heapUsed;
  const start = Date.now();
  const value = await work();
  return { value, ms: Date.now() - start, heapMb: (process.memoryUsage().heapUsed - heap) / 1e6 };
}

async function failsWith(source: string, code: string, input: unknown = {}): Promise<RuleError> {
  const rule = compileRule('hostile', source);
  let caught: unknown;
  await rule.evaluate(input).catch((err) => (caught = err));
  assert.ok(caught instanceof RuleError, `expected a RuleError from ${source}`);
  assert.equal(caught.code, code, caught.message);
  assert.match(caught.message, /^Rule "hostile" /);
  return caught;
}

describe('rules: unsafe regular expressions are refused when the rule compiles', () => {
  it('the catastrophic /^(a+)+$/ is a rule error naming the rule and the position, at once', async () => {
    const { value: err, ms } = await timed(async () => {
      try {
        compileRule('item-key.app', CATASTROPHIC);
      } catch (e) {
        return e;
      }
      return undefined;
    });
    assert.ok(err instanceof RuleError);
    assert.equal(err.rule, 'item-key.app');
    assert.equal(err.code, 'QB_UNSAFE_REGEX');
    assert.equal(typeof err.position, 'number');
    assert.match(err.message, /^Rule "item-key\.app" is refused at position \d+: nested quantifiers/);
    assert.ok(ms < 1000, `refused in ${ms} ms`);
  });

  it('testRule answers the refusal as JSON, never throwing', async () => {
    const out = await testRule('t', CATASTROPHIC, {});
    assert.equal(out.ok, false);
    assert.ok(!out.ok && out.error.code === 'QB_UNSAFE_REGEX' && typeof out.error.position === 'number');
    assert.doesNotThrow(() => JSON.stringify(out));
  });

  it('refuses nested quantifiers, backreferences, look-arounds and over-long patterns; accepts ordinary ones', () => {
    for (const bad of ['(a+)+', '(a*)*b', '((ab)+c)*', '(x+x+)+y', '(?:\\d+){2,}', '(a)\\1', '(?<q>a)\\k<q>', 'a(?=b)', '(?<!a)b', 'a'.repeat(501)]) {
      assert.ok(regexProblem(bad), `refused: ${bad.slice(0, 20)}`);
    }
    for (const good of ['^[A-Z]{3}-\\d+$', '(\\w+)@(\\w+)\\.com', '(ab){2}', '(a+b)?c', '[(+)]+', '\\(a+\\)+', '^\\s*(\\S+)\\s*$', '(?<sku>[A-Z]+)-\\d']) {
      assert.equal(regexProblem(good), null, `accepted: ${good}`);
    }
  });

  it('star-height-1 patterns that backtrack exponentially or polynomially run in linear time', async () => {
    const long = 'a'.repeat(20_000) + '!';
    const { value, ms } = await timed(() =>
      compileRule('overlap', '[$contains(s, /^(a|a)*$/), $contains(t, /a*a*a*a*a*b/), $contains(t, /^(a|aa)*c$/)]').evaluate({ s: 'a'.repeat(40) + '!', t: long }),
    );
    assert.deepEqual(value, [false, false, false]);
    assert.ok(ms < 5000, `took ${ms} ms`);
  });

  it('a regex call over more text than its work bound is a rule error, not a stall', async () => {
    const err = await failsWith('$contains(s, /(\\w+)\\d/)', 'QB_REGEX_WORK', { s: 'a'.repeat(3_000_000) });
    assert.match(err.message, /regular expression was applied to 3,000,000 characters/);
  });

  it('one $match/$replace over very many matches stops at the rule\'s time limit instead of running on', async () => {
    const { value: err, ms } = await timed(() => failsWith('$count($match($pad("", 1000000, "a"), /a/))', 'QB_REGEX_WORK', {}));
    assert.match(err.message, /kept matching for more than 1000 ms/);
    assert.ok(ms < 10_000, `took ${ms} ms`);
  });

  it('regex functions keep JSONata\'s results on the linear engine (groups, flags, positions, replace, split)', async () => {
    const rule = compileRule(
      'regex',
      '{"m": $match("ab12cd345", /(\\d)(\\d+)?/), "c": $contains("Hello", /hello/i), "r": $replace("a-b-c", /-/, "+"), ' +
        '"r1": $replace("John Smith", /(\\w+)\\s(\\w+)/, "$2, $1"), "s": $split("a1b22c", /\\d+/), "u": $match("x😀yz", /y/).index, ' +
        '"ml": $match("a\\nb", /^b$/m).match}',
    );
    assert.deepEqual(await rule.evaluate({}), {
      m: [
        { match: '12', index: 2, groups: ['1', '2'] },
        { match: '345', index: 6, groups: ['3', '45'] },
      ],
      c: true,
      r: 'a+b+c',
      r1: 'Smith, John',
      s: ['a', 'b', 'c'],
      u: 3,
      ml: 'b',
    });
  });
});

describe('rules: built-ins cannot build unbounded text', () => {
  it('the replaced built-ins keep JSONata\'s own signatures', async () => {
    for (const [name, signature] of Object.entries(GUARDED_SIGNATURES)) {
      const own = (await jsonata(`$${name}`).evaluate({})) as { signature: { definition: string } };
      assert.equal(own.signature.definition, signature, name);
    }
  });

  it('$pad("", 5e7, "x") fails with the rule named, quickly and without growing the heap', async () => {
    const { value: err, ms, heapMb } = await timed(() => failsWith(PAD_50M, 'QB_TEXT_LIMIT'));
    assert.match(err.message, /\$pad would be 50,000,000 characters long, more than the rule limit of 1,000,000/);
    assert.ok(ms < 1000, `took ${ms} ms`);
    assert.ok(heapMb < 50, `heap grew ${heapMb.toFixed(1)} MB`);
  });

  it('$length($pad("", 2e8, "x")) is a rule error instead of a V8 fatal error', async () => {
    await failsWith(PAD_200M, 'QB_TEXT_LIMIT');
  });

  it('doubling a string by recursive concatenation stops at the text limit', async () => {
    const err = await failsWith(DOUBLING, 'QB_TEXT_LIMIT');
    assert.match(err.message, /a value would be 1,048,576 characters long/);
  });

  it('$join with a large separator and $string of a repeated large string are refused before building', async () => {
    await failsWith('$join([1..1000].$string(), $pad("", 5000, "-"))', 'QB_TEXT_LIMIT');
    await failsWith('($x := $pad("", 900000, "x"); $string([$x, $x]))', 'QB_TEXT_LIMIT');
    const { ms, heapMb } = await timed(async () => {
      await failsWith('($x := $pad("", 900000); $count($clone([1..1000].[$x])))', 'QB_TEXT_LIMIT');
      await failsWith('($x := $pad("", 900000); [1..1000].[$x] ~> |$|{}|)', 'QB_TEXT_LIMIT');
    });
    assert.ok(ms < 2000 && heapMb < 100, `$clone and transform: ${ms} ms, +${heapMb.toFixed(0)} MB (JSONata's own: 4-9 s, +400 MB)`);
    assert.deepEqual(await compileRule('t', '{"a": 1, "b": 2} ~> |$|{"c": 3}, ["b"]|').evaluate({}), { a: 1, c: 3 });
  });

  it('& measures an object before writing it out (a large string repeated by reference)', async () => {
    const { value: err, ms, heapMb } = await timed(() => failsWith('($x := $pad("", 900000, "x"); [1..1000].[$x] & "!")', 'QB_TEXT_LIMIT'));
    assert.match(err.message, /a value written out by & would be/);
    assert.ok(ms < 2000, `took ${ms} ms`);
    assert.ok(heapMb < 100, `heap grew ${heapMb.toFixed(1)} MB`);
    assert.equal(await compileRule('small', '{"a": 1} & "!"').evaluate({}), '{"a":1}!');
  });

  it('$eval is not available in rules, so no expression escapes the compile-time checks', async () => {
    await failsWith('$eval(\'$contains("aaaaaaaaaaaaaaaaaaaaaaaaaaaa!", /^(a+)+$/)\')', 'QB_NO_EVAL');
    await failsWith('($e := $eval; $e("1 + 1"))', 'QB_NO_EVAL');
  });

  it('$distinct is linear for plain values and bounded for objects, with JSONata\'s results', async () => {
    const { value: count, ms } = await timed(() => compileRule('distinct', '$count($distinct($append([1..500000], [1..500000])))').evaluate({}));
    assert.equal(count, 500_000);
    assert.ok(ms < 5000, `took ${ms} ms`); // JSONata's own loop: over 10^11 comparisons
    for (const src of ['$distinct([1, "1", 2, 1, true, null, null, "a", "a", 2.5])', '$distinct([{"a":1},{"a":1},1,1,[1],[1]])', '$distinct(x)', '$distinct(7)']) {
      const input = { x: [3, 3, 4] };
      assert.deepEqual(await compileRule('d', src).evaluate(input), JSON.parse(JSON.stringify(await jsonata(src).evaluate(input))), src);
    }
    const err = await failsWith('$distinct($zip([1..20000], [1..20000]))', 'QB_DISTINCT_LIMIT');
    assert.match(err.message, /\$distinct of 20,000 values holding 20,000 objects/);
  });

  it('$sort gives JSONata\'s order (any comparator) without its copying merge: 1,000,000 numbers sort in bounded memory', async () => {
    const input = { n: Array.from({ length: 300 }, (_, i) => (i * 7919) % 101), s: Array.from({ length: 200 }, (_, i) => `k${(i * 31) % 57}`), o: Array.from({ length: 150 }, (_, i) => ({ a: i % 7, b: i })) };
    for (const src of ['$sort(n)', '$sort(s)', '$sort(o, function($l, $r){ $l.a > $r.a })', '$sort(o, function($l, $r){ ($l.b + $r.b) % 3 = 0 })', '$sort([1, "a"])', '$sort(7)']) {
      const want = await jsonata(src).evaluate(input).then((v) => JSON.parse(JSON.stringify(v ?? null)), (e: { code?: string }) => e.code);
      const got = await compileRule('sort', src).evaluate(input).then((v) => JSON.parse(JSON.stringify(v ?? null)), (e: RuleError) => e.code);
      assert.deepEqual(got, want, src);
    }
    const { value, ms, heapMb } = await timed(() => compileRule('big', '$count($sort($reverse([1..1000000])))').evaluate({}));
    assert.equal(value, 1_000_000);
    assert.ok(ms < 10_000 && heapMb < 300, `took ${ms} ms, heap grew ${heapMb.toFixed(0)} MB`);
  });

  it('many function results add up to the per-evaluation total', async () => {
    const { value: err, heapMb } = await timed(() => failsWith('[1..1000000].{"a": $pad("", 100000)}', 'QB_TEXT_LIMIT'));
    assert.match(err.message, /adds up to more than the rule limit of 10,000,000 characters per evaluation/);
    assert.ok(heapMb < 200, `heap grew ${heapMb.toFixed(1)} MB`);
  });

  it('ordinary text work is unaffected and the limits can be set per rule', async () => {
    assert.equal(await compileRule('ok', '$pad("ab", -5, "#") & $join(["x", "y"], "-") & $string({"a": 1})').evaluate({}), '###abx-y{"a":1}');
    assert.equal(await compileRule('wide', '$length($pad("", 2000000))', { text: 3_000_000 }).evaluate({}), 2_000_000);
    await assert.rejects(compileRule('narrow', '$pad("", 20)', { text: 10 }).evaluate({}), (e: unknown) => e instanceof RuleError && e.code === 'QB_TEXT_LIMIT');
  });

  it('the fast path gives what JSONata gives on strings beyond the limit (both fail)', async () => {
    const huge = { sku: ` ${'k'.repeat(1_200_000)} ` };
    const fast = compileRule('fast', '$trim(sku) & "!"');
    const slow = compileRule('slow', '$trim(sku) & "!"', { fastPath: false });
    assert.equal(fast.hasFastPath, true);
    for (const rule of [fast, slow]) {
      await assert.rejects(rule.evaluate(huge), (e: unknown) => e instanceof RuleError && e.code === 'QB_TEXT_LIMIT');
    }
    assert.equal(await fast.evaluate({ sku: ' a ' }), 'a!');
  });
});

describe('rules: the isolated tester (worker thread)', () => {
  it('answers each hostile rule as a JSON error, with the event loop free meanwhile', async () => {
    const { ticks, worstGap } = await withLoopWatch(async () => {
      for (const [source, code] of [
        [CATASTROPHIC, 'QB_UNSAFE_REGEX'],
        [PAD_50M, 'QB_TEXT_LIMIT'],
        [PAD_200M, 'QB_TEXT_LIMIT'],
        [DOUBLING, 'QB_TEXT_LIMIT'],
        ['($f := function($n){ $f($n + 1) }; $f(0))', 'D1011|D1012'],
        ['[1..1000000].[[1..30]]', 'D1012'],
      ]) {
        const out = await testRuleIsolated('hostile', source, {});
        assert.equal(out.ok, false, source);
        assert.ok(!out.ok && new RegExp(`^(${code})$`).test(out.error.code ?? ''), `${source}: ${JSON.stringify(out)}`);
        assert.match(!out.ok ? out.error.message : '', /^Rule "hostile" /);
      }
    });
    assert.ok(ticks > 10, 'the event loop kept ticking');
    assert.ok(worstGap < 2000, `the event loop was blocked for ${worstGap} ms`);
  });

  it('a rule that exhausts the worker\'s heap or outlives the wall-clock stops the worker, not the process', async () => {
    const memory = await testRuleIsolated('heavy', '[1..1000000].{"a": $string($), "b": [1, 2, 3]}', {}, { heapMb: 16, wallMs: 20_000 });
    assert.equal(memory.ok, false);
    assert.ok(!memory.ok && ['QB_RULE_TEST_MEMORY', 'D1012', 'D2015'].includes(memory.error.code ?? ''), JSON.stringify(memory));
    const clock = await testRuleIsolated('slow', '[1..1000000].($string($) & "x")', {}, { wallMs: 200 });
    assert.ok(!clock.ok && clock.error.code === 'QB_RULE_TEST_TIMEOUT', JSON.stringify(clock));
    assert.deepEqual(await testRuleIsolated('after', '$normKey(sku)', { sku: ' A ' }), { ok: true, result: 'a' });
  });

  it('one test at a time: a second waits, a third past the wait is refused as busy', async () => {
    const slow = '($f := function($n){ $n > 0 ? $f($n - 1) : 0 }; [1..2000].$f(100))';
    const first = testRuleIsolated('one', slow, {}, { queueMs: 0 });
    const second = testRuleIsolated('two', '1 + 1', {}, { queueMs: 10_000 });
    const third = testRuleIsolated('three', '1 + 1', {}, { queueMs: 0 });
    await assert.rejects(third, (e: unknown) => e instanceof SandboxBusyError);
    assert.ok((await first).ok !== undefined);
    assert.deepEqual(await second, { ok: true, result: 2 });
  });

  it('a result that is not JSON or too large is answered as an error', async () => {
    const big = await testRuleIsolated('big', '[1..100000].$pad("", 100)', {}, { maxAnswer: 1000 });
    assert.ok(!big.ok && big.error.code === 'QB_RESULT_TOO_LARGE', JSON.stringify(big));
  });
});
