import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

/** How long a request line may take to reach standard output. */
const LOG_DELAY_MS = 1000;

/**
 * The production server (`dist/server.js`) writes its request lines to standard output
 * asynchronously: these tests read that output as a log shipper would.
 */
describe('request log on standard output', () => {
  const distServer = new URL('../dist/server.js', import.meta.url).pathname;
  let idp: TestIssuer;
  let dir: string;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    idp = await startTestIssuer();
    dir = mkdtempSync(join(tmpdir(), 'todo-sso-log-'));
  });
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });
  afterAll(async () => {
    await idp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(): Promise<{ url: string; stdout: () => string }> {
    const spawned = spawn(process.execPath, [distServer], {
      env: {
        PATH: process.env.PATH ?? '',
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: mkdtempSync(join(dir, 'data-')),
        OIDC_ISSUER: idp.issuer,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = spawned;
    let out = '';
    spawned.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    while (!/listening on (\S+)/.test(out) && spawned.exitCode === null)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const url = /listening on (\S+)/.exec(out)?.[1];
    if (url === undefined) throw new Error(`the API did not start: ${out}`);
    return { url, stdout: () => out };
  }

  /** The request lines of the output, by request id. */
  const requestLines = (out: string) =>
    out
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg: string; reqId: string; route: string })
      .filter((line) => line.msg === 'request completed');

  const call = async (url: string, n: number) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i += 1) {
      const res = await fetch(`${url}/healthz`);
      ids.push(res.headers.get('x-request-id') ?? '');
    }
    return ids;
  };

  it('writes a quiet server’s request lines within a second, one per request', async () => {
    const { url, stdout } = await start();
    const ids = await call(url, 3);
    const deadline = Date.now() + LOG_DELAY_MS + 2000;
    while (requestLines(stdout()).length < 3 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const lines = requestLines(stdout());
    expect(lines.map((l) => l.reqId).sort()).toEqual([...ids].sort());
    expect(lines.every((l) => l.route === '/healthz')).toBe(true);
  }, 30_000);

  it('writes every pending line before the process exits on SIGTERM', async () => {
    const { url, stdout } = await start();
    const ids = await call(url, 40);
    child?.kill('SIGTERM');
    const [code] = await once(child as ChildProcess, 'close');
    expect(code).toBe(0);
    // Every request's line, each once. Their order is the order the responses finished at the
    // server, which a client that has its answer's head may see overtaken by its next request's.
    expect(
      requestLines(stdout())
        .map((l) => l.reqId)
        .sort(),
    ).toEqual([...ids].sort());
  }, 30_000);
});
