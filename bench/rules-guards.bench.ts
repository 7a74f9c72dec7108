/**
 * bench:rules-guards — what the rule guards (rules/regex.ts, guards.ts, sandbox.ts) cost and what they
 * stop, measured in one run:
 *  1. each hostile rule of issue 10 through the rule engine on this thread (wall time, heap growth):
 *     before the guards they took seconds, hundreds of MB, or killed the process;
 *  2. the JSONata path of a regex rule over 20,000 records on the linear engine (re2js) against the
 *     same rule on V8's backtracking RegExp (what JSONata uses by default);
 *  3. the JSONata path of the default invoice rule over 20,000 orders with the text guards on and off
 *     (`text: 0`), i.e. the cost of the exit hook;
 *  4. the Test route's isolated tester (one worker thread per test) against testRule on this thread.
 * Figures are printed, never asserted.
 */
import jsonata from 'jsonata';
import { compileRule, defaultRule, testRule, testRuleIsolated } from '../nodes/lib/rules';
import { measure, report, run } from './harness';

const RECORDS = Number(process.env.BENCH_RECORDS || 20_000);
const TESTS = 20;

const HOSTILE: Array<[string, string]> = [
  ['catastrophic regex /^(a+)+$/', '$contains("aaaaaaaaaaaaaaaaaaaaaaaaaaaa!", /^(a+)+$/)'],
  ['overlapping regex /^(a|a)*$/ (accepted, linear)', '$contains("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", /^(a|a)*$/)'],
  ['$pad("", 5e7, "x")', '$pad("", 5e7, "x")'],
  ['$length($pad("", 2e8, "x"))', '$length($pad("", 2e8, "x"))'],
  ['doubling by recursive &', '($f := function($s, $n){ $n = 0 ? $s : $f($s & $s, $n - 1) }; $length($f("x", 40)))'],
  ['$sort of 100,000 numbers', '$count($sort($reverse([1..100000])))'],
  ['$distinct of 1,000,000 numbers', '$count($distinct([1..1000000]))'],
  ['$match over 1,000,000 matches', '$count($match($pad("", 1000000, "a"), /a/))'],
];

run(async () => {
  // 1. hostile rules on this thread
  const lines = ['\n## bench:rules-guards — hostile rules through the rule engine (this thread)', '', '| rule | outcome | wall ms | heap growth MB |', '| --- | --- | ---: | ---: |'];
  for (const [label, source] of HOSTILE) {
    (globalThis as { gc?: () => void }).gc?.();
    const heap = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    const out = await testRule('hostile', source, {});
    const ms = performance.now() - t0;
    const grown = (process.memoryUsage().heapUsed - heap) / 1024 / 1024;
    const outcome = out.ok ? `ok: ${JSON.stringify(out.result).slice(0, 20)}` : out.error.code ?? 'error';
    lines.push(`| ${label} | ${outcome} | ${ms.toFixed(1)} | ${grown.toFixed(1)} |`);
  }
  console.log(lines.join('\n'));

  // 2. regex rule: linear engine (the rule) against JSONata on V8's RegExp
  const skus = Array.from({ length: RECORDS }, (_, i) => ({ sku: `  ${i % 3 ? 'KUM' : 'oys'}-${i.toString(36).toUpperCase()} ` }));
  const regexSource = '$match($trim(sku), /^([A-Za-z]{3})-(\\w+)$/).groups[1]';
  const linear = compileRule('regex', regexSource, { fastPath: false });
  const native = jsonata(regexSource, { timeout: 1000, stack: 300, sequence: 1_000_000 } as Parameters<typeof jsonata>[1]);
  const warm = skus.slice(0, 500);
  const re2 = await measure('regex rule, linear engine (re2js), guards on', RECORDS, async () => {
    for (const r of skus) await linear.evaluate(r);
  }, { warmup: async () => { for (const r of warm) await linear.evaluate(r); } });
  const v8 = await measure('same expression, plain JSONata on V8 RegExp', RECORDS, async () => {
    for (const r of skus) await native.evaluate(r);
  }, { warmup: async () => { for (const r of warm) await native.evaluate(r); } });

  // 3. the invoice rule (JSONata path) with and without the text guards' exit hook
  const invoice = defaultRule('invoice.qbo');
  const sample = invoice.samples[0].input;
  const guarded = compileRule('invoice.qbo', invoice.source);
  const unguarded = compileRule('invoice.qbo', invoice.source, { text: 0 });
  const orders = Array.from({ length: RECORDS }, () => sample);
  const withHook = await measure('invoice.qbo, text guards on (exit hook)', RECORDS, async () => {
    for (const o of orders) await guarded.evaluate(o);
  }, { warmup: async () => { for (const o of orders.slice(0, 500)) await guarded.evaluate(o); } });
  const withoutHook = await measure('invoice.qbo, text guards off (text: 0)', RECORDS, async () => {
    for (const o of orders) await unguarded.evaluate(o);
  }, { warmup: async () => { for (const o of orders.slice(0, 500)) await unguarded.evaluate(o); } });

  // 4. the Test route's engine: a worker per test against this thread
  const isolated = await measure(`Test route: testRuleIsolated (worker per test) × ${TESTS}`, TESTS, async () => {
    for (let i = 0; i < TESTS; i++) await testRuleIsolated('t', '$normKey(sku)', { sku: ' A ' });
  });
  const inline = await measure(`testRule on this thread × ${TESTS}`, TESTS, async () => {
    for (let i = 0; i < TESTS; i++) await testRule('t', '$normKey(sku)', { sku: ' A ' });
  });

  report(`bench:rules-guards — ${RECORDS.toLocaleString('en-US')} records`, [re2, v8, withHook, withoutHook, isolated, inline], [
    { label: 'linear engine / V8 RegExp (regex rule)', of: re2, to: v8 },
    { label: 'text guards on / off (invoice.qbo)', of: withHook, to: withoutHook },
    { label: 'worker per test / this thread (Test route)', of: isolated, to: inline },
  ]);
});
