import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { writeAndAudit } from '../src/audit/write-and-audit.js';
import { toIso } from '../src/db/database.js';
import { listRepository } from '../src/lists/repository.js';
import {
  LAST_SEEN_PRECISION_MINUTES,
  type OwnerProfile,
  ownerRepository,
} from '../src/repositories/owners.js';
import { newTodoRow, toTodo } from '../src/todos/repository.js';
import {
  drivers,
  postgresAvailable,
  postgresDatabase,
  rowCount,
  useMigratedDb,
} from './support/databases.js';

const issuer = 'https://idp.test/realms/a';
const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

/**
 * A person's `owners` row follows their latest token at once when their name, e-mail or
 * department changes; an unchanged profile refreshes `last_seen_at` only once it is
 * `LAST_SEEN_PRECISION_MINUTES` old, so a busy writer does not rewrite the row on every write.
 * The same through `touch` and through the audited write of a new todo (one statement on
 * PostgreSQL).
 */
describe.each(drivers)('owners.last_seen_at on $driver', ({ skip, create }) => {
  const db = useMigratedDb({ skip, create });
  const step = LAST_SEEN_PRECISION_MINUTES;

  const ownerOf = async (sub: string) => {
    const row = await db.kysely
      .selectFrom('owners')
      .select(['username', 'email', 'department', 'last_seen_at'])
      .where('issuer', '=', issuer)
      .where('sub', '=', sub)
      .executeTakeFirstOrThrow();
    return { ...row, last_seen_at: toIso(row.last_seen_at) };
  };

  const writers = {
    touch: (profile: OwnerProfile, now: Date) => ownerRepository(db).touch(profile, now),
    'new todo': async (profile: OwnerProfile, now: Date) => {
      const owner = { issuer: profile.issuer, subject: profile.subject };
      const list = await listRepository(db).ensureDefault(owner, now);
      const row = newTodoRow(db, profile, list, { title: 't' }, now);
      const record = { actor: profile, action: 'todo.create', resource: `todo:${row.id}` };
      await writeAndAudit(
        db,
        { ...record, requestId: 'r', at: now },
        {
          into: 'todos',
          row,
          result: toTodo(row),
        },
      );
    },
  };

  for (const [name, write] of Object.entries(writers)) {
    it.skipIf(skip)(
      `${name}: a new profile at once, last_seen_at at most every ${step} min`,
      async () => {
        const sub = `sub-${name}`;
        const profile = { issuer, subject: sub, username: 'dana', email: null, department: 'ops' };
        await write(profile, at(0));
        expect(await ownerOf(sub)).toEqual({
          username: 'dana',
          email: null,
          department: 'ops',
          last_seen_at: at(0).toISOString(),
        });
        // Same profile within the bound: the row is left as it is.
        await write(profile, at(step - 1));
        expect((await ownerOf(sub)).last_seen_at).toBe(at(0).toISOString());
        // A changed profile (a NULL e-mail becoming a value counts) is written at once.
        await write({ ...profile, email: 'dana@example.com' }, at(step - 0.5));
        expect(await ownerOf(sub)).toEqual({
          username: 'dana',
          email: 'dana@example.com',
          department: 'ops',
          last_seen_at: at(step - 0.5).toISOString(),
        });
        // And back to NULL.
        await write({ ...profile, department: null, email: 'dana@example.com' }, at(step));
        expect((await ownerOf(sub)).department).toBeNull();
        // Unchanged again: refreshed once the stored time is more than the bound old.
        const later = { ...profile, department: null, email: 'dana@example.com' };
        await write(later, at(2 * step));
        expect((await ownerOf(sub)).last_seen_at).toBe(at(step).toISOString());
        await write(later, at(2 * step + 0.01));
        expect((await ownerOf(sub)).last_seen_at).toBe(at(2 * step + 0.01).toISOString());
        // An older time never moves it back.
        await write(later, at(-100));
        expect((await ownerOf(sub)).last_seen_at).toBe(at(2 * step + 0.01).toISOString());
      },
    );
  }

  it.skipIf(skip)('every write is still audited when the owner row is left as it is', async () => {
    const before = await rowCount(db, 'audit_log');
    const profile = {
      issuer,
      subject: 'sub-audit',
      username: 'eve',
      email: null,
      department: null,
    };
    await writers['new todo'](profile, at(0));
    await writers['new todo'](profile, at(1));
    expect(await rowCount(db, 'audit_log')).toBe(before + 2);
    expect(await rowCount(db, 'todos')).toBeGreaterThanOrEqual(2);
  });
});

/**
 * PostgreSQL locks rows: recording an unchanged profile must not lock the person's `owners`
 * row, or each of their writes waits for the one before it to commit (several tabs, an agent
 * writing in parallel).
 */
describe.skipIf(!postgresAvailable)('a new todo and the owners row on PostgreSQL', () => {
  const db = useMigratedDb({ skip: !postgresAvailable, create: postgresDatabase });

  const newTodo = async (profile: OwnerProfile, now: Date) => {
    const list = await listRepository(db).ensureDefault(profile, now);
    const row = newTodoRow(db, profile, list, { title: 't' }, now);
    const record = { actor: profile, action: 'todo.create', resource: `todo:${row.id}` };
    await writeAndAudit(
      db,
      { ...record, requestId: 'r', at: now },
      { into: 'todos', row, result: toTodo(row) },
    );
  };

  it('does not wait for another transaction holding an unchanged owners row', async () => {
    const sub = 'sub-busy';
    const profile = { issuer, subject: sub, username: 'finn', email: null, department: null };
    await newTodo(profile, at(0));
    const before = await rowCount(db, 'audit_log');
    const outcome = await db.kysely.connection().execute(async (connection) => {
      // Another transaction holds the row (as a write of the same person that locks it would).
      await sql`begin`.execute(connection);
      await sql`select 1 from owners where issuer = ${issuer} and sub = ${sub} for update`.execute(
        connection,
      );
      try {
        const written = newTodo(profile, at(1)).then(() => 'written');
        const waiting = new Promise((resolve) => setTimeout(() => resolve('waiting'), 2_000));
        return await Promise.race([written, waiting]);
      } finally {
        await sql`commit`.execute(connection);
      }
    });
    expect(outcome).toBe('written');
    expect(await rowCount(db, 'audit_log')).toBe(before + 1);
  });
});
