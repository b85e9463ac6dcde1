import { spawn } from 'node:child_process';
import { once } from 'node:events';

const server = new URL('../../dist/server.js', import.meta.url).pathname;

/**
 * Starts the built API with only `env` (and PATH, silent logs, an ephemeral port on 127.0.0.1)
 * for a start that must fail, and waits for it to exit (killed after 30 s): its exit code and
 * the lines it wrote to stderr.
 */
export async function startToExit(
  env: Record<string, string>,
): Promise<{ code: number; lines: string[] }> {
  const child = spawn(process.execPath, [server], {
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
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const [code] = (await once(child, 'exit')) as [number];
  clearTimeout(timer);
  return { code, lines: stderr.trim().split('\n') };
}
