// A reporter for Node's test runner that records, per test file, each test and suite queued and each
// that finished (passed, failed, skipped or todo), one line per event appended at once to the file in
// QB_TEST_GUARD_FILE (appended synchronously: --test-force-exit ends the runner without flushing
// streams). scripts/test.js reads it and fails the run when a file ended before every queued test
// finished (cut short by force-exit, a crash or a stray process.exit), so no test is lost silently.
import fs from 'node:fs';

export default async function* guard(source) {
  const out = process.env.QB_TEST_GUARD_FILE;
  for await (const event of source) {
    const data = event.data ?? {};
    const kind = event.type === 'test:enqueue' ? 'queued' : event.type === 'test:pass' || event.type === 'test:fail' ? 'finished' : undefined;
    // The file itself is reported as a test of nesting 0 named by its path: only its own tests count.
    if (!kind || !out || data.name === data.file) continue;
    // a skipped or todo test passes; a failed one is counted as failed; suites are told apart
    fs.appendFileSync(out, `${JSON.stringify([kind, data.file ?? '', data.nesting, data.name, event.type !== 'test:fail', data.details?.type === 'suite'])}\n`);
  }
}
