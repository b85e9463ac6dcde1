import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * `idempotency_keys.client_id`: a key belongs to the client that chose it as well as to the
 * person (draft-ietf-httpapi-idempotency-key-header §2: a key is unique per client), so a key of
 * the person's web app and the same key of their AI assistant (another OAuth client, `azp` /
 * `client_id`) are two keys. The primary key becomes (`issuer`, `sub`, `client_id`, `key`).
 *
 * Rows stored before have no client recorded anywhere (the audit log names the client of MCP
 * writes only): they get the empty client, `''`, and keep their day. A retry made after the
 * upgrade of a create answered before it is looked up under its client and does not find them
 * (it is a new create); deleting their todo still erases them, and the sweep still deletes them.
 *
 * PostgreSQL, in the migration's transaction: the column is added with a constant default
 * (PostgreSQL 11+: no rewrite of the table, existing rows read the default), the default is then
 * dropped (every insert names the client), and the new primary key's index is built once; the
 * table is locked for that build, which reads the rows of one day at most. SQLite cannot change
 * a primary key: the table is rebuilt (create, copy, drop, rename; SQLite "ALTER TABLE", §7),
 * its indexes with it. Instances of the release before, still running, find no key their claim
 * names (`ON CONFLICT (issuer, sub, key)`) and fail keyed creates until they are replaced
 * (deploy/README.md, "The schema migrates itself, once").
 */
export function idempotencyKeyClient(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect === 'postgres') {
        await sql`alter table idempotency_keys add column client_id text not null default ''`.execute(
          db,
        );
        await sql`alter table idempotency_keys alter column client_id drop default`.execute(db);
        await sql`alter table idempotency_keys drop constraint idempotency_keys_pk`.execute(db);
        await sql`alter table idempotency_keys add constraint idempotency_keys_pk
          primary key (issuer, sub, client_id, key)`.execute(db);
        return;
      }
      await rebuildSqlite(db, true, sql`issuer, sub, '', key`);
    },
    /**
     * Back to one key per person: where clients' keys collide, the oldest row (then the first
     * client) is kept, the others deleted.
     */
    async down(db: Kysely<unknown>): Promise<void> {
      await sql`delete from idempotency_keys where exists (
          select 1 from idempotency_keys o
          where o.issuer = idempotency_keys.issuer and o.sub = idempotency_keys.sub
            and o.key = idempotency_keys.key
            and (o.created_at < idempotency_keys.created_at
              or (o.created_at = idempotency_keys.created_at
                and o.client_id < idempotency_keys.client_id)))`.execute(db);
      if (dialect === 'postgres') {
        await sql`alter table idempotency_keys drop constraint idempotency_keys_pk`.execute(db);
        await sql`alter table idempotency_keys drop column client_id`.execute(db);
        await sql`alter table idempotency_keys add constraint idempotency_keys_pk
          primary key (issuer, sub, key)`.execute(db);
        return;
      }
      await rebuildSqlite(db, false, sql`issuer, sub, key`);
    },
  };
}

/**
 * SQLite: `idempotency_keys` made again with or without `client_id` in its primary key, its rows
 * copied (`identity`: the selected values of the new table's leading identity columns) in the
 * old key's order, which is the new key's: its index is filled in order, not at random places.
 */
async function rebuildSqlite(
  db: Kysely<unknown>,
  withClient: boolean,
  identity: ReturnType<typeof sql>,
): Promise<void> {
  const client = withClient ? sql`client_id text not null,` : sql``;
  const pk = withClient ? sql`issuer, sub, client_id, key` : sql`issuer, sub, key`;
  const names = withClient ? sql`issuer, sub, client_id, key` : sql`issuer, sub, key`;
  await sql`create table idempotency_keys_next (
      issuer text not null, sub text not null, ${client} key text not null,
      fingerprint text not null, status integer not null, body text not null,
      location text, etag text, created_at text not null,
      constraint idempotency_keys_pk primary key (${pk}))`.execute(db);
  await sql`insert into idempotency_keys_next
      (${names}, fingerprint, status, body, location, etag, created_at)
    select ${identity}, fingerprint, status, body, location, etag, created_at
    from idempotency_keys order by issuer, sub, key`.execute(db);
  await sql`drop table idempotency_keys`.execute(db);
  await sql`alter table idempotency_keys_next rename to idempotency_keys`.execute(db);
  await sql`create index idempotency_keys_created on idempotency_keys (created_at)`.execute(db);
  await sql`create index idempotency_keys_location on idempotency_keys (location)`.execute(db);
}
