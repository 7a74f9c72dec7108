/**
 * bench:console — the QuickBooks console's list API over a company with 100,000 BlueTrace items
 * (5,000 of them with issues) and 100,000 QuickBooks items: the first page, a search and an issue
 * filter (time and bytes per answer, as JSON), and the rule preview of edited key rules over
 * 100,000 × 100,000. Targets (printed, not asserted): pages under 100 ms, the preview under 2 s.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { BaseCompany } from '../nodes/lib/company/base';
import { HandlerRegistry } from '../nodes/lib/console/registry';
import { ConsoleService } from '../nodes/lib/console/service';
import { MatcherHandler } from '../nodes/lib/handlers/matcher';
import type { WritePayload } from '../nodes/lib/jobs';
import type { MirrorRecord } from '../nodes/lib/mirror';
import { connectionStatus } from '../nodes/lib/node-red/admin-routes';
import { Store } from '../nodes/lib/store';
import { run } from './harness';

const N = Number(process.env.BENCH_RECORDS || 100_000);
const ISSUES = Math.round(N / 20);
const REPEAT = 5;

/** A company with the real store-backed mirror, matches and outbox, and no connection. */
class BenchCompany extends BaseCompany {
  async resync(): Promise<void> {}
  kick(): void {}
  newRecord(kind: 'item' | 'customer', record: Record<string, unknown>): WritePayload {
    const name = String(record.name);
    return { entity: kind === 'item' ? 'Item' : 'Customer', fields: { Name: name }, lookup: { field: 'Name', value: name } };
  }
  async close(): Promise<void> {}
}

interface Figure {
  what: string;
  medianMs: number;
  maxMs: number;
  bytes: number;
  rows: number;
  total: number;
}

async function timed(what: string, call: () => Promise<{ rows?: unknown[]; total?: number } & object>): Promise<Figure> {
  const times: number[] = [];
  let bytes = 0;
  let rows = 0;
  let total = 0;
  for (let i = 0; i < REPEAT; i++) {
    const t0 = performance.now();
    const answer = await call();
    const json = JSON.stringify(answer); // what the admin route sends
    times.push(performance.now() - t0);
    bytes = Buffer.byteLength(json);
    rows = answer.rows?.length ?? 0;
    total = answer.total ?? 0;
  }
  times.sort((a, b) => a - b);
  return { what, medianMs: Math.round(times[Math.floor(REPEAT / 2)] * 10) / 10, maxMs: Math.round(times[REPEAT - 1] * 10) / 10, bytes, rows, total };
}

run(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbsync-bench-console-'));
  const store = await Store.open(dir);
  try {
    const company = new BenchCompany('bench-co', 'qbo', store, { invoiceCreation: true });
    const qb: MirrorRecord[] = Array.from({ length: N }, (_, i) => ({
      id: String(i + 1), name: `QB Item ${i}`, active: true, data: { Id: String(i + 1), Name: `QB Item ${i}`, Sku: `SKU-${i}` },
    }));
    await company.mirror.replace('items', qb);
    // Every 20th app item has an issue: alternately a SKU QuickBooks lacks and no SKU at all.
    const app = Array.from({ length: N }, (_, i) => ({
      id: `it-${i}`, name: `Item ${i}`, ...(i % 20 === 0 ? (i % 40 === 0 ? { sku: `NOPE-${i}` } : {}) : { sku: `sku-${i}` }),
    }));
    const matcher = new MatcherHandler(company, { kind: 'item' });
    const t0 = performance.now();
    const report = await matcher.run({ command: 'match', records: app });
    const setupMs = Math.round(performance.now() - t0);
    const registry = new HandlerRegistry();
    registry.add({ nodeId: 'bench-matcher', type: 'qb-item-matcher', name: 'items', company, handler: matcher });
    const service = new ConsoleService({
      connections: () => [{ id: company.id, type: 'qbo-connection', name: 'bench', edition: 'qbo', whenCompany: async () => company }],
      status: connectionStatus,
    }, registry);
    console.log(`${N.toLocaleString('en-US')} app items (${('matched' in report ? report.issues : 0).toLocaleString('en-US')} with issues) × ${N.toLocaleString('en-US')} QuickBooks items; matched and stored in ${setupMs} ms`);

    const figures: Figure[] = [];
    figures.push(await timed('first page (50, all records)', () => service.matches(company.id, 'item', {})));
    figures.push(await timed('search "item 4242" (50 per page)', () => service.matches(company.id, 'item', { q: 'item 4242' })));
    figures.push(await timed('filter issue item-not-found, page 3', () => service.matches(company.id, 'item', { filter: 'item-not-found', offset: '100' })));
    figures.push(await timed('filter every issue, first page', () => service.matches(company.id, 'item', { filter: 'issue' })));
    figures.push(await timed('mirror browser: search "qb item 99"', () => service.mirror(company.id, 'items', { q: 'qb item 99' })));

    const lines = [`\n## bench:console — list API over ${N.toLocaleString('en-US')} items and ${ISSUES.toLocaleString('en-US')} issues (median of ${REPEAT}; target < 100 ms)`, ''];
    lines.push('| answer | median ms | max ms | bytes (JSON) | rows | total |', '| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const f of figures) lines.push(`| ${f.what} | ${f.medianMs} | ${f.maxMs} | ${f.bytes.toLocaleString('en-US')} | ${f.rows} | ${f.total.toLocaleString('en-US')} |`);
    console.log(lines.join('\n'));

    // Rule preview: both rules edited, so every key on both sides is evaluated again.
    const previews: Array<{ what: string; ms: number; changed: number }> = [];
    for (const [what, body] of [
      ['app rule edited (uppercase SKU)', { kind: 'item', appRule: '$uppercase($trim(sku))' }],
      ['both rules edited (by name)', { kind: 'item', appRule: '$normKey(name)', qbRule: '$normKey($substringAfter(Name, "QB "))' }],
    ] as const) {
      const t = performance.now();
      const r = await service.preview(company.id, body);
      previews.push({ what, ms: Math.round(performance.now() - t), changed: r.changed });
    }
    const pl = [`\n## bench:console — rule preview over ${N.toLocaleString('en-US')} × ${N.toLocaleString('en-US')} (target < 2 s)`, ''];
    pl.push('| preview | wall ms | records whose outcome changes |', '| --- | ---: | ---: |');
    for (const p of previews) pl.push(`| ${p.what} | ${p.ms} | ${p.changed.toLocaleString('en-US')} |`);
    console.log(pl.join('\n'));
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
