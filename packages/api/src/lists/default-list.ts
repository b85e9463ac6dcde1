import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { compileOnce } from '../db/compiled.js';
import type { Db } from '../db/database.js';
import { DEFAULT_LIST_NAME } from '../db/migrations/004-lists.js';
import type { Owner } from '../db/schema.js';
import { type OwnerProfile, ownerRow, upsertOwner } from '../repositories/owners.js';

type Tx = Db['kysely'];

/**
 * Default-list ids already ensured by this process, for this many people: a request of one of
 * them touches no table. A person not seen since the last time the bound was reached is
 * forgotten first.
 */
const KNOWN_DEFAULTS_MAX = 10_000;

interface Remembered {
  readonly issuer: string;
  readonly subject: string;
  readonly id: string;
  /** Seen since it was remembered or last spared. */
  seen: boolean;
}

/**
 * Default-list ids by person, at most `max`. Found by issuer, then subject: a cached token's
 * principal holds the same two strings on every request, whose hashes V8 keeps, so a lookup
 * builds no key and hashes nothing; a hit only marks the person seen (nothing is reordered). A
 * new person past the bound replaces the oldest one not seen since it was remembered; one seen
 * meanwhile is spared once, moved to the newest end unmarked (a second chance, as in CLOCK), so
 * the people of a busy instance stay and a person gone quiet goes.
 */
class RememberedDefaults {
  readonly #byIssuer = new Map<string, Map<string, Remembered>>();
  /** Oldest first. */
  readonly #order = new Set<Remembered>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get(issuer: string, subject: string): string | undefined {
    const entry = this.#byIssuer.get(issuer)?.get(subject);
    if (entry === undefined) return undefined;
    entry.seen = true;
    return entry.id;
  }

  remember(issuer: string, subject: string, id: string): string {
    if (this.#max <= 0) return id;
    let bySubject = this.#byIssuer.get(issuer);
    const known = bySubject?.get(subject);
    if (known !== undefined) this.#forget(known);
    while (this.#order.size >= this.#max) this.#evictOne();
    const entry: Remembered = { issuer, subject, id, seen: false };
    if (bySubject === undefined) {
      bySubject = new Map();
      this.#byIssuer.set(issuer, bySubject);
    }
    bySubject.set(subject, entry);
    this.#order.add(entry);
    return id;
  }

  #evictOne(): void {
    for (const entry of this.#order) {
      this.#order.delete(entry);
      if (!entry.seen) {
        this.#forget(entry);
        return;
      }
      entry.seen = false;
      this.#order.add(entry);
    }
  }

  #forget(entry: Remembered): void {
    this.#order.delete(entry);
    const bySubject = this.#byIssuer.get(entry.issuer);
    bySubject?.delete(entry.subject);
    if (bySubject?.size === 0) this.#byIssuer.delete(entry.issuer);
  }
}

/**
 * `ensureDefault(profile, now, tx)`: the id of the person's default list, created with its
 * owner membership (and, when given, the person's profile, so others can find them to share
 * with) on first use. Concurrent first requests create one list: the unique index on (owner,
 * is_default) turns the second insert into a no-op. Ids are remembered for `rememberedDefaults`
 * people (10 000 unless given).
 */
export function defaultListEnsurer(db: Db, rememberedDefaults = KNOWN_DEFAULTS_MAX) {
  const k = db.kysely;
  const known = new RememberedDefaults(rememberedDefaults);
  // `is_default` is the same for every lookup, so it is written into the statement: the partial
  // index `lists_one_default` (`WHERE is_default`) is then usable by a plan made without the
  // values. With it bound, PostgreSQL's generic plan of this named statement could only scan
  // `lists`, so it planned every lookup again with its values (about 90 µs of the backend's CPU
  // on 10,000 lists). SQLite finds the index either way.
  const defaultOf = compileOnce<{ id: string }, 'issuer' | 'subject'>((param) =>
    k
      .selectFrom('lists')
      .select('id')
      .where('owner_issuer', '=', param('issuer'))
      .where('owner_sub', '=', param('subject'))
      .where('is_default', '=', sql.lit(db.bool(true))),
  );
  return async (profile: Owner | OwnerProfile, now: Date, tx: Tx = k): Promise<string> => {
    const { issuer, subject } = profile;
    const remembered = known.get(issuer, subject);
    if (remembered !== undefined) return remembered;
    if (!tx.isTransaction) {
      // Everyone but a newcomer has one already: one indexed read, no transaction.
      const values = { issuer: profile.issuer, subject: profile.subject };
      const [found] = (await k.executeQuery(defaultOf(values))).rows;
      if (found) return known.remember(issuer, subject, found.id);
    }
    const insert = (t: Tx) => insertDefaultList(db, t, profile, now);
    // Inside a caller's transaction the list exists only once that commits: not remembered.
    if (tx.isTransaction) return insert(tx);
    return known.remember(issuer, subject, await tx.transaction().execute(insert));
  };
}

/** Creates the person's default list unless it exists; its id either way. */
async function insertDefaultList(
  db: Db,
  tx: Tx,
  profile: Owner | OwnerProfile,
  now: Date,
): Promise<string> {
  const at = now.toISOString();
  const created = await tx
    .insertInto('lists')
    .values({
      id: randomUUID(),
      owner_issuer: profile.issuer,
      owner_sub: profile.subject,
      name: DEFAULT_LIST_NAME,
      is_default: db.bool(true),
      created_at: at,
      updated_at: at,
    })
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!created) {
    const row = await tx
      .selectFrom('lists')
      .select('id')
      .where('owner_issuer', '=', profile.issuer)
      .where('owner_sub', '=', profile.subject)
      .where('is_default', '=', db.bool(true))
      .executeTakeFirstOrThrow();
    return row.id;
  }
  await tx
    .insertInto('list_members')
    .values({
      list_id: created.id,
      member_issuer: profile.issuer,
      member_sub: profile.subject,
      relation: 'owner',
      created_at: at,
    })
    .execute();
  if ('username' in profile) await upsertOwner(tx, db.dialect, ownerRow(profile, now)).execute();
  return created.id;
}
