/**
 * The benchmark harness every `bench/*.bench.ts` uses: run a phase, measure wall time, CPU and memory,
 * and print figures and ratios measured in the same run. Benchmarks print; they never assert on time.
 */
import { performance } from 'node:perf_hooks';

export interface Phase {
  name: string;
  records: number;
  ms: number;
  cpuMs: number;
  perSecond: number;
  /** Peak resident set size of the process so far, in MB (monotonic: the lifetime peak). */
  peakRssMb: number;
  heapUsedMb: number;
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** Runs `fn` once (after an optional warm-up) and measures it. */
export async function measure(name: string, records: number, fn: () => unknown | Promise<unknown>, options: { warmup?: () => unknown | Promise<unknown> } = {}): Promise<Phase> {
  if (options.warmup) await options.warmup();
  (globalThis as { gc?: () => void }).gc?.();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    name,
    records,
    ms: Math.round(ms * 10) / 10,
    cpuMs: Math.round((cpu.user + cpu.system) / 100) / 10,
    perSecond: Math.round(records / (ms / 1000)),
    peakRssMb: mb(process.resourceUsage().maxRSS * 1024),
    heapUsedMb: mb(process.memoryUsage().heapUsed),
  };
}

/** Prints a titled table of phases, then each named ratio (a/b of wall time). */
export function report(title: string, phases: Phase[], ratios: Array<{ label: string; of: Phase; to: Phase; target?: string }> = []): void {
  const lines = [`\n## ${title}`, ''];
  lines.push('| phase | records | wall ms | cpu ms | records/s | peak RSS MB | heap MB |');
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const p of phases) {
    lines.push(`| ${p.name} | ${p.records.toLocaleString('en-US')} | ${p.ms} | ${p.cpuMs} | ${p.perSecond.toLocaleString('en-US')} | ${p.peakRssMb} | ${p.heapUsedMb} |`);
  }
  for (const r of ratios) {
    const ratio = r.of.ms / r.to.ms;
    lines.push('', `ratio ${r.label}: ${ratio.toFixed(2)}×${r.target ? ` (target ${r.target})` : ''}`);
  }
  console.log(lines.join('\n'));
}

/** Runs a benchmark's main function, printing failures and setting the exit code. */
export function run(main: () => Promise<void>): void {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
