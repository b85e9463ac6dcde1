import { dirname } from 'node:path';
import { startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../src/db/database.js';
import { drivers, type TestDatabase } from './support/databases.js';
import { startInstance, testConfig } from './support/harness.js';
import { migrateTo } from './support/migrations.js';
import { startToExit } from './support/start-to-exit.js';

const ISSUER = 'https://idp.test/realms/todo-app';
const AT = '2025-03-01T08:00:00.000Z';
const BEFORE = '008-agent-clients';

/** What the upgrade could change: the migrations recorded, the columns, the rows. */
async function snapshot(db: Db) {
  const recorded = await sql<{ name: string }>`select name from kysely_migration order by name`
    .execute(db.kysely)
    .then((r) => r.rows.map((row) => row.name));
  const columns =
    db.dialect === 'postgres'
      ? await sql<{ name: string }>`select table_name || '.' || column_name as name
          from information_schema.columns where table_schema = current_schema()
          order by table_name, column_name`.execute(db.kysely)
      : await sql<{ name: string }>`select m.name || '.' || p.name as name
          from sqlite_master m, pragma_table_info(m.name) p
          where m.type = 'table' order by m.name, p.name`.execute(db.kysely);
  const triggers =
    db.dialect === 'postgres'
      ? []
      : (
          await sql<{ name: string }>`select name from sqlite_master where type = 'trigger'
            order by name`.execute(db.kysely)
        ).rows.map((r) => r.name);
  const owners = await db.kysely
    .selectFrom('owners')
    .select(['sub', 'username', 'email'])
    .orderBy('sub')
    .execute();
  const todos = await db.kysely
    .selectFrom('todos')
    .select(['id', 'title', 'list_id'])
    .orderBy('id')
    .execute();
  return { recorded, columns: columns.rows.map((r) => r.name), triggers, owners, todos };
}

/**
 * An upgrade that fails part-way (here 011 meets a table someone created by hand, after 009 and
 * 010 ran) leaves the database exactly as it was: the migrations of one start are one
 * transaction on both engines (PostgreSQL's DDL is transactional, and so is SQLite's). Had 010
 * been kept, every recorded email would be gone while the API refused to start. The API says
 * why in one line and exits non-zero.
 */
describe.each(drivers)('an upgrade that fails part-way on $driver', ({ driver, skip, create }) => {
  let idp: TestIssuer;
  let database: TestDatabase;
  let before: Awaited<ReturnType<typeof snapshot>>;

  beforeAll(async () => {
    if (skip) return;
    idp = await startTestIssuer();
    database = await create();
    const db = openDatabase(database.config);
    try {
      await migrateTo(db, BEFORE);
      await db.kysely
        .insertInto('owners')
        .values({
          issuer: ISSUER,
          sub: 'alice-sub',
          username: 'alice',
          email: 'alice@example.com',
          department: null,
          last_seen_at: AT,
        })
        .execute();
      const list = '0b6c1a52-9b0e-4a7e-9d1a-a11ce0000001';
      await db.kysely
        .insertInto('lists')
        .values({
          id: list,
          owner_issuer: ISSUER,
          owner_sub: 'alice-sub',
          name: 'My todos',
          is_default: db.bool(true),
          created_at: AT,
          updated_at: AT,
        })
        .execute();
      await db.kysely
        .insertInto('todos')
        .values({
          id: '1b6c1a52-9b0e-4a7e-9d1a-a11ce0000001',
          list_id: list,
          owner_issuer: ISSUER,
          owner_sub: 'alice-sub',
          title: 'kept',
          description: null,
          completed: db.bool(false),
          created_at: AT,
          updated_at: AT,
        } as never)
        .execute();
      // What migration 011 creates, made by hand (a restore, an operator's experiment).
      await sql`create table agent_grant_ends (note text)`.execute(db.kysely);
      before = await snapshot(db);
    } finally {
      await db.close();
    }
  }, 60_000);

  afterAll(async () => {
    await idp?.close();
    await database?.drop();
  });

  it.skipIf(skip)('refuses to start and leaves the database as it was', async () => {
    expect(before.recorded.at(-1)).toBe(BEFORE);
    await expect(startInstance(testConfig(idp, database.config))).rejects.toMatchObject({
      code: 'ERR_API_MIGRATION',
      message: expect.stringMatching(/^migration 011-agent-grant-ends failed: /),
    });
    const db = openDatabase(database.config);
    try {
      expect(await snapshot(db)).toEqual(before);
    } finally {
      await db.close();
    }
  });

  it.skipIf(skip)('exits non-zero with one line saying which migration failed', async () => {
    const { code, lines } = await startToExit({
      OIDC_ISSUER: idp.issuer,
      ...(database.config.kind === 'sqlite'
        ? { DATA_DIR: dirname(database.config.file) }
        : { DATABASE_URL: database.config.url }),
    });
    const stderr = lines.join('\n');
    expect(code, stderr).not.toBe(0);
    // Besides the configuration's warnings, one line: the reason, no stack trace.
    expect(
      lines.filter((line) => !line.startsWith('todo-api: warning: ')),
      stderr,
    ).toEqual([
      expect.stringMatching(/^todo-api: failed to start: migration 011-agent-grant-ends failed: /),
    ]);
    expect(stderr).not.toMatch(/\n\s+at /);
    const db = openDatabase(database.config);
    try {
      expect(await snapshot(db), driver).toEqual(before);
    } finally {
      await db.close();
    }
  });
});
