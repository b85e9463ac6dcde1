import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relationPairs, sqliteRelationStatements } from '../src/authzen/relations.js';
import { type Db, openDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { listRepository } from '../src/lists/repository.js';
import { todoRepository } from '../src/todos/repository.js';
import { sqliteDatabase, type TestDatabase } from './support/databases.js';

/**
 * The relations an AuthZEN batch loads at once on SQLite (one statement for all its ids): the
 * right pairs, read from the todos' primary keys rather than from every todo of every list the
 * member belongs to.
 */
describe('AuthZEN batch relations on SQLite', () => {
  let file: TestDatabase;
  let db: Db;
  const owner = { issuer: 'https://idp.example/realms/a', subject: 'owner' };
  const member = { issuer: 'https://idp.example/realms/a', subject: 'member' };

  beforeAll(async () => {
    file = sqliteDatabase();
    db = openDatabase(file.config);
    await migrateToLatest(db);
  });
  afterAll(async () => {
    await db.close();
    await file.drop();
  });

  it('walks the ids, reading each todo by primary key, then the membership by its key', async () => {
    const query = sqliteRelationStatements(db).todo({ issuer: 'i', subject: 's', ids: '[]' });
    const plan = await db.kysely.executeQuery<{ detail: string }>({
      ...query,
      sql: `explain query plan ${query.sql}`,
    });
    const steps = plan.rows.map((row) => row.detail);
    // The array itself is the outer loop: no temporary table of the ids (`LIST SUBQUERY`).
    expect(steps[0]).toMatch(/^SCAN j VIRTUAL TABLE/);
    expect(steps[1]).toMatch(
      /^SEARCH t USING (COVERING )?INDEX sqlite_autoindex_todos_1 \(id=\?\)/,
    );
    expect(steps.join('\n')).not.toMatch(/LIST SUBQUERY|SCAN t\b|SCAN m\b/);
    expect(steps.join('\n')).toMatch(
      /SEARCH m USING (COVERING )?INDEX \w+ \((list_id=\? AND member_issuer=\? AND member_sub=\?|member_issuer=\? AND member_sub=\? AND list_id=\?)\)/,
    );
  });

  it('answers the relation to each id the member can reach, and nothing for the others', async () => {
    const now = new Date();
    const lists = listRepository(db);
    const todos = todoRepository(db);
    const shared = await lists.create(owner, 'Shared', now, db.kysely);
    const other = await lists.create(owner, 'Not shared', now, db.kysely);
    await lists.setMember(shared.id, member, 'editor', now, db.kysely);
    const a = await todos.create(owner, { title: 'a' }, now, db.kysely, shared.id);
    const b = await todos.create(owner, { title: 'b' }, now, db.kysely, other.id);
    const missing = '00000000-0000-4000-8000-000000000000';
    const pairs = await relationPairs(db, member, 'todo', [a.id, b.id, missing]);
    expect(pairs).toEqual([[a.id, 'editor']]);
    expect(await relationPairs(db, member, 'list', [shared.id, other.id])).toEqual([
      [shared.id, 'editor'],
    ]);
    expect(await relationPairs(db, owner, 'list', [shared.id, other.id])).toHaveLength(2);
    expect(await relationPairs(db, { ...member, issuer: 'https://other' }, 'todo', [a.id])).toEqual(
      [],
    );
  });
});
