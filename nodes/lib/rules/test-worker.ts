/**
 * The worker thread that runs one rule test (see `sandbox.ts`): compiles and evaluates the rule with
 * the same engine, limits and helpers as the runtime, and posts the outcome back as JSON text.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { testRule } from './rule';

interface Job {
  name: string;
  source: string;
  sample: unknown;
  maxAnswer: number;
}

const job = workerData as Job;
void testRule(job.name, job.source, job.sample)
  .then((outcome) => {
    let text: string | undefined;
    try {
      text = JSON.stringify(outcome);
    } catch (err) {
      text = undefined;
    }
    if (text === undefined || text.length > job.maxAnswer) {
      const message = text === undefined
        ? `Rule "${job.name}" gave a result that cannot be shown as JSON`
        : `Rule "${job.name}" gave a result larger than ${job.maxAnswer.toLocaleString('en-US')} characters`;
      text = JSON.stringify({ ok: false, error: { message, code: 'QB_RESULT_TOO_LARGE' } });
    }
    parentPort?.postMessage(text);
  });
