import type { Db } from '../db/database.js';
import type { Owner } from '../db/schema.js';

type Tx = Db['kysely'];

/** A person the API knows (has seen a token of), found by username or email. */
export interface Person extends Owner {
  readonly username: string | null;
}

/** ASCII letters to lower case, every other character as it is. */
const asciiLower = (value: string) => value.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());

/** Of `people`, those of `issuer` alone when it knows any. */
const preferring = (people: Person[], issuer: string) => {
  const own = people.filter((p) => p.issuer === issuer);
  return own.length > 0 ? own : people;
};

/**
 * People the API knows by `handle`, as someone of `issuer` names them. OpenID Connect Core §5.7:
 * `preferred_username` is not unique and must not be relied upon, and a `sub` is unique only
 * within its issuer (§2), so a username names a person of `issuer` alone: someone of another
 * identity provider who has it is not found, and not told apart from nobody (a share by the
 * username of a colleague who has not used the app yet never reaches another provider's
 * namesake, and no caller learns who uses a username at another provider). People of every
 * issuer are named by their email, which the API records only when their provider says it is
 * verified (`email_verified`, routes/principal.ts `profileOf`); those of `issuer` alone when it
 * knows any, and two others answering to one address are both returned (409, `onePerson`).
 *
 * Usernames are compared exactly; emails without the case of their ASCII letters, and nothing
 * more: Unicode case mapping belongs to the database's locale (PostgreSQL's `lower` maps `É` to
 * `é` and the Kelvin sign to an ASCII `k`, SQLite's only ASCII), and a handle must name the same
 * person on every engine. The query's `lower` finds at least those people on both engines; the
 * exact rule is applied here.
 *
 * With `memberOf` (a list's id: removing someone from it) the handle names a member of that list
 * first, by username whatever their issuer: the members answer lists usernames, and a member of
 * another issuer shared by email before must stay removable by the name the owner sees. That
 * discloses nothing the list's members cannot already read. Among members those of `issuer`
 * first, as a share by that username would have named them; when no member answers, the rule
 * above (the 404 is then the same as for sharing).
 */
export async function findPeople(
  k: Tx,
  handle: string,
  issuer: string,
  memberOf?: string,
): Promise<Person[]> {
  const rows = await k
    .selectFrom('owners')
    .select(['issuer', 'sub', 'username', 'email'])
    .where((eb) =>
      eb.or([
        eb('username', '=', handle),
        eb(eb.fn('lower', ['email']), '=', eb.fn('lower', [eb.val(handle)])),
      ]),
    )
    .execute();
  const folded = asciiLower(handle);
  const answering = rows.filter(
    (row) => row.username === handle || asciiLower(row.email ?? '') === folded,
  );
  const person = (row: (typeof rows)[number]): Person => ({
    issuer: row.issuer,
    subject: row.sub,
    username: row.username,
  });
  if (memberOf !== undefined && answering.length > 0) {
    const members = await membersAmong(k, memberOf, answering.map(person));
    if (members.length > 0) return preferring(members, issuer);
  }
  const named = answering.filter(
    (row) => row.issuer === issuer || asciiLower(row.email ?? '') === folded,
  );
  return preferring(named.map(person), issuer);
}

/** Of `people`, the members of list `id`. */
async function membersAmong(k: Tx, id: string, people: Person[]): Promise<Person[]> {
  const rows = await k
    .selectFrom('list_members')
    .select(['member_issuer', 'member_sub'])
    .where('list_id', '=', id)
    .where(
      'member_sub',
      'in',
      people.map((p) => p.subject),
    )
    .execute();
  return people.filter((p) =>
    rows.some((row) => row.member_issuer === p.issuer && row.member_sub === p.subject),
  );
}
