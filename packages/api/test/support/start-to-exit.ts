import { spawn } from 'node:child_process';
import { once } from 'node:events';

const server = new URL('../../dist/server.js', import.meta.url).pathname;

/** How long a start that must fail may take: well within a test's own 30 s. */
const KILL_AFTER_SECONDS = 20;

/**
 * Starts the built API with only `env` (and PATH, silent logs, an ephemeral port on 127.0.0.1)
 * for a start that must fail, and waits for it to exit: its exit code and the lines it wrote to
 * stderr. A start that does not exit (it started after all, or hangs) is killed after
 * {@link KILL_AFTER_SECONDS}, before the test times out, and its lines end with one saying so:
 * the test then fails on what the API wrote, not as a timeout that shows nothing.
 */
export async function startToExit(
  env: Record<string, string>,
  /** Another user to run as (the test runs as root, to whom no file is read-only). */
  user?: { readonly uid: number; readonly gid: number },
): Promise<{ code: number | null; lines: string[] }> {
  const child = spawn(process.execPath, [server], {
    ...user,
    env: {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'silent',
      HOST: '127.0.0.1',
      PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, KILL_AFTER_SECONDS * 1000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  const written = stderr.trim();
  const lines = written === '' ? [] : written.split('\n');
  if (killed) lines.push(`(still running after ${KILL_AFTER_SECONDS} s: killed)`);
  return { code, lines };
}
