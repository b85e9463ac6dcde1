import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

interface LogLine {
  level: number;
  msg: string;
  peer?: string;
  header?: string;
}

/**
 * The production server behind a reverse proxy it was not told about (TRUST_PROXY unset): the
 * first request that carries forwarding headers logs one warning naming TRUST_PROXY, since every
 * client then shares the proxy's address and DPoP proofs for the public URL fail. Read from
 * standard output as a log shipper would.
 */
describe('forwarding headers without TRUST_PROXY', () => {
  const distServer = new URL('../dist/server.js', import.meta.url).pathname;
  let idp: TestIssuer;
  let dir: string;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    idp = await startTestIssuer();
    dir = mkdtempSync(join(tmpdir(), 'todo-sso-proxy-'));
  });
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'close');
    }
  });
  afterAll(async () => {
    await idp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The server's log lines once it has exited (every pending line written). */
  async function run(
    env: Record<string, string>,
    requests: Record<string, string>[],
  ): Promise<LogLine[]> {
    const spawned = spawn(process.execPath, [distServer], {
      env: {
        PATH: process.env.PATH ?? '',
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: mkdtempSync(join(dir, 'data-')),
        OIDC_ISSUER: idp.issuer,
        LOG_LEVEL: 'info',
        ...env,
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
    for (const headers of requests) await (await fetch(`${url}/todos/`, { headers })).text();
    spawned.kill('SIGTERM');
    await once(spawned, 'close');
    return out
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
  }

  const warnings = (lines: LogLine[]) => lines.filter((l) => /TRUST_PROXY/.test(l.msg));

  it('warns once, naming TRUST_PROXY and the peer, never the header value', async () => {
    const lines = await run({}, [
      { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' },
      { 'x-forwarded-for': '203.0.113.8' },
      { forwarded: 'for=203.0.113.9;proto=https' },
    ]);
    const found = warnings(lines);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ level: 40, peer: '127.0.0.1', header: 'x-forwarded-for' });
    expect(found[0]?.msg).toMatch(
      /^a request arrived with x-forwarded-for but TRUST_PROXY is not set, .*set TRUST_PROXY to the number of proxies in front of the API \(usually 1\)/,
    );
    expect(JSON.stringify(lines)).not.toContain('203.0.113.');
  }, 30_000);

  // The tests that start the production server twice have 60 s, a bound on a hang, not on
  // speed: one start took 14-17 s on two shared cores at load average 16, and two of them
  // passed 30 s there.
  it('says nothing when TRUST_PROXY is set, or when no request is forwarded', async () => {
    const trusted = await run({ TRUST_PROXY: '1' }, [{ 'x-forwarded-for': '203.0.113.7' }]);
    expect(warnings(trusted)).toEqual([]);
    const direct = await run({}, [{}, {}]);
    expect(warnings(direct)).toEqual([]);
  }, 60_000);

  /**
   * A proxy on this machine that forwards nginx's default `Host: 127.0.0.1:PORT` without
   * X-Forwarded-Host: the API reads its requests as direct local ones, so proofs naming
   * API_PUBLIC_URL are refused; one warning says which proxy settings to change.
   */
  const loopbackHost = (lines: LogLine[]) => lines.filter((l) => /loopback Host/.test(l.msg));
  const behindProxy = { API_PUBLIC_URL: 'https://todo.example.com', TRUST_PROXY: 'loopback' };

  it('warns once about a proxy that forwards a loopback Host without X-Forwarded-Host', async () => {
    const xff = { 'x-forwarded-for': '203.0.113.7' };
    const lines = await run(behindProxy, [xff, xff]);
    const found = loopbackHost(lines);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ level: 40, peer: '127.0.0.1' });
    expect(found[0]?.msg).toMatch(
      /^a proxy forwarded a request to http:\/\/127\.0\.0\.1:\d+ with a loopback Host and no X-Forwarded-Host, .*DPoP proofs naming API_PUBLIC_URL \(https:\/\/todo\.example\.com\) are refused.*proxy_set_header Host \$host;/,
    );
    // The warning names the proxy's address, not the client's (the request log does, by design).
    expect(JSON.stringify(found)).not.toContain('203.0.113.');
  }, 30_000);

  it('says nothing of it for the public host forwarded, a direct request, or no API_PUBLIC_URL', async () => {
    const forwarded = { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-host': 'todo.example.com' };
    expect(loopbackHost(await run(behindProxy, [forwarded, {}]))).toEqual([]);
    const xff = { 'x-forwarded-for': '203.0.113.7' };
    expect(loopbackHost(await run({ TRUST_PROXY: 'loopback' }, [xff]))).toEqual([]);
  }, 60_000);
});
