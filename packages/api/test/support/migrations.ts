import { Migrator } from 'kysely';
import type { Db } from '../../src/db/database.js';
import { migrations } from '../../src/db/migrate.js';

/** Applies the migrations up to `name` alone, as the release that ended with it did. */
export async function migrateTo(db: Db, name: string): Promise<void> {
  const migrator = new Migrator({
    db: db.kysely,
    provider: { getMigrations: async () => migrations(db) },
  });
  const { error } = await migrator.migrateTo(name);
  if (error) throw error;
}

/** Applies the migrations up to the one before `name`: the schema `name` upgrades. */
export async function migrateToBefore(db: Db, name: string): Promise<void> {
  const names = Object.keys(migrations(db));
  const previous = names[names.indexOf(name) - 1];
  if (!previous) throw new Error(`no migration precedes ${name}`);
  await migrateTo(db, previous);
}
