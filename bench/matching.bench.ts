/**
 * bench:matching — 100,000 BlueTrace items matched against 100,000 QuickBooks Online items with the
 * default rules (item-key.app, item-key.qbo) and the hash join, against a plain TypeScript hash join of
 * the same keys in the same run (target: at most 3×). Also the whole Matcher with the store on disk.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MatchBook, Matcher, keyOf, matchByKey, type KeyedRecord } from '../nodes/lib/matching';
import { Mirror, type MirrorRecord } from '../nodes/lib/mirror';
import { compileRule, defaultRule } from '../nodes/lib/rules';
import { Store } from '../nodes/lib/store';
import { normalizeKey } from '../nodes/lib/util/text';
import { measure, report, run } from './harness';

const N = Number(process.env.BENCH_RECORDS || 100_000);

function data(n: number) {
  const app = Array.from({ length: n }, (_, i) => ({ id: `it-${i}`, name: `Item ${i}`, sku: i % 97 === 0 ? '' : ` SKU-${(i * 7919) % (n * 2)} ` }));
  const qb: MirrorRecord[] = Array.from({ length: n }, (_, i) => ({ id: String(i + 1), name: `QB Item ${i}`, active: i % 50 !== 0, data: { Id: String(i + 1), Name: `QB Item ${i}`, Sku: `sku-${i * 2}`, Active: i % 50 !== 0 } }));
  return { app, qb };
}

run(async () => {
  const { app, qb } = data(N);
  const appRule = compileRule('item-key.app', defaultRule('item-key.app').source);
  const qbRule = compileRule('item-key.qbo', defaultRule('item-key.qbo').source);
  let ruled: ReturnType<typeof matchByKey> = [];
  let plainMatched = 0;

  const withRules = await measure('default rules + hash join (Matcher core)', N, async () => {
    const appKeyed: KeyedRecord[] = [];
    for (const r of app) {
      const key = keyOf(appRule, r);
      appKeyed.push({ id: r.id, key: typeof key === 'string' ? key : await key });
    }
    const qbKeyed: KeyedRecord[] = [];
    for (const r of qb) {
      const key = keyOf(qbRule, r.data);
      qbKeyed.push({ id: r.id, key: typeof key === 'string' ? key : await key, active: r.active });
    }
    ruled = matchByKey('item', appKeyed, qbKeyed);
  });

  const plain = await measure('plain TypeScript hash join', N, () => {
    const index = new Map<string, string[]>();
    for (const r of qb) {
      if (r.active === false) continue;
      const k = normalizeKey(r.data.Sku);
      if (!k) continue;
      const ids = index.get(k);
      if (ids) ids.push(r.id);
      else index.set(k, [r.id]);
    }
    const appCount = new Map<string, number>();
    for (const r of app) {
      const k = normalizeKey(r.sku);
      if (k) appCount.set(k, (appCount.get(k) ?? 0) + 1);
    }
    plainMatched = 0;
    for (const r of app) {
      const k = normalizeKey(r.sku);
      if (k && appCount.get(k) === 1 && index.get(k)?.length === 1) plainMatched++;
    }
  });

  assert.equal(ruled.filter((o) => o.status === 'matched').length, plainMatched, 'both joins agree on the matches');

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbsync-bench-'));
  const store = await Store.open(dir);
  const mirror = new Mirror(store, 'bench');
  const persisted = await measure('Matcher.ingest with the store on disk (mirror loaded)', N, async () => {
    await mirror.replace('items', qb);
    const matcher = new Matcher('item', mirror, 'items', appRule, qbRule, new MatchBook(store, 'bench', 'item'));
    await matcher.ingest(app);
  });
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });

  console.log(`\nmatched ${plainMatched.toLocaleString('en-US')} of ${N.toLocaleString('en-US')} items; the rest have exactly one issue each`);
  report(`bench:matching — ${N.toLocaleString('en-US')} app items × ${N.toLocaleString('en-US')} QuickBooks items`, [withRules, plain, persisted], [
    { label: 'default rules + hash join / plain TypeScript hash join', of: withRules, to: plain, target: '≤ 3×' },
  ]);
});
