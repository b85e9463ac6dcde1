import { carol } from '@todo-sso/auth/testing';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../src/db/database.js';
import { drivers, rowCount, useTestDatabase } from './support/databases.js';
import { suiteFixture } from './support/fixture.js';
import { type Harness, startHarness } from './support/harness.js';
import { callMcpTool } from './support/mcp.js';

const BASE = 'https://todo.example.com';

/**
 * The database itself refuses every insert into `audit_log` (a trigger raising an error), so
 * each audited write fails at its audit record, after its own rows were written in the same
 * transaction.
 */
async function refuseAuditInserts(db: Db): Promise<void> {
  if (db.dialect === 'sqlite') {
    await sql`CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log
              BEGIN SELECT RAISE(ABORT, 'audit refused'); END`.execute(db.kysely);
    return;
  }
  await sql`CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql
            AS $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$`.execute(db.kysely);
  await sql`CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log
            FOR EACH ROW EXECUTE FUNCTION refuse_audit()`.execute(db.kysely);
}

async function allowAuditInserts(db: Db): Promise<void> {
  if (db.dialect === 'sqlite') await sql`DROP TRIGGER refuse_audit`.execute(db.kysely);
  else await sql`DROP TRIGGER refuse_audit ON audit_log`.execute(db.kysely);
}

/** Every table an audited write touches, with its row count. */
async function counts(db: Db): Promise<Record<string, number>> {
  const tables = ['todos', 'lists', 'list_members', 'revocations', 'audit_log'] as const;
  return Object.fromEntries(
    await Promise.all(tables.map(async (t) => [t, await rowCount(db, t)] as const)),
  );
}

/**
 * Nothing half-written: every audited write (todo create, change and delete; list create and
 * share; an MCP tool's write; an admin's revocation) commits with its audit record or not at
 * all. With the audit insert refused by the database, each answers 500 and leaves every table
 * as it was; once allowed again, the same write succeeds with its record.
 */
describe.each(drivers)('writes and their audit records on $driver', ({ driver, skip, create }) => {
  const database = useTestDatabase({ skip, create });
  const h: Harness = suiteFixture(
    skip,
    () => startHarness(database.config, { API_PUBLIC_URL: BASE }),
    (harness) => harness.close(),
  );
  const db: Db = suiteFixture(
    skip,
    async () => openDatabase(database.config),
    (opened) => opened.close(),
  );

  const mcpCreate = (title: string) => callMcpTool(h, BASE, 'create_todo', { title });

  it.skipIf(skip)(`leaves nothing behind when the audit insert fails (${driver})`, async () => {
    // Alice's todo and bob's profile exist before the database starts refusing.
    const first = await h.as('alice', { method: 'POST', url: '/todos/', payload: { title: 'a' } });
    expect(first.statusCode).toBe(201);
    const todo = first.json();
    expect((await h.as('bob', { method: 'GET', url: '/todos/' })).statusCode).toBe(200);
    const before = await counts(db);

    await refuseAuditInserts(db);
    const attempts = [
      { method: 'POST', url: '/todos/', payload: { title: 'never stored' } },
      { method: 'PATCH', url: `/todos/${todo.id}`, payload: { title: 'never changed' } },
      { method: 'PUT', url: `/todos/${todo.id}`, payload: { title: 'never', completed: true } },
      { method: 'DELETE', url: `/todos/${todo.id}` },
      { method: 'POST', url: '/lists/', payload: { name: 'never created' } },
      { method: 'POST', url: `/lists/${todo.listId}/todos/`, payload: { title: 'never stored' } },
      { method: 'PUT', url: `/lists/${todo.listId}/members/bob`, payload: { relation: 'viewer' } },
    ] as const;
    for (const attempt of attempts) {
      const res = await h.as('alice', attempt);
      expect(res.statusCode, `${attempt.method} ${attempt.url}`).toBe(500);
    }
    const revoke = await h.as('admin', {
      method: 'POST',
      url: '/admin/sessions/revoke',
      payload: { sub: carol.sub },
    });
    expect(revoke.statusCode).toBe(500);
    const tool = await mcpCreate('never stored by an agent');
    expect(tool.isError).toBe(true);

    expect(await counts(db)).toEqual(before);
    const unchanged = await h.as('alice', { method: 'GET', url: `/todos/${todo.id}` });
    expect(unchanged.json()).toEqual(todo);
    // The revocation never committed: carol's token still works on this instance.
    expect((await h.as('carol', { method: 'GET', url: '/me' })).statusCode).toBe(200);

    await allowAuditInserts(db);
    const changed = await h.as('alice', attempts[1]);
    expect(changed.statusCode).toBe(200);
    expect(changed.json().title).toBe('never changed');
    const after = await counts(db);
    expect(after).toEqual({ ...before, audit_log: Number(before.audit_log) + 1 });
  });
});
