/**
 * The rule tester's engine for the admin route: each test runs in its own worker thread with a heap
 * limit and a hard wall-clock (the worker is terminated past it), one test at a time, so no rule an
 * admin types can block or exhaust the Node-RED process. The rule itself runs with the same engine,
 * limits and helpers as on records (`testRule`).
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { RuleTestOutcome } from './rule';

export interface SandboxOptions {
  /** Milliseconds a test may take in all (start-up included) before its worker is terminated. */
  wallMs: number;
  /** Old-generation heap of the worker (MB); past it the worker is stopped, not the process. */
  heapMb: number;
  /** Milliseconds a test waits for the one running before it is answered "busy". */
  queueMs: number;
  /** Largest answer (characters of JSON) a test may give. */
  maxAnswer: number;
}

export const SANDBOX_DEFAULTS: Readonly<SandboxOptions> = Object.freeze({ wallMs: 5000, heapMb: 128, queueMs: 2000, maxAnswer: 2_000_000 });

/** Another test is running and did not finish within `queueMs`. */
export class SandboxBusyError extends Error {
  readonly code = 'QB_RULE_TEST_BUSY';
}

let running: Promise<unknown> | null = null;

function failure(message: string, code: string): RuleTestOutcome {
  return { ok: false, error: { message, code } };
}

/** Runs one test in a fresh worker; resolves with its outcome, never rejects. */
function runInWorker(name: string, source: string, sample: unknown, options: SandboxOptions): Promise<RuleTestOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    let worker: Worker;
    const settle = (outcome: RuleTestOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker?.terminate().catch(() => undefined);
      resolve(outcome);
    };
    const timer = setTimeout(
      () => settle(failure(`Rule "${name}" was stopped: the test ran longer than ${options.wallMs} ms`, 'QB_RULE_TEST_TIMEOUT')),
      options.wallMs,
    );
    try {
      worker = new Worker(path.join(__dirname, 'test-worker.js'), {
        workerData: { name, source, sample, maxAnswer: options.maxAnswer },
        resourceLimits: { maxOldGenerationSizeMb: options.heapMb, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
        stdout: true,
        stderr: true,
      });
    } catch (err) {
      settle(failure(`Rule "${name}" could not be tested: ${(err as Error).message}`, 'QB_RULE_TEST_FAILED'));
      return;
    }
    worker.on('message', (text: string) => {
      try {
        settle(JSON.parse(text) as RuleTestOutcome);
      } catch {
        settle(failure(`Rule "${name}" gave an answer that could not be read`, 'QB_RULE_TEST_FAILED'));
      }
    });
    worker.on('error', (err: Error & { code?: string }) => {
      const message =
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `Rule "${name}" was stopped: it needed more than ${options.heapMb} MB of memory`
          : `Rule "${name}" failed: ${err.message}`;
      settle(failure(message, err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'QB_RULE_TEST_MEMORY' : 'QB_RULE_TEST_FAILED'));
    });
    worker.on('exit', (code) => settle(failure(`Rule "${name}" was stopped (worker exit code ${code})`, 'QB_RULE_TEST_FAILED')));
  });
}

/**
 * Tests a rule against a sample in a worker thread. One test runs at a time: a second one waits up
 * to `queueMs` for it, then rejects with `SandboxBusyError`. Otherwise never rejects.
 */
export async function testRuleIsolated(name: string, source: string, sample: unknown, overrides: Partial<SandboxOptions> = {}): Promise<RuleTestOutcome> {
  const options = { ...SANDBOX_DEFAULTS, ...overrides };
  const deadline = Date.now() + options.queueMs;
  while (running) {
    const left = deadline - Date.now();
    if (left <= 0) throw new SandboxBusyError('another rule test is running; try again in a moment');
    let wake: NodeJS.Timeout | undefined;
    await Promise.race([running, new Promise((r) => (wake = setTimeout(r, left)))]);
    clearTimeout(wake);
  }
  const run = runInWorker(name, source, sample, options);
  running = run;
  try {
    return await run;
  } finally {
    if (running === run) running = null;
  }
}
