// Why this file is long: every query on lists and memberships, each scoped to the caller in SQL, sits
// in one repository so that no list read can bypass the membership join.
import { randomUUID } from 'node:crypto';
import { compileOnce } from '../db/compiled.js';
import { type Db, toIso } from '../db/database.js';
import { DEFAULT_LIST_NAME } from '../db/migrations/004-lists.js';
import type { Owner, Relation } from '../db/schema.js';
import { type OwnerProfile, upsertOwner } from '../repositories/owners.js';

/** A list as one person sees it. */
export interface List {
  id: string;
  name: string;
  relation: Relation;
  isDefault: boolean;
  todoCount: number;
  createdAt: string;
  updatedAt: string;
  /** Grows on every rename; the list's entity tag (see `http/etag.ts`). */
  version: number;
}

/** One member of a list. */
export interface Member {
  sub: string;
  username: string | null;
  relation: Relation;
}

/** A person the API knows (has seen a token of), found by username or email. */
export interface Person extends Owner {
  readonly username: string | null;
}

type Tx = Db['kysely'];

/**
 * Default-list ids already ensured by this process, for this many people: a request of one of
 * them touches no table. The least recently seen person is forgotten first.
 */
const KNOWN_DEFAULTS_MAX = 10_000;

/**
 * Lists and their members. Every read is scoped to the caller's membership in SQL: a list the
 * caller is not a member of is indistinguishable from a missing one.
 */
export function listRepository(db: Db, options: { readonly rememberedDefaults?: number } = {}) {
  const k = db.kysely;
  const knownDefaults = new Map<string, string>();
  const remember = (key: string, id: string): string => {
    // A Map iterates in insertion order: re-inserting on every use keeps the least recently
    // used first, and only that one goes when the map is full.
    knownDefaults.delete(key);
    if (knownDefaults.size >= (options.rememberedDefaults ?? KNOWN_DEFAULTS_MAX)) {
      const oldest = knownDefaults.keys().next();
      if (oldest.done !== true) knownDefaults.delete(oldest.value);
    }
    knownDefaults.set(key, id);
    return id;
  };
  const defaultOf = compileOnce<{ id: string }, 'issuer' | 'subject'>((param) =>
    k
      .selectFrom('lists')
      .select('id')
      .where('owner_issuer', '=', param('issuer'))
      .where('owner_sub', '=', param('subject'))
      .where('is_default', '=', db.bool(true)),
  );
  const memberOf = (tx: Tx, member: Owner) =>
    tx
      .selectFrom('lists as l')
      .innerJoin('list_members as m', 'm.list_id', 'l.id')
      .where('m.member_issuer', '=', member.issuer)
      .where('m.member_sub', '=', member.subject);
  const withCount = (q: ReturnType<typeof memberOf>) =>
    q
      .select([
        'l.id',
        'l.name',
        'l.is_default',
        'l.created_at',
        'l.updated_at',
        'l.version',
        'm.relation',
      ])
      .select((eb) =>
        eb
          .selectFrom('todos as t')
          .whereRef('t.list_id', '=', 'l.id')
          .select((e) => e.fn.countAll<string | number>().as('n'))
          .as('todo_count'),
      );

  return {
    /**
     * The id of the person's default list, created with its owner membership (and, when given,
     * the person's profile, so others can find them to share with) on first use. Concurrent first requests
     * create one list: the unique index on (owner, is_default) turns the second insert into a
     * no-op.
     */
    async ensureDefault(profile: Owner | OwnerProfile, now: Date, tx: Tx = k): Promise<string> {
      const key = `${profile.issuer} ${profile.subject}`;
      const known = knownDefaults.get(key);
      if (known) return remember(key, known);
      if (!tx.isTransaction) {
        // Everyone but a newcomer has one already: one indexed read, no transaction.
        const values = { issuer: profile.issuer, subject: profile.subject };
        const [found] = (await k.executeQuery(defaultOf(values))).rows;
        if (found) return remember(key, found.id);
      }
      const at = now.toISOString();
      const insert = async (t: Tx): Promise<string> => {
        const created = await t
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
        if (created) {
          await t
            .insertInto('list_members')
            .values({
              list_id: created.id,
              member_issuer: profile.issuer,
              member_sub: profile.subject,
              relation: 'owner',
              created_at: at,
            })
            .execute();
          if ('username' in profile) await upsertOwner(t, profile, now).execute();
          return created.id;
        }
        const row = await t
          .selectFrom('lists')
          .select('id')
          .where('owner_issuer', '=', profile.issuer)
          .where('owner_sub', '=', profile.subject)
          .where('is_default', '=', db.bool(true))
          .executeTakeFirstOrThrow();
        return row.id;
      };
      // Inside a caller's transaction the list exists only once that commits: not remembered.
      if (tx.isTransaction) return insert(tx);
      return remember(key, await tx.transaction().execute(insert));
    },

    /** Every list the person is a member of: default first, then by name. */
    async listFor(member: Owner): Promise<List[]> {
      const rows = await withCount(memberOf(k, member))
        .orderBy('l.is_default', 'desc')
        .orderBy('l.name')
        .orderBy('l.id')
        .execute();
      return rows.map(toList);
    },

    /** One list with the person's relation to it, or undefined when they are not a member. */
    async get(member: Owner, id: string, tx: Tx = k): Promise<List | undefined> {
      const row = await withCount(memberOf(tx, member)).where('l.id', '=', id).executeTakeFirst();
      return row && toList(row);
    },

    /** The person's relation to a list, or undefined when they are not a member. */
    async relation(member: Owner, id: string, tx: Tx = k): Promise<Relation | undefined> {
      const row = await tx
        .selectFrom('list_members')
        .select('relation')
        .where('list_id', '=', id)
        .where('member_issuer', '=', member.issuer)
        .where('member_sub', '=', member.subject)
        .executeTakeFirst();
      return row?.relation;
    },

    /** A new list owned by the person. */
    async create(owner: Owner, name: string, now: Date, tx: Tx): Promise<List> {
      const at = now.toISOString();
      const id = randomUUID();
      await tx
        .insertInto('lists')
        .values({
          id,
          owner_issuer: owner.issuer,
          owner_sub: owner.subject,
          name,
          is_default: db.bool(false),
          created_at: at,
          updated_at: at,
        })
        .execute();
      await tx
        .insertInto('list_members')
        .values({
          list_id: id,
          member_issuer: owner.issuer,
          member_sub: owner.subject,
          relation: 'owner',
          created_at: at,
        })
        .execute();
      return {
        id,
        name,
        relation: 'owner',
        isDefault: false,
        todoCount: 0,
        createdAt: at,
        updatedAt: at,
        version: 1,
      };
    },

    /**
     * Renames a list and moves its version on; with `expectedVersion`, only a list still at that
     * version changes (a concurrent change in between is caught by the write itself). True when
     * a row changed.
     */
    async rename(
      id: string,
      name: string,
      now: Date,
      tx: Tx,
      expectedVersion?: number,
    ): Promise<boolean> {
      let query = tx
        .updateTable('lists')
        .set((eb) => ({ name, updated_at: now.toISOString(), version: eb('version', '+', 1) }))
        .where('id', '=', id);
      if (expectedVersion !== undefined) query = query.where('version', '=', expectedVersion);
      const result = await query.executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    /**
     * Deletes a list (still at `expectedVersion`, when given); its todos and memberships go
     * with it (foreign keys cascade). True when a row was deleted.
     */
    async remove(id: string, tx: Tx, expectedVersion?: number): Promise<boolean> {
      let query = tx.deleteFrom('lists').where('id', '=', id);
      if (expectedVersion !== undefined) query = query.where('version', '=', expectedVersion);
      const result = await query.executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    /** The members of a list, owner first, then by username. */
    async members(id: string): Promise<Member[]> {
      const rows = await k
        .selectFrom('list_members as m')
        .leftJoin('owners as o', (join) =>
          join.onRef('o.issuer', '=', 'm.member_issuer').onRef('o.sub', '=', 'm.member_sub'),
        )
        .select(['m.member_sub', 'm.relation', 'o.username'])
        .where('m.list_id', '=', id)
        .execute();
      const rank = { owner: 0, editor: 1, viewer: 2 } as const;
      return rows
        .map((row) => ({ sub: row.member_sub, username: row.username, relation: row.relation }))
        .sort(
          (a, b) =>
            rank[a.relation] - rank[b.relation] ||
            (a.username ?? '').localeCompare(b.username ?? '') ||
            a.sub.localeCompare(b.sub),
        );
    },

    /** Adds a member or changes their relation; never the owner's (see the routes). */
    async setMember(id: string, person: Owner, relation: Relation, now: Date, tx: Tx) {
      await tx
        .insertInto('list_members')
        .values({
          list_id: id,
          member_issuer: person.issuer,
          member_sub: person.subject,
          relation,
          created_at: now.toISOString(),
        })
        .onConflict((oc) =>
          oc.columns(['list_id', 'member_issuer', 'member_sub']).doUpdateSet({ relation }),
        )
        .execute();
    },

    /** Removes a member; true when they were one. */
    async removeMember(id: string, person: Owner, tx: Tx): Promise<boolean> {
      const result = await tx
        .deleteFrom('list_members')
        .where('list_id', '=', id)
        .where('member_issuer', '=', person.issuer)
        .where('member_sub', '=', person.subject)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    /**
     * People the API knows whose username or email is `handle` (emails compared without case).
     * Several issuers may know the same name: those of `preferIssuer` come first.
     */
    async findPeople(handle: string, preferIssuer: string): Promise<Person[]> {
      const rows = await k
        .selectFrom('owners')
        .select(['issuer', 'sub', 'username'])
        .where((eb) =>
          eb.or([
            eb('username', '=', handle),
            eb(eb.fn('lower', ['email']), '=', handle.toLowerCase()),
          ]),
        )
        .execute();
      return rows
        .map((row) => ({ issuer: row.issuer, subject: row.sub, username: row.username }))
        .sort((a, b) => Number(b.issuer === preferIssuer) - Number(a.issuer === preferIssuer));
    },
  };
}

export type ListRepository = ReturnType<typeof listRepository>;

function toList(row: {
  id: string;
  name: string;
  is_default: boolean | number;
  created_at: Date | string;
  updated_at: Date | string;
  version: number | string;
  relation: Relation;
  todo_count: string | number | null;
}): List {
  return {
    id: row.id,
    name: row.name,
    relation: row.relation,
    isDefault: Boolean(row.is_default),
    todoCount: Number(row.todo_count ?? 0),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
    version: Number(row.version),
  };
}
