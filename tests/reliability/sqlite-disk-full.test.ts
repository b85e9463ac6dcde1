import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import Libsql from 'libsql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildApi, spawnApi } from './support/child-api.js';

/** `prlimit` (util-linux) sets a running process's limits. */
const hasPrlimit = spawnSync('prlimit', ['--version']).status === 0;

/**
 * The API on its SQLite file when the file can no longer grow: the disk is full, or the
 * process's file size limit (RLIMIT_FSIZE, `ulimit -f`) is reached. The API process is the
 * production one (`dist/server.js`); its limit is lowered while it runs, to just above what its
 * files hold. A write is then 503 with `Retry-After` (SQLite rolled it back), never a 500; the
 * API serves again once the file can grow, and the file is consistent, each stored todo with its
 * audit record.
 */
describe.skipIf(!hasPrlimit)('SQLite file that cannot grow under the running API', () => {
  let dir: string;
  let idp: TestIssuer;
  let api: ChildApi;
  let token: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'todo-full-'));
    idp = await startTestIssuer({ profile: 'keycloak' });
    api = await spawnApi({ OIDC_ISSUER: idp.issuer, DATA_DIR: dir, LOG_LEVEL: 'silent' });
    token = await idp.accessToken(alice);
  }, 90_000);
  afterAll(async () => {
    await api?.stop();
    await idp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = async (title: string) => {
    const response = await fetch(`${api.url}/todos/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title, description: 'x'.repeat(1000) }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body };
  };

  /** The API process's file size limit: soft `bytes`, hard unlimited (so it can be raised back). */
  const limitFileSize = (bytes: number | 'unlimited') =>
    execFileSync('prlimit', [`--pid=${api.child.pid}`, `--fsize=${bytes}:unlimited`]);

  it('answers writes 503 with Retry-After, serves again once the file can grow, and stays consistent', async () => {
    expect((await post('before')).status).toBe(201);
    const largest = Math.max(
      ...['todo.db', 'todo.db-wal'].map((file) => statSync(join(dir, file)).size),
    );
    limitFileSize(largest + 8192);
    const answers = [];
    for (let i = 0; i < 20; i += 1) answers.push(await post(`while full ${i}`));
    limitFileSize('unlimited');

    const unexpected = answers.filter(
      (a) =>
        a.status !== 201 &&
        !(a.status === 503 && a.retryAfter === '5' && a.body.code === 'unavailable'),
    );
    expect(unexpected).toEqual([]);
    expect(answers.filter((a) => a.status === 503).length).toBeGreaterThan(0);
    expect((await post('after')).status).toBe(201);
    expect(api.child.exitCode).toBeNull();

    await api.stop();
    const db = new Libsql(join(dir, 'todo.db'));
    try {
      expect(db.prepare('PRAGMA integrity_check').all()).toEqual([{ integrity_check: 'ok' }]);
      const todos = db.prepare('select title from todos order by created_at').all() as {
        title: string;
      }[];
      const stored = answers.filter((a) => a.status === 201).map((a) => a.body.title);
      expect(todos.map((t) => t.title)).toEqual(['before', ...stored, 'after']);
      const audited = db
        .prepare(`select count(*) as n from audit_log where action = 'todo.create'`)
        .get() as { n: number };
      expect(audited.n).toBe(todos.length);
    } finally {
      db.close();
    }
  }, 60_000);
});
