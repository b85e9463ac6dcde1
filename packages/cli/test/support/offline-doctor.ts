import { join } from 'node:path';
import { main } from '../../src/main.js';

/**
 * Runs `todo doctor <args>` in-process with its configuration and data under `dir` and a
 * provider that is never reached (every fetch fails), for the checks that do not depend on it:
 * what it printed (standard output) and its exit code.
 */
export async function offlineDoctor(
  dir: string,
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const code = await main(['doctor', ...args], {
    out: (text) => out.push(text),
    err: () => {},
    env: { TODO_CONFIG_DIR: join(dir, 'config'), DATA_DIR: join(dir, 'data'), ...env },
    fetch: async () => {
      throw new TypeError('fetch failed');
    },
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    openBrowser: async () => false,
  });
  return { code, out: out.join('\n') };
}
