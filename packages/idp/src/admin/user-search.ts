import type { RealmUser } from '../realm/types.js';
import type { AdminContext } from './context.js';

/**
 * One term of Keycloak's `search` (its JPA user provider): `"…"` is an exact match, otherwise
 * `*` is a wildcard and the term is a prefix unless it ends with one (`car` finds `carol`, not
 * `oscar`; `*car*` finds both); case-insensitive. Matched as Keycloak's SQL `LIKE` is, in time
 * linear in the value's length: a regular expression of the term (`^a.*a.*a.*b`) backtracks
 * through every way of placing its wildcards, and a few of them against a long name held the
 * server's one thread for minutes (four took 32 s against 200 characters).
 */
function searchTerm(term: string): (value: string | undefined) => boolean {
  const lower = term.toLowerCase();
  const quoted = /^"(.*)"$/.exec(lower);
  if (quoted) return (value) => value?.toLowerCase() === quoted[1];
  const [first = '', ...rest] = lower.split('*');
  return (value) => {
    if (value === undefined) return false;
    const text = value.toLowerCase();
    if (!text.startsWith(first)) return false;
    // Without an anchor at the end, the earliest place of each part leaves the most room for
    // the next: a match exists exactly when this finds one.
    let from = first.length;
    for (const part of rest) {
      const at = text.indexOf(part, from);
      if (at < 0) return false;
      from = at + part.length;
    }
    return true;
  };
}

/** `username`, `email`, `firstName`, `lastName`: a substring, or equal with `exact=true`. */
function fieldMatcher(wanted: string, exact: boolean): (value: string | undefined) => boolean {
  const lower = wanted.toLowerCase();
  return (value) =>
    value !== undefined &&
    (exact ? value.toLowerCase() === lower : value.toLowerCase().includes(lower));
}

/**
 * `GET /users` and `GET /users/count` filters, as Keycloak applies them: with `search`, only
 * `enabled` and `emailVerified` apply besides it (`id:<id> …` looks users up by id); without it,
 * `username`, `email`, `firstName`, `lastName` (`exact`), `enabled`, `emailVerified` and `q`.
 */
export function filterUsers(ctx: AdminContext, query: URLSearchParams): RealmUser[] {
  const tests: ((u: RealmUser) => boolean)[] = [];
  const search = query.get('search');
  if (search?.startsWith('id:')) {
    const ids = new Set(search.slice(3).trim().split(/\s+/));
    tests.push((u) => ids.has(u.id));
  } else if (search !== null) {
    // Every whitespace-separated term must match one of the four fields.
    for (const term of search.trim().split(/\s+/).filter(Boolean)) {
      const m = searchTerm(term);
      tests.push((u) => [u.username, u.email, u.firstName, u.lastName].some(m));
    }
  } else {
    const exact = query.get('exact') === 'true';
    for (const field of ['username', 'email', 'firstName', 'lastName'] as const) {
      const value = query.get(field);
      if (value) {
        const m = fieldMatcher(value, exact);
        tests.push((u) => m(u[field]));
      }
    }
    // `q=department:engineering other:x` — attribute equality, all of them.
    for (const pair of (query.get('q') ?? '').split(' ').filter(Boolean)) {
      const colon = pair.indexOf(':');
      const [key, value] = [pair.slice(0, colon), pair.slice(colon + 1)];
      tests.push((u) => (u.attributes[key] ?? []).includes(value));
    }
  }
  for (const flag of ['enabled', 'emailVerified'] as const) {
    const value = query.get(flag);
    if (value === 'true' || value === 'false') tests.push((u) => u[flag] === (value === 'true'));
  }
  return ctx.directory
    .people()
    .filter((u) => tests.every((t) => t(u)))
    .sort((a, b) => a.username.localeCompare(b.username));
}
