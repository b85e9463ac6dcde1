import { parseStringPair } from '../repositories/role-revocations.js';

/** What of a verified principal a role revocation looks at. */
export interface RoleHolder {
  readonly issuer: string;
  readonly subject: string;
  /** The token's roles, as its issuer's profile reads them (`toPrincipal` in the auth package). */
  readonly roles?: readonly string[] | undefined;
  /** The token's permissions (Keycloak: the API client's roles, `resource_access`). */
  readonly permissions?: readonly string[] | undefined;
}

/** One role's latest removal and grant, epoch milliseconds, kept until `expiresAt`. */
interface RoleEntry {
  removedAt: number;
  grantedAt: number;
  expiresAt: number;
}

/**
 * `role` revocations: issuer → `sub` → role → entry. A role removed from a person refuses their
 * tokens that still carry it, whenever the provider says they were issued: no `iat` is read, so
 * neither a provider clock running ahead (a token issued before the removal whose `iat` is
 * after it) nor one running behind (the next token, without the role, whose `iat` is before
 * it) changes the outcome. A token without the role is not this index's concern. Granted again
 * (a later `grantedAt`), the role is the person's again and its tokens pass.
 */
export class RoleIndex {
  readonly #byIssuer = new Map<string, Map<string, Map<string, RoleEntry>>>();

  /** Merges a `role` revocation, each time to the later one; false for a malformed value. */
  add(
    issuer: string,
    value: string,
    entry: { removedAt: number; grantedAt: number; expiresAt: number },
  ): boolean {
    const parsed = parseStringPair(value);
    if (parsed === undefined) return false;
    const [sub, role] = parsed;
    let subjects = this.#byIssuer.get(issuer);
    if (subjects === undefined) {
      subjects = new Map();
      this.#byIssuer.set(issuer, subjects);
    }
    let roles = subjects.get(sub);
    if (roles === undefined) {
      roles = new Map();
      subjects.set(sub, roles);
    }
    const previous = roles.get(role);
    roles.set(role, {
      removedAt: Math.max(entry.removedAt, previous?.removedAt ?? 0),
      grantedAt: Math.max(entry.grantedAt, previous?.grantedAt ?? 0),
      expiresAt: Math.max(entry.expiresAt, previous?.expiresAt ?? 0),
    });
    return true;
  }

  /** Drops entries expired at `now` (epoch ms). */
  prune(now: number): void {
    for (const [issuer, subjects] of this.#byIssuer) {
      for (const [sub, roles] of subjects) {
        for (const [role, entry] of roles) if (entry.expiresAt <= now) roles.delete(role);
        if (roles.size === 0) subjects.delete(sub);
      }
      if (subjects.size === 0) this.#byIssuer.delete(issuer);
    }
  }

  /**
   * Whether `p` carries, among its roles or permissions, a role removed from its subject at its
   * issuer and not granted again since. A name is matched in both lists: the removal does not
   * say which one it was taken from (fail closed). One map lookup when nothing was removed from
   * this subject; the clock is read only for a match.
   */
  refuses(p: RoleHolder, now: () => number): boolean {
    const roles = this.#byIssuer.get(p.issuer)?.get(p.subject);
    if (roles === undefined) return false;
    for (const [role, entry] of roles) {
      if (entry.removedAt <= entry.grantedAt) continue;
      if (!(p.roles?.includes(role) || p.permissions?.includes(role))) continue;
      if (entry.expiresAt > now()) return true;
    }
    return false;
  }
}
