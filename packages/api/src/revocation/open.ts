import type { Logger } from 'pino';
import { type ApiConfig, CLOCK_TOLERANCE_SECONDS } from '../config/config.js';
import type { Db } from '../db/database.js';
import { migrateToLatest, migrationNames } from '../db/migrate.js';
import { olderReleaseUntil } from './older-release.js';
import { RevocationStore } from './store.js';

/**
 * Brings the schema up to date and starts the revocation set; closes the database on failure.
 * Also says whether the database was created now (no earlier process served it).
 */
export async function openRevocations(
  config: ApiConfig,
  db: Db,
  clock: { now(): Date },
  logger: Logger,
): Promise<[RevocationStore, boolean]> {
  let revocations: RevocationStore | undefined;
  try {
    const applied = await migrateToLatest(db);
    if (applied.length > 0) logger.info({ applied, database: db.location }, 'database migrated');
    const createdNow = applied.includes(migrationNames()[0] as string);
    revocations = new RevocationStore({
      db,
      listenUrl: config.database.kind === 'postgres' ? config.database.url : undefined,
      now: () => clock.now(),
      ttlSeconds: config.revocationTtlSeconds,
      clockToleranceSeconds: CLOCK_TOLERANCE_SECONDS,
      olderReleaseUntil: await olderReleaseUntil(db, createdNow),
    });
    await revocations.start();
    return [revocations, createdNow];
  } catch (error) {
    await revocations?.close();
    await db.close();
    throw error;
  }
}
