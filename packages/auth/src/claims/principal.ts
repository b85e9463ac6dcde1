import type { ResolvedIssuer } from '../config.js';
import type { Principal } from '../principal.js';
import { clientOf } from '../token/validate-claims.js';
import { readClaim, toList, toScopes } from './read.js';

/**
 * Principals are cached and shared between requests, so nothing in them may change: a JSON
 * value is frozen in place, its nested objects and arrays first. Walked with indexes and
 * `for…in` (own keys only: an object from `JSON.parse` or a spread has no inherited enumerable
 * ones) so that freezing makes no array of keys or values per object.
 */
function deepFreeze(value: object): void {
  if (Object.isFrozen(value)) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (v !== null && typeof v === 'object') deepFreeze(v);
    }
  } else {
    const record = value as Record<string, unknown>;
    for (const k in record) {
      const v = record[k];
      if (v !== null && typeof v === 'object' && Object.hasOwn(record, k)) deepFreeze(v);
    }
  }
  Object.freeze(value);
}

/**
 * The distinct strings of a list, in order, frozen; small lists are scanned instead of hashed.
 * A list that is already distinct is returned itself, frozen: a claim's own array (frozen with
 * the claims anyway) then serves the principal too, one array fewer per cached principal.
 */
function distinct(list: readonly string[]): readonly string[] {
  if (list.length > 16) return Object.freeze([...new Set(list)]);
  let i = 1;
  while (i < list.length && list.indexOf(list[i] as string) === i) i++;
  if (i >= list.length) return Object.freeze(list);
  const out: string[] = [];
  for (const s of list) if (!out.includes(s)) out.push(s);
  return Object.freeze(out);
}

/**
 * The split lists of recent separated claim strings (`scope`: most tokens of an issuer carry one
 * of a few), frozen and shared: a new principal then costs no array and strings of its own for
 * them. One memo per way of splitting (a string splits differently as a scope and as a role
 * list). Bounded; emptied when full. Only verified claims reach it.
 */
const splitLists = new Map<string, readonly string[]>();
const scopeLists = new Map<string, readonly string[]>();
const MAX_SPLIT_LISTS = 256;

/**
 * A claim value as a frozen list ({@link toList}, or {@link toScopes} for `scope`): a JSON
 * array of non-empty strings is the claim's own array (frozen in place, as the claims will be),
 * a separated string the shared split of {@link splitLists} / {@link scopeLists}.
 */
function claimList(value: unknown, asScope = false): readonly string[] {
  const read = asScope ? toScopes : toList;
  if (typeof value === 'string') {
    const memo = asScope ? scopeLists : splitLists;
    let list = memo.get(value);
    if (list === undefined) {
      list = Object.freeze(read(value));
      if (memo.size >= MAX_SPLIT_LISTS) memo.clear();
      memo.set(value, list);
    }
    return list;
  }
  if (!Array.isArray(value)) return EMPTY;
  for (const item of value)
    if (typeof item !== 'string' || item === '') return Object.freeze(read(value));
  return Object.freeze(value as string[]);
}

/** A configured claim path that names the top-level `scope` claim, read as a scope. */
function isScopePath(path: readonly string[]): boolean {
  return path.length === 1 && path[0] === 'scope';
}

const EMPTY: readonly string[] = Object.freeze([]);

/** The segments of each configured attribute claim's dot path, split once. */
const attributePaths = new Map<string, readonly string[]>();

function attributePath(name: string): readonly string[] {
  let path = attributePaths.get(name);
  if (path === undefined) {
    path = Object.freeze(name.split('.'));
    attributePaths.set(name, path);
  }
  return path;
}

function frozen<T extends object>(value: T): T {
  deepFreeze(value);
  return value;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Scopes: RFC 9068 §2.2.3 `scope` (space-separated), or the `scp` array some providers use. */
function scopesOf(claims: Readonly<Record<string, unknown>>): readonly string[] {
  return claimList(claims.scope !== undefined ? claims.scope : claims.scp, true);
}

/** `acr`, `amr`, `auth_time` and `cnf.jkt`: what step-up and sender constraint decide on. */
function addAuthentication(principal: Principal, claims: Readonly<Record<string, unknown>>) {
  const acr = str(claims.acr);
  if (acr !== undefined) principal.acr = acr;
  if (claims.amr !== undefined) principal.amr = Object.freeze(toList(claims.amr));
  const authTime = num(claims.auth_time);
  if (authTime !== undefined) principal.authTime = authTime;
  const cnf = claims.cnf;
  if (cnf !== null && typeof cnf === 'object' && !Array.isArray(cnf)) {
    const jkt = str((cnf as Record<string, unknown>).jkt);
    if (jkt !== undefined) principal.confirmation = Object.freeze({ jkt });
  }
}

/**
 * Maps verified claims to a {@link Principal} per the issuer's profile: Keycloak
 * `realm_access.roles` + `resource_access.<client>.roles`, Authentik flat
 * `groups`, or configured dot paths whose values are arrays or separated strings.
 * `claims` becomes the principal's own and is frozen in place, not copied: callers pass an
 * object nothing else holds (a freshly decoded payload, a fresh introspection answer).
 */
export function toPrincipal(
  issuer: ResolvedIssuer,
  claims: Readonly<Record<string, unknown>>,
): Principal {
  const { rolesPath, permissionsPath } = issuer;
  const roles = distinct(claimList(readClaim(claims, rolesPath), isScopePath(rolesPath)));
  const permissions = distinct(
    claimList(readClaim(claims, permissionsPath), isScopePath(permissionsPath)),
  );
  const attributes: Record<string, string | readonly string[]> = {};
  for (const name of issuer.attributeClaims) {
    const value = readClaim(claims, attributePath(name));
    // An empty string is no value: an attribute is assigned only by a non-empty one.
    if (typeof value === 'string') {
      if (value !== '') attributes[name] = value;
    } else if (Array.isArray(value)) {
      const list = value.filter((v): v is string => typeof v === 'string' && v !== '');
      // Keycloak sends single-valued user attributes as one-element arrays in some mappers.
      if (list.length === 1) attributes[name] = list[0] as string;
      else if (list.length > 1) attributes[name] = Object.freeze(list);
    }
  }
  // `iss` was checked equal to the issuer (RFC 9068 §4): the configured string serves the
  // claims too, so each cached principal does not keep a copy of its own.
  if (claims.iss === issuer.issuer) (claims as Record<string, unknown>).iss = issuer.issuer;
  const principal: Principal = {
    issuer: issuer.issuer,
    subject: String(claims.sub),
    roles,
    permissions,
    scopes: scopesOf(claims),
    attributes: Object.freeze(attributes),
    claims: frozen(claims),
    expiresAt: num(claims.exp) ?? 0,
    isAdmin: roles.includes(issuer.adminRole),
  };
  const username = str(claims.preferred_username) ?? str(claims.username);
  if (username !== undefined) principal.username = username;
  const email = str(claims.email);
  if (email !== undefined) principal.email = email;
  const name = str(claims.name);
  if (name !== undefined) principal.name = name;
  const sid = str(claims.sid);
  if (sid !== undefined) principal.sessionId = sid;
  const clientId = clientOf(claims);
  if (clientId !== undefined) principal.clientId = clientId;
  const iat = num(claims.iat);
  if (iat !== undefined) principal.issuedAt = iat;
  addAuthentication(principal, claims);
  return Object.freeze(principal);
}
