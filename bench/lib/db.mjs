// Databases of the benchmark: a PostgreSQL database of its own (dropped and re-created each
// run) and the API's embedded SQLite file; 1,000,000 todos are seeded in SQL, not through the API.
import Libsql from 'libsql';
import pg from 'pg';

export const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://todo_sso:todo_sso@127.0.0.1:5432/todo_sso_test';

/**
 * Re-creates `<test database>_<suffix>` and returns its URL and name, or `{ error }` when
 * PostgreSQL cannot be reached.
 */
export async function createBenchDatabase(suffix = 'bench') {
  const admin = new pg.Client({
    connectionString: TEST_DATABASE_URL,
    connectionTimeoutMillis: 3000,
  });
  try {
    await admin.connect();
  } catch (error) {
    return { error: error.message };
  }
  const url = new URL(TEST_DATABASE_URL);
  const name = `${url.pathname.slice(1) || 'todo_sso'}_${suffix}`;
  try {
    await dropDatabase(admin, name);
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  url.pathname = `/${name}`;
  return { url: url.toString(), name };
}

/**
 * Drops database `name` (see packages/api/test/support/databases.ts): `WITH (FORCE)` cannot end
 * an autovacuum worker that happens to be on it (42501); a plain `DROP DATABASE` cancels
 * autovacuum itself, once this role's own sessions are ended.
 */
export async function dropDatabase(client, name) {
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } catch (error) {
    if (error.code !== '42501') throw error;
    await client.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = $1 AND usename = current_user AND pid <> pg_backend_pid()`,
      [name],
    );
    await client.query(`DROP DATABASE IF EXISTS "${name}"`);
  }
}

/** Default list id of seeded user `u`: fixed, so a pgbench script can name it from `u`. */
export const seededListId = (u) => `00000000-0000-4000-9000-${String(u).padStart(12, '0')}`;

/**
 * Seeds `total` todos spread evenly over `users` subjects (`subjectOf(i)`), newest first per
 * user by one second steps, a third of them completed. Runs after the API migrated the schema.
 * Where todos live in lists, each user first gets their default list (id `seededListId(u)`)
 * with its owner membership, as the API creates it on first use, and the todos go into it.
 */
export async function seedPostgres(databaseUrl, issuer, { total, users }) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const t0 = performance.now();
    // Bulk load the usual way: the migration's secondary indexes are dropped, the rows inserted
    // and the very same index definitions (read from pg_indexes) rebuilt, in one transaction.
    await client.query('BEGIN');
    const { rows: indexes } = await client.query(
      `SELECT indexname, indexdef FROM pg_indexes
       WHERE schemaname = current_schema() AND tablename = 'todos' AND indexname NOT LIKE '%pkey'`,
    );
    for (const { indexname } of indexes) await client.query(`DROP INDEX "${indexname}"`);
    const { rows: hasLists } = await client.query(`SELECT to_regclass('lists') IS NOT NULL AS yes`);
    const lists = hasLists[0].yes;
    if (lists) {
      await client.query(
        `INSERT INTO lists (id, owner_issuer, owner_sub, name, is_default, created_at, updated_at)
         SELECT ('00000000-0000-4000-9000-' || lpad(u::text, 12, '0'))::uuid, $1,
                '00000000-0000-4000-8000-' || lpad(u::text, 12, '0'), 'My todos', true, now(), now()
         FROM generate_series(0, $2::int - 1) AS u
         ON CONFLICT DO NOTHING`,
        [issuer, users],
      );
      await client.query(
        `INSERT INTO list_members (list_id, member_issuer, member_sub, relation, created_at)
         SELECT id, owner_issuer, owner_sub, 'owner', created_at FROM lists
         WHERE is_default AND owner_issuer = $1 ON CONFLICT DO NOTHING`,
        [issuer],
      );
    }
    await client.query(
      `INSERT INTO todos (id, owner_issuer, owner_sub, title, description, completed, created_at, updated_at${lists ? ', list_id' : ''})
       SELECT gen_random_uuid(), $1,
              '00000000-0000-4000-8000-' || lpad(((g - 1) % $3)::text, 12, '0'),
              'Seeded todo ' || g, NULL, g % 3 = 0,
              now() - make_interval(secs => g), now() - make_interval(secs => g)
              ${lists ? `, ('00000000-0000-4000-9000-' || lpad(((g - 1) % $3)::text, 12, '0'))::uuid` : ''}
       FROM generate_series(1, $2::int) AS g`,
      [issuer, total, users],
    );
    for (const { indexdef } of indexes) await client.query(indexdef);
    await client.query('COMMIT');
    await client.query('ANALYZE todos');
    return (performance.now() - t0) / 1000;
  } finally {
    await client.end();
  }
}

/** Same data in the API's SQLite file (WAL mode lets the running API keep its connection). */
export function seedSqlite(file, issuer, { total, users }) {
  const db = new Libsql(file);
  try {
    db.pragma('busy_timeout = 10000');
    const t0 = performance.now();
    const hex = (n) => `lower(hex(randomblob(${n})))`;
    // As for PostgreSQL: the migration's indexes are dropped, the rows loaded, and the very same
    // index definitions (from sqlite_master) rebuilt, in one transaction.
    const indexes = db
      .prepare(
        `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'todos' AND sql IS NOT NULL`,
      )
      .all();
    const lists =
      db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'lists'`).get() !==
      undefined;
    db.exec('BEGIN');
    for (const { name } of indexes) db.exec(`DROP INDEX "${name}"`);
    // libsql binds a JavaScript number as a REAL: `x % ?` would be 1.0, so counts are cast.
    const user = (g) => `'00000000-0000-4000-8000-' || substr('000000000000' || ${g}, -12)`;
    const listOf = (g) => `'00000000-0000-4000-9000-' || substr('000000000000' || ${g}, -12)`;
    // Todos go into each user's default list as it is, should an earlier request have made it.
    const at = `strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`;
    if (lists) {
      db.prepare(
        `WITH RECURSIVE s(u) AS (SELECT 0 UNION ALL SELECT u + 1 FROM s WHERE u < CAST(? AS INTEGER) - 1)
         INSERT OR IGNORE INTO lists (id, owner_issuer, owner_sub, name, is_default, created_at, updated_at)
         SELECT ${listOf('u')}, ?, ${user('u')}, 'My todos', 1, ${at}, ${at} FROM s`,
      ).run(users, issuer);
      db.prepare(
        `INSERT OR IGNORE INTO list_members (list_id, member_issuer, member_sub, relation, created_at)
         SELECT id, owner_issuer, owner_sub, 'owner', created_at FROM lists
         WHERE is_default = 1 AND owner_issuer = ?`,
      ).run(issuer);
    }
    db.prepare(
      `WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < ?)
       INSERT INTO todos (id, owner_issuer, owner_sub, title, description, completed, created_at, updated_at${lists ? ', list_id' : ''})
       SELECT ${hex(4)} || '-' || ${hex(2)} || '-4' || substr(${hex(2)}, 2) || '-8' || substr(${hex(2)}, 2) || '-' || ${hex(6)},
              ?, ${user('((g - 1) % CAST(? AS INTEGER))')},
              'Seeded todo ' || g, NULL, g % 3 = 0,
              strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || g || ' seconds'),
              strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || g || ' seconds')
              ${lists ? `, (SELECT id FROM lists WHERE owner_issuer = ? AND owner_sub = ${user('((g - 1) % CAST(? AS INTEGER))')} AND is_default = 1)` : ''}
       FROM s`,
    ).run(total, issuer, users, ...(lists ? [issuer, users] : []));
    for (const { sql } of indexes) db.exec(sql);
    db.exec('COMMIT');
    db.exec('ANALYZE');
    return (performance.now() - t0) / 1000;
  } finally {
    db.close();
  }
}
