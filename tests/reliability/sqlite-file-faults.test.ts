import { mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import Libsql from 'libsql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildApi, spawnApi } from './support/child-api.js';

/**
 * The SQLite file or its write-ahead log deleted, or the file replaced, under the running API
 * (the production process, `dist/server.js`). SQLite keeps writing to the open file, which no one
 * else sees and which is gone when the API stops, and answers success: the API instead answers
 * each write 503 with `Retry-After` and `/readyz` 503, and after a restart the file holds what
 * was acknowledged before, consistent.
 */
describe('SQLite file deleted or replaced under the running API', () => {
  let idp: TestIssuer;
  let token: string;
  beforeAll(async () => {
    idp = await startTestIssuer({ profile: 'keycloak' });
    token = await idp.accessToken(alice);
  });
  afterAll(async () => {
    await idp?.close();
  });

  async function post(api: ChildApi, title: string) {
    const response = await fetch(`${api.url}/todos/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      code: body.code,
    };
  }

  const faults: Record<string, (dir: string) => void> = {
    'the write-ahead log deleted': (dir) => unlinkSync(join(dir, 'todo.db-wal')),
    'the file deleted': (dir) => unlinkSync(join(dir, 'todo.db')),
    'the file replaced by another': (dir) => {
      writeFileSync(join(dir, 'other.db'), '');
      renameSync(join(dir, 'other.db'), join(dir, 'todo.db'));
    },
  };

  it.each(Object.keys(faults))(
    '%s: writes 503, /readyz 503, nothing acknowledged lost',
    async (fault) => {
      const dir = mkdtempSync(join(tmpdir(), 'todo-moved-'));
      let api = await spawnApi({ OIDC_ISSUER: idp.issuer, DATA_DIR: dir, LOG_LEVEL: 'silent' });
      try {
        expect((await post(api, 'before')).status).toBe(201);
        faults[fault]?.(dir);
        const unavailable = { status: 503, retryAfter: '5', code: 'unavailable' };
        expect(await post(api, 'after 1')).toEqual(unavailable);
        expect(await post(api, 'after 2')).toEqual(unavailable);
        const ready = await fetch(`${api.url}/readyz`);
        expect(ready.status).toBe(503);
        expect(await ready.json()).toMatchObject({ checks: { database: false } });
        await api.stop();
        if (fault !== 'the write-ahead log deleted') return;
        // The log's writes reach the file when the API closes it: what was acknowledged is kept.
        const db = new Libsql(join(dir, 'todo.db'));
        try {
          expect(db.prepare('PRAGMA integrity_check').all()).toEqual([{ integrity_check: 'ok' }]);
          expect(db.prepare('select title from todos').all()).toEqual([{ title: 'before' }]);
        } finally {
          db.close();
        }
        api = await spawnApi({ OIDC_ISSUER: idp.issuer, DATA_DIR: dir, LOG_LEVEL: 'silent' });
        expect((await post(api, 'after restart')).status).toBe(201);
      } finally {
        await api.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    },
    90_000,
  );
});
