/**
 * The API's SQLite database holds every person's todos and shares and the audit log: the folder
 * and the files it creates for it are its user's alone, whatever the umask, as `npm start` and
 * the development IdP keep theirs. A folder that exists keeps its mode.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';

const scratch = mkdtempSync(join(tmpdir(), 'todo-api-sqlite-modes-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const mode = (path: string) => statSync(path).mode & 0o777;

describe.skipIf(process.platform === 'win32')('the SQLite folder and files the API creates', () => {
  it('are 0700 and 0600, the -wal and -shm files too, under a umask that would open them', async () => {
    chmodSync(scratch, 0o755);
    const dir = join(scratch, 'data', 'nested');
    const file = join(dir, 'todo.db');
    const umask = process.umask(0o022);
    const db = openDatabase({ kind: 'sqlite', file });
    try {
      await migrateToLatest(db);
      expect(mode(join(scratch, 'data'))).toBe(0o700);
      expect(mode(dir)).toBe(0o700);
      expect(mode(file)).toBe(0o600);
      for (const side of [`${file}-wal`, `${file}-shm`])
        if (existsSync(side)) expect(mode(side), side).toBe(0o600);
      expect(existsSync(`${file}-wal`)).toBe(true);
    } finally {
      await db.close();
      process.umask(umask);
    }
  });

  it('leave a folder that exists as it is, and a file that exists', async () => {
    const dir = join(scratch, 'shared');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    const db = openDatabase({ kind: 'sqlite', file: join(dir, 'todo.db') });
    await migrateToLatest(db);
    await db.close();
    expect(mode(dir)).toBe(0o755);
    expect(mode(join(dir, 'todo.db'))).toBe(0o600);
    chmodSync(join(dir, 'todo.db'), 0o640);
    const again = openDatabase({ kind: 'sqlite', file: join(dir, 'todo.db') });
    await migrateToLatest(again);
    await again.close();
    expect(mode(join(dir, 'todo.db'))).toBe(0o640);
  });

  it('makes no file for an in-memory database (":memory:"), as SQLite makes none', async () => {
    const dir = join(scratch, 'in-memory');
    mkdirSync(dir);
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const db = openDatabase({ kind: 'sqlite', file: ':memory:' });
      await migrateToLatest(db);
      await db.close();
    } finally {
      process.chdir(cwd);
    }
    expect(readdirSync(dir)).toEqual([]);
  });
});
