/**
 * bench:scale — cost as the company grows (issue 13, item 5a): an import of N QuickBooks items into the
 * mirror (the Online import, page by page) and the matching of N app items against N mirrored items
 * (a full re-match with the default rules; then messages of 100 app records ingested into the matched
 * book, the time of one in the notes), at 10,000, 100,000 and 1,000,000 records, on nedb and on
 * PostgreSQL. Each case runs in a process of its own, so its peak RSS (`maxRSS` at its end) is its own;
 * the data are generated a page at a time, never held whole by the benchmark.
 *
 * Target on PostgreSQL: peak RSS flat in N, under 300 MB at 1,000,000.
 *
 * Env: QB_BENCH_SCALE_MAX (largest N, default 1,000,000); QB_BENCH_SCALE_CASES (e.g. `matching`,
 * `import`, `postgres`: only the cases naming one of these words); QB_BENCH_PG_URL (else QB_TEST_PG_URL, else the
 * test database); QB_BENCH_NEDB_MAX_MB (a nedb case is stopped past this RSS, default 2,048) and
 * QB_BENCH_CASE_MAX_S (any case is stopped past this time, default 600): a stopped case prints what it
 * reached instead of a figure.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Job } from '../nodes/lib/jobs';
import { MatchBook, Matcher, keyOf } from '../nodes/lib/matching';
import { Mirror } from '../nodes/lib/mirror';
import { compileRule, defaultRule } from '../nodes/lib/rules';
import { Store } from '../nodes/lib/store';
import { runImport } from '../nodes/lib/company/qbo/online-import';
import type { QboClient, QboRecord } from '../nodes/lib/company/qbo/client';
import { run } from './harness';

const SIZES = [10_000, 100_000, 1_000_000];
const MAX = Number(process.env.QB_BENCH_SCALE_MAX || 1_000_000);
const PG_URL = process.env.QB_BENCH_PG_URL || process.env.QB_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';
const NEDB_MAX_MB = Number(process.env.QB_BENCH_NEDB_MAX_MB || 2_048);
const CASE_MAX_S = Number(process.env.QB_BENCH_CASE_MAX_S || 600);
const PAGE = 1_000;
const ONLY = (process.env.QB_BENCH_SCALE_CASES || '').split(/[\s,]+/).filter(Boolean);

type Backend = 'nedb' | 'postgres';
type Case = 'import' | 'matching';

interface CaseSpec {
  kind: Case;
  backend: Backend;
  n: number;
  /** The store folder (made and removed by the parent, so a stopped case leaves nothing behind). */
  dir: string;
}

/** What a case's process prints as its last line. */
interface CaseResult {
  ms: number;
  setupMs: number;
  peakRssMb: number;
  heapMb: number;
  detail: string;
}

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

// ------------------------------------------------------------------------------------- one case (child)

/** QuickBooks Online item `i` as the API answers it. */
function qboItem(i: number): QboRecord {
  return {
    Id: String(i + 1), Name: `QB Item ${i}`, Sku: `sku-${i * 2}`, Type: 'NonInventory', Active: i % 50 !== 0, SyncToken: '0',
    MetaData: { CreateTime: '2024-01-01T00:00:00Z', LastUpdatedTime: '2024-02-01T00:00:00Z' },
  } as QboRecord;
}

/** BlueTrace item `i`: most match one QuickBooks item; some have no SKU, share one, or match nothing. */
function appItem(i: number, n: number): { id: string; name: string; sku: string } {
  return { id: `it-${i}`, name: `Item ${i}`, sku: i % 97 === 0 ? '' : ` SKU-${(i * 7919) % (n * 2)} ` };
}

/** A client whose `pages` answers N items a page at a time, generated as they are asked for. */
function fakeClient(n: number): QboClient {
  return {
    async *pages(_entity: string, opts: { pageSize?: number; onProgress?: (p: { total?: number }) => void } = {}) {
      opts.onProgress?.({ total: n });
      const size = opts.pageSize ?? PAGE;
      for (let start = 0; start < n; start += size) {
        yield Array.from({ length: Math.min(size, n - start) }, (_, j) => qboItem(start + j));
      }
    },
  } as unknown as QboClient;
}

const importJob = (key: string): Job => ({ key, kind: 'import.items', payload: { from: '2024-01-01', to: '2024-12-31' } }) as unknown as Job;

async function runCase(spec: CaseSpec): Promise<CaseResult> {
  const dir = spec.dir;
  const schema = `qb_bench_${process.pid}`;
  const store = spec.backend === 'nedb' ? await Store.open(dir) : await Store.open(dir, { url: PG_URL, schema });
  try {
    const mirror = new Mirror(store, 'bench');
    let setupMs = 0;
    let ms: number;
    let detail: string;
    if (spec.kind === 'import') {
      let pages = 0;
      const t0 = performance.now();
      const count = await runImport(fakeClient(spec.n), mirror, importJob('import:bench'), () => pages++, PAGE);
      ms = performance.now() - t0;
      detail = `${count.toLocaleString('en-US')} imported in ${pages} pages; mirror holds ${(await mirror.count('items')).toLocaleString('en-US')}`;
    } else {
      const appRule = compileRule('item-key.app', defaultRule('item-key.app').source);
      const qbRule = compileRule('item-key.qbo', defaultRule('item-key.qbo').source);
      const book = new MatchBook(store, 'bench', 'item');
      const matcher = new Matcher('item', mirror, 'items', appRule, qbRule, book);
      const s0 = performance.now();
      // The mirror as an import leaves it (keys of this rule computed as it is written on PostgreSQL),
      // and the app items received (pending), a page at a time.
      await runImport(fakeClient(spec.n), mirror, importJob('import:setup'), () => undefined, PAGE);
      for (let start = 0; start < spec.n; start += PAGE) {
        const page = Array.from({ length: Math.min(PAGE, spec.n - start) }, (_, j) => appItem(start + j, spec.n));
        const rows = [];
        for (const r of page) {
          const key = keyOf(appRule, r);
          rows.push({ appId: r.id, appName: r.name, key: typeof key === 'string' ? key : await key, record: r });
        }
        await book.upsertApp(rows);
      }
      await book.flush();
      setupMs = performance.now() - s0;
      (globalThis as { gc?: () => void }).gc?.();
      const t0 = performance.now();
      let reported = 0;
      const report = await matcher.rematch(undefined, { each: async (o) => void (reported += o.length) });
      ms = performance.now() - t0;
      // Then messages as a flow sends them: 100 app records each (new ones and ones received before).
      const messages = 10;
      const i0 = performance.now();
      for (let m = 0; m < messages; m++) {
        const batch = Array.from({ length: 100 }, (_, j) => (j % 2 ? appItem((m * 7919 + j * 104_729) % spec.n, spec.n) : { id: `new-${m}-${j}`, name: `New ${j}`, sku: `sku-${(m * 100 + j) * 2}` }));
        await matcher.ingest(batch);
      }
      const perMessage = (performance.now() - i0) / messages;
      detail = `${report.matched.toLocaleString('en-US')} matched, ${report.issues.toLocaleString('en-US')} issues (${Object.entries(report.byIssue).map(([k, v]) => `${k} ${v}`).join(', ')}); ${reported.toLocaleString('en-US')} outcomes by page; then an ingest of 100 records: ${perMessage.toFixed(0)} ms`;
    }
    return { ms, setupMs, peakRssMb: mb(process.resourceUsage().maxRSS * 1024), heapMb: mb(process.memoryUsage().heapUsed), detail };
  } finally {
    if (spec.backend === 'postgres') {
      const pool = store.sql!.pool;
      await pool.query(`DROP SCHEMA ${store.sql!.schema} CASCADE`).catch(() => undefined);
      await store.close();
    }
  }
}

// ------------------------------------------------------------------------------------- the run (parent)

/** The RSS of a running process in MB (Linux /proc), or undefined where it cannot be read. */
function rssOf(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/** Runs one case in its own process; stops it past the caps and says so. */
function spawnCase(spec: CaseSpec): Promise<{ result?: CaseResult; stopped?: string; failed?: string }> {
  return new Promise<{ result?: CaseResult; stopped?: string; failed?: string }>((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', __filename], { env: { ...process.env, QB_BENCH_SCALE_CASE: JSON.stringify(spec) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const t0 = Date.now();
    let stopped: string | undefined;
    let peak = 0;
    const watch = setInterval(() => {
      const rss = rssOf(child.pid as number) ?? 0;
      peak = Math.max(peak, rss);
      const s = (Date.now() - t0) / 1000;
      if (spec.backend === 'nedb' && rss > NEDB_MAX_MB) stopped = `skipped: >${NEDB_MAX_MB} MB (RSS ${rss} MB after ${s.toFixed(0)} s)`;
      else if (s > CASE_MAX_S) stopped = `skipped: >${CASE_MAX_S} s (RSS ${peak} MB so far)`;
      if (stopped) child.kill('SIGKILL');
    }, 250);
    child.on('exit', (code) => {
      clearInterval(watch);
      if (stopped) return resolve({ stopped });
      const last = out.trim().split('\n').pop() ?? '';
      try {
        if (code !== 0) throw new Error();
        resolve({ result: JSON.parse(last) as CaseResult });
      } catch {
        resolve({ failed: `failed (exit ${code}): ${(err.trim().split('\n')[0] ?? '').slice(0, 200)}` });
      }
    });
  }).finally(() => fs.rmSync(spec.dir, { recursive: true, force: true }));
}

/** Whether PostgreSQL answers at the bench URL (else its cases are skipped, with the reason). */
async function pgReachable(): Promise<string | undefined> {
  try {
    const { createPool } = await import('../nodes/lib/store/postgres');
    const pool = createPool(PG_URL);
    try {
      await pool.query('SELECT 1');
    } finally {
      await pool.end();
    }
    return undefined;
  } catch (e) {
    return (e as Error).message || 'no answer';
  }
}

async function main(): Promise<void> {
  const sizes = SIZES.filter((s) => s <= MAX);
  const pgDown = await pgReachable();
  const rows: Array<{ spec: CaseSpec; result?: CaseResult; note?: string }> = [];
  for (const kind of ['import', 'matching'] as const) {
    for (const backend of ['nedb', 'postgres'] as const) {
      if (ONLY.length && !ONLY.some((w) => w === kind || w === backend)) continue;
      let skipRest: string | undefined;
      for (const n of sizes) {
        const spec = { kind, backend, n, dir: '' };
        if (backend === 'postgres' && pgDown) {
          rows.push({ spec, note: `skipped: PostgreSQL not reachable (${pgDown})` });
          continue;
        }
        if (skipRest) {
          rows.push({ spec, note: `skipped: the smaller case already stopped (${skipRest})` });
          continue;
        }
        spec.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbsync-scale-'));
        const r = await spawnCase(spec);
        const note = r.stopped ?? r.failed;
        if (note) skipRest = note;
        rows.push({ spec, result: r.result, note: note ?? r.result?.detail });
        const line = r.result ? `${(r.result.ms / 1000).toFixed(1)} s, peak RSS ${r.result.peakRssMb} MB` : note;
        console.log(`${kind} ${backend} ${n.toLocaleString('en-US')}: ${line}`);
      }
    }
  }

  const lines = ['', `## bench:scale — import and matching as N grows (each case its own process; peak RSS = its maxRSS)`, ''];
  lines.push('| case | backend | N | wall s | µs / record | setup s | peak RSS MB | heap MB | notes |');
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const { spec, result, note } of rows) {
    const r = result;
    lines.push(`| ${spec.kind} | ${spec.backend} | ${spec.n.toLocaleString('en-US')} | ${r ? (r.ms / 1000).toFixed(1) : '–'} | ${r ? ((r.ms * 1000) / spec.n).toFixed(1) : '–'} | ${r ? (r.setupMs / 1000).toFixed(1) : '–'} | ${r ? r.peakRssMb : '–'} | ${r ? r.heapMb : '–'} | ${note ?? ''} |`);
  }
  const at = (kind: Case, backend: Backend, n: number) => rows.find((r) => r.spec.kind === kind && r.spec.backend === backend && r.spec.n === n)?.result;
  const largest = sizes[sizes.length - 1] as number;
  const smallest = sizes[0] as number;
  for (const kind of ['import', 'matching'] as const) {
    for (const backend of ['postgres', 'nedb'] as const) {
      const big = at(kind, backend, largest);
      const small = at(kind, backend, smallest);
      if (!big || !small || largest === smallest) continue;
      const rss = big.peakRssMb / small.peakRssMb;
      const perRecord = big.ms / largest / (small.ms / smallest);
      const target = backend === 'postgres' ? ` (target: flat, under 300 MB at 1,000,000: ${big.peakRssMb} MB)` : '';
      lines.push('', `ratio ${kind} ${backend} peak RSS ${largest.toLocaleString('en-US')} / ${smallest.toLocaleString('en-US')}: ${rss.toFixed(2)}×${target}; time per record: ${perRecord.toFixed(2)}×`);
    }
  }
  console.log(lines.join('\n'));
}

if (process.env.QB_BENCH_SCALE_CASE) {
  runCase(JSON.parse(process.env.QB_BENCH_SCALE_CASE) as CaseSpec).then(
    (r) => {
      console.log(JSON.stringify(r));
      process.exit(0); // nedb: no compaction of the datafiles on the way out (the folder is removed)
    },
    (err) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exit(1);
    },
  );
} else {
  run(main);
}
