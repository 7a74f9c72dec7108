import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from './net';

const root = path.resolve(__dirname, '..', '..', '..');

/** Node-RED started as `npm start` starts it (scripts/start.js), in a process of its own. */
export interface RedProcess {
  readonly base: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** Whether the process is still running. */
  alive(): boolean;
  stop(): Promise<void>;
}

/** `scripts/start.js` in a process of its own, everything it prints collected. */
function spawnStart(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [path.join(root, 'scripts', 'start.js')], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  return { child, output: () => output };
}

/**
 * Starts `scripts/start.js` with `env` on a free port and waits for "Started flows" (rejects with the
 * output when the process exits or does not start within 30 s). The user directory decides which flows
 * run: a new one gets the shipped flows.
 */
export async function startRed(userDir: string, env: Record<string, string> = {}): Promise<RedProcess> {
  const port = await freePort();
  const { child, output: printed } = spawnStart({ PORT: String(port), QB_USER_DIR: userDir, QB_STORE_DIR: path.join(userDir, 'store'), ...env });
  let exited = false;
  child.on('exit', () => (exited = true));
  const red: RedProcess = {
    base: `http://127.0.0.1:${port}`,
    port,
    child,
    output: printed,
    alive: () => !exited,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Node-RED did not start within 30 s:\n${printed()}`)), 30_000);
    const check = () => {
      if (printed().includes('Started flows')) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Node-RED exited with ${code}:\n${printed()}`));
    });
  });
  return red;
}

/** Runs `scripts/start.js` expecting it to refuse to start; resolves with its exit code and output. */
export function startRedRefused(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const { child, output } = spawnStart(env);
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output: output() });
    }),
  );
}
