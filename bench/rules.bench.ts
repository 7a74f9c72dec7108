/**
 * bench:rules — the default item-key rule (rules/item-key.app.jsonata) evaluated over 100,000
 * BlueTrace items three ways in the same run: through JSONata only (fast path off), through the
 * rule's fast path (`evaluateSync`, JSONata only for inputs it hands back), and as plain TypeScript.
 */
import assert from 'node:assert/strict';
import { BAIL, compileRule, defaultRule } from '../nodes/lib/rules';
import { normalizeKey } from '../nodes/lib/util/text';
import { measure, report, run } from './harness';

const N = Number(process.env.BENCH_RECORDS || 100_000);

function items(n: number) {
  return Array.from({ length: n }, (_, i) => ({ id: `it-${i}`, name: `Item ${i}`, sku: i % 50 === 0 ? undefined : `  SKU-${i.toString(36).toUpperCase()} ` }));
}

run(async () => {
  const records = items(N);
  const source = defaultRule('item-key.app').source;
  const slowRule = compileRule('item-key.app', source, { fastPath: false });
  const fastRule = compileRule('item-key.app', source);
  assert.equal(fastRule.hasFastPath, true, 'item-key.app has a fast path');
  let slowKeys: unknown[] = [];
  let fastKeys: unknown[] = [];
  let plainKeys: string[] = [];
  let bailed = 0;

  /** The fast path, with JSONata for any record it hands back (as a matcher would do it). */
  const fastKey = async (record: unknown) => {
    const key = fastRule.evaluateSync(record);
    if (key !== BAIL) return key;
    bailed++;
    return fastRule.evaluate(record);
  };

  const warm = records.slice(0, 2000);
  const jsonata = await measure('JSONata only (fastPath: false), one evaluation per record', N, async () => {
    slowKeys = new Array(N);
    for (let i = 0; i < N; i++) slowKeys[i] = await slowRule.evaluate(records[i]);
  }, { warmup: async () => { for (const r of warm) await slowRule.evaluate(r); } });

  const fast = await measure('rule fast path (evaluateSync, JSONata on BAIL)', N, async () => {
    fastKeys = new Array(N);
    bailed = 0;
    for (let i = 0; i < N; i++) {
      const key = fastRule.evaluateSync(records[i]);
      fastKeys[i] = key !== BAIL ? key : await fastKey(records[i]);
    }
  }, { warmup: async () => { for (const r of warm) await fastKey(r); } });

  const plain = await measure('plain TypeScript normalizeKey', N, () => {
    plainKeys = new Array(N);
    for (let i = 0; i < N; i++) plainKeys[i] = normalizeKey(records[i].sku);
  }, { warmup: () => warm.forEach((r) => normalizeKey(r.sku)) });

  assert.deepEqual(slowKeys, plainKeys, 'JSONata and plain TypeScript agree on every key');
  assert.deepEqual(fastKeys, plainKeys, 'the fast path and plain TypeScript agree on every key');
  report(`bench:rules — item-key.app over ${N.toLocaleString('en-US')} records (${bailed} handed back to JSONata)`, [jsonata, fast, plain], [
    { label: 'JSONata only / plain TypeScript', of: jsonata, to: plain },
    { label: 'rule fast path / plain TypeScript', of: fast, to: plain },
  ]);
});
