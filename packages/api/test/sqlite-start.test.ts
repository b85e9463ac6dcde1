/**
 * The API started on an SQLite file it cannot create says so in one line naming DATA_DIR, as a
 * PostgreSQL it cannot use names the part of DATABASE_URL to check (database-url-start.test.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startToExit } from './support/start-to-exit.js';

const scratch = mkdtempSync(join(tmpdir(), 'todo-api-sqlite-start-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the API on an SQLite file it cannot create', () => {
  it('a DATA_DIR below a file: one line naming DATA_DIR, exit 1', async () => {
    writeFileSync(join(scratch, 'data'), '');
    const dataDir = join(scratch, 'data', 'sub');
    const { code, lines } = await startToExit({ DATA_DIR: dataDir });
    expect(code).toBe(1);
    expect(lines).toEqual([
      `todo-api: failed to start: the SQLite file ${join(dataDir, 'todo.db')} cannot be created or opened (ENOTDIR: not a directory, mkdir '${dataDir}'): set DATA_DIR to a directory this user can write, or DATABASE_URL to a PostgreSQL database`,
    ]);
  });
});
