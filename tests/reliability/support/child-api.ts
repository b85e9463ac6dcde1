import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const server = `${root}packages/api/dist/server.js`;

/**
 * Brings `packages/api/dist` up to date with `tsc -b` (incremental, cheap when nothing
 * changed), one build at a time across test files. A failing build keeps an existing `dist`.
 */
export async function ensureApiBuilt(): Promise<string> {
  await new Promise<void>((resolve) => {
    execFile(
      'flock',
      ['/tmp/todo-sso-api-build.lock', `${root}node_modules/.bin/tsc`, '-b', 'packages/api'],
      { cwd: root, timeout: 120_000 },
      () => resolve(),
    );
  });
  if (!existsSync(server)) throw new Error('packages/api/dist/server.js could not be built');
  return server;
}

/** `node packages/api/dist/server.js` as production runs it, configured by the environment. */
export interface ChildApi {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the process wrote so far. */
  output(): string;
  /** Resolves when the process ends. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal; resolves when the process has ended. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * The node flags of `npm start` in `packages/api` (`node <flags> dist/server.js`), which the
 * container image's `CMD` repeats: the child runs with the heap settings production uses.
 */
export function productionNodeFlags(): string[] {
  const manifest = JSON.parse(readFileSync(`${root}packages/api/package.json`, 'utf8')) as {
    scripts?: { start?: string };
  };
  const words = (manifest.scripts?.start ?? '').split(/\s+/).filter(Boolean);
  if (words[0] !== 'node' || words.at(-1) !== 'dist/server.js') {
    throw new Error(
      `packages/api's start script is not "node <flags> dist/server.js": ${words.join(' ')}`,
    );
  }
  return words.slice(1, -1);
}

export async function spawnApi(env: Record<string, string>): Promise<ChildApi> {
  const entry = await ensureApiBuilt();
  const child = spawn(process.execPath, [...productionNodeFlags(), entry], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'error',
      RATE_LIMIT_PER_MINUTE: '1000000',
      OIDC_AUDIENCE: 'todo-api',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    // Bounds a hang, not speed: on a loaded machine a start can take well over ten seconds.
    const timer = setTimeout(() => reject(new Error(`API did not start: ${output}`)), 60_000);
    const look = () => {
      const match = /listening on (http:\/\/[^\s]+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', look);
    exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`API exited at start: ${output}`));
    });
  });
  return {
    url,
    child,
    output: () => output,
    exited,
    stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
