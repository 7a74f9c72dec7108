/**
 * bench:rules — the default item-key rule (rules/item-key.app.jsonata) evaluated over 100,000
 * BlueTrace items, against computing the same keys in plain TypeScript in the same run.
 */
import assert from 'node:assert/strict';
import { compileRule, defaultRule } from '../nodes/lib/rules';
import { normalizeKey } from '../nodes/lib/util/text';
import { measure, report, run } from './harness';

const N = Number(process.env.BENCH_RECORDS || 100_000);

function items(n: number) {
  return Array.from({ length: n }, (_, i) => ({ id: `it-${i}`, name: `Item ${i}`, sku: i % 50 === 0 ? undefined : `  SKU-${i.toString(36).toUpperCase()} ` }));
}

run(async () => {
  const records = items(N);
  const rule = compileRule('item-key.app', defaultRule('item-key.app').source);
  let ruleKeys: unknown[] = [];
  let plainKeys: string[] = [];

  const warm = records.slice(0, 2000);
  const jsonata = await measure('JSONata rule, one evaluation per record', N, async () => {
    ruleKeys = new Array(N);
    for (let i = 0; i < N; i++) ruleKeys[i] = await rule.evaluate(records[i]);
  }, { warmup: async () => { for (const r of warm) await rule.evaluate(r); } });

  const plain = await measure('plain TypeScript normalizeKey', N, () => {
    plainKeys = new Array(N);
    for (let i = 0; i < N; i++) plainKeys[i] = normalizeKey(records[i].sku);
  }, { warmup: () => warm.forEach((r) => normalizeKey(r.sku)) });

  assert.deepEqual(ruleKeys, plainKeys, 'the rule and plain TypeScript agree on every key');
  report(`bench:rules — item-key.app over ${N.toLocaleString('en-US')} records`, [jsonata, plain], [
    { label: 'JSONata rule / plain TypeScript', of: jsonata, to: plain },
  ]);
});
