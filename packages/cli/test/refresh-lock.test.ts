import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeLockHolding, withRefreshLock } from '../src/store/refresh-lock.js';
import { runTodo, writeSession } from './support/run.js';

/**
 * The lock that keeps two `todo` commands from redeeming one refresh token, left behind by a
 * command that was killed while it held it (Ctrl-C during a refresh: no `finally` runs). The
 * next command must not wait for it and then fail; it takes the lock over once its owner is
 * gone. The provider is a real HTTP server.
 */
let server: Server;
let issuer: string;
let dir: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', issuer).pathname;
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          path === '/.well-known/openid-configuration'
            ? { issuer, token_endpoint: `${issuer}/token` }
            : { access_token: 'fresh', token_type: 'Bearer', expires_in: 300 },
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), 'todo-lock-'));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('the refresh lock of a command that was killed', () => {
  it('is taken over at once, not waited for', async () => {
    const session = {
      issuer,
      clientId: 'todo-cli',
      accessToken: 'expired',
      refreshToken: 'refresh-1',
      expiresAt: Date.now() - 1000,
    };
    writeSession(dir, session);
    // A process that has exited: its pid names nobody now.
    const dead = Number(
      execFileSync(process.execPath, ['-p', 'process.pid'], { encoding: 'utf8' }),
    );
    await writeFile(join(dir, '.refresh.lock'), `${dead} 0123456789abcdef`, { mode: 0o600 });
    const started = Date.now();
    const { code, err, out } = await runTodo(
      {
        TODO_CONFIG_DIR: dir,
        TODO_ISSUER: issuer,
        TODO_API_URL: 'http://127.0.0.1:9',
        TODO_TOKEN_STORE: 'file',
      },
      ['token'],
    );
    expect([code, err, out]).toEqual([0, '', 'fresh']);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(existsSync(join(dir, '.refresh.lock'))).toBe(false);
  });
});

/**
 * Two commands that find the same dead lock: the first removes it and creates its own, and the
 * second, which read the dead lock a moment before, must not then remove the first one's live
 * lock by name, or both redeem the refresh token and a rotating provider ends the session.
 */
describe('taking over a dead lock', () => {
  const deadStamp = '999999999 0123456789abcdef';

  it('removes the lock when it is still the dead one', async () => {
    const lockDir = await mkdtemp(join(tmpdir(), 'todo-lock-dead-'));
    const path = join(lockDir, '.refresh.lock');
    await writeFile(path, deadStamp, { mode: 0o600 });
    removeLockHolding(path, deadStamp);
    expect(await readdir(lockDir)).toEqual([]);
    await rm(lockDir, { recursive: true, force: true });
  });

  it('leaves a live lock in its place when another command took the dead one over first', async () => {
    const lockDir = await mkdtemp(join(tmpdir(), 'todo-lock-live-'));
    const path = join(lockDir, '.refresh.lock');
    const live = `${process.pid} fedcba9876543210`;
    await writeFile(path, live, { mode: 0o600 });
    removeLockHolding(path, deadStamp);
    expect(await readFile(path, 'utf8')).toBe(live);
    expect(await readdir(lockDir)).toEqual(['.refresh.lock']);
    await rm(lockDir, { recursive: true, force: true });
  });

  it('is not blocked by a command killed while it was removing the dead lock', async () => {
    const lockDir = await mkdtemp(join(tmpdir(), 'todo-lock-marker-'));
    const path = join(lockDir, '.refresh.lock');
    await writeFile(path, deadStamp, { mode: 0o600 });
    // The marker that command created before it was killed; its pid names nobody now.
    const digest = createHash('sha256').update(deadStamp).digest('hex').slice(0, 16);
    await writeFile(`${path}.removing-${digest}`, '999999998 00112233', { mode: 0o600 });
    const started = Date.now();
    expect(await withRefreshLock(lockDir, async () => readFile(path, 'utf8'))).toMatch(
      new RegExp(`^${process.pid} `),
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await readdir(lockDir)).toEqual([]);
    await rm(lockDir, { recursive: true, force: true });
  });

  it('lets one of several commands at a time hold it, each taking the dead lock over', async () => {
    const lockDir = await mkdtemp(join(tmpdir(), 'todo-lock-many-'));
    await writeFile(join(lockDir, '.refresh.lock'), deadStamp, { mode: 0o600 });
    const held: string[] = [];
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        withRefreshLock(lockDir, async () => {
          inside += 1;
          most = Math.max(most, inside);
          held.push(String(i));
          await new Promise((resolve) => setTimeout(resolve, 20));
          inside -= 1;
        }),
      ),
    );
    expect([most, held.length]).toEqual([1, 6]);
    expect(await readdir(lockDir)).toEqual([]);
    await rm(lockDir, { recursive: true, force: true });
  });
});
