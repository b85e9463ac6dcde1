import type { ResolvedIssuer } from '../config.js';
import type { Principal } from '../principal.js';
import { readClaim, toList } from './read.js';

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

/** The distinct strings of a list, in order, frozen; small lists are scanned instead of hashed. */
function distinct(list: readonly string[]): readonly string[] {
  if (list.length > 16) return Object.freeze([...new Set(list)]);
  const out: string[] = [];
  for (const s of list) if (!out.includes(s)) out.push(s);
  return Object.freeze(out);
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
  return claims.scope !== undefined ? toList(claims.scope) : toList(claims.scp);
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
  const roles = distinct(toList(readClaim(claims, issuer.rolesPath)));
  const permissions = distinct(toList(readClaim(claims, issuer.permissionsPath)));
  const attributes: Record<string, string | readonly string[]> = {};
  for (const name of issuer.attributeClaims) {
    const value = readClaim(claims, name.split('.'));
    if (typeof value === 'string') attributes[name] = value;
    else if (Array.isArray(value)) {
      const list = value.filter((v): v is string => typeof v === 'string');
      // Keycloak sends single-valued user attributes as one-element arrays in some mappers.
      if (list.length === 1) attributes[name] = list[0] as string;
      else if (list.length > 1) attributes[name] = Object.freeze(list);
    }
  }
  const principal: Principal = {
    issuer: issuer.issuer,
    subject: String(claims.sub),
    roles,
    permissions,
    scopes: Object.freeze(scopesOf(claims)),
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
  const clientId = str(claims.azp) ?? str(claims.client_id);
  if (clientId !== undefined) principal.clientId = clientId;
  const iat = num(claims.iat);
  if (iat !== undefined) principal.issuedAt = iat;
  addAuthentication(principal, claims);
  return Object.freeze(principal);
}
