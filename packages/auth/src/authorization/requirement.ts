import type { IssuerAcrLevels } from './acr-levels.js';

/**
 * What a route, a tool or an external query requires, as data. Every member that is set must
 * hold (they are combined with AND); an empty requirement means "any valid token".
 *
 * The type parameter narrows permission names to an app's own table, so a typo in a route's
 * declaration does not compile.
 *
 * @example
 * ```ts
 * const readTodos: Requirement<'todos:read'> = { permission: 'todos:read' };
 * const adminWork: Requirement = { admin: true, acr: 'mfa', maxAge: 900 };
 * const editList: Requirement = { permission: 'todos:write', relation: ['owner', 'editor'] };
 * ```
 */
export interface Requirement<P extends string = string> {
  /** Every listed permission (`resource:action`). The admin role bypasses this check. */
  readonly permission?: P | readonly P[];
  /** A role the caller must hold. The admin role holds every role. */
  readonly role?: string;
  /** Only callers holding the issuer's admin role. */
  readonly admin?: true;
  /**
   * Only the app's own clients: a token issued to a client that the context counts as an agent
   * ({@link DecisionContext.isAgent}: a third party acting for the person, such as one that
   * registered itself, RFC 7591) is refused, whatever the person may do. A delegation to an
   * agent never carries this work, and no step-up or grant changes that. A token that names no
   * client (neither `azp` nor `client_id`, RFC 9068 §2.2) is refused too: nothing tells it from
   * an agent's.
   */
  readonly firstParty?: true;
  /**
   * At least one of these relations to the resource (`owner`, `editor`, …). The facts come
   * from the app through {@link Resource}; the admin role does **not** bypass this check.
   */
  readonly relation?: string | readonly string[];
  /**
   * Attribute scoping: the resource's value of this attribute (`department`) must be one of the
   * caller's own values. The admin role bypasses this check (it spans every department).
   */
  readonly attribute?: string;
  /**
   * Minimum authentication strength: an `acr` value (OIDC Core §2) at least this high in the
   * configured level order ({@link DecisionContext.acrLevels}), never a string comparison. For
   * an issuer with levels of its own ({@link DecisionContext.issuerAcrLevels}), the level of
   * its order this one asks for, in that order alone.
   */
  readonly acr?: string;
  /** The caller authenticated at most this many seconds ago (`auth_time`, OIDC Core §2). */
  readonly maxAge?: number;
  /** The token must be sender-constrained by DPoP (RFC 9449 §6) and its proof must match. */
  readonly senderConstrained?: 'dpop';
}

/**
 * What the app knows about the resource being acted on. The decision function stays pure: the
 * app looks up the facts (who owns the list, which relation the caller has) and passes them in.
 */
export interface Resource {
  /** A type name for logs and external queries (`todo`, `list`). */
  readonly type?: string;
  readonly id?: string;
  /** The owner: the caller holds the `owner` relation when issuer and subject match. */
  readonly owner?: { readonly issuer: string; readonly subject: string };
  /** Relations the caller holds to this resource, as the app established them. */
  readonly relations?: readonly string[];
  /** Attributes of the resource for attribute scoping (`{ department: 'sales' }`). */
  readonly attributes?: Readonly<Record<string, string | readonly string[] | undefined>>;
}

/** The request-time facts a decision needs besides the principal and the resource. */
export interface DecisionContext {
  /** Now, in seconds since the epoch (compared with `auth_time`). */
  readonly now: number;
  /** Authentication levels, weakest first (`['pwd', 'mfa']`); an unknown `acr` is below all. */
  readonly acrLevels?: readonly string[] | undefined;
  /**
   * Issuers whose tokens' `acr` is ranked in levels of their own instead, by issuer: a level
   * name of the default order, or of another issuer, means nothing in their tokens unless
   * their own levels list it.
   */
  readonly issuerAcrLevels?: ReadonlyMap<string, IssuerAcrLevels> | undefined;
  /**
   * The DPoP proof of this request, already verified (RFC 9449 §4.3): the JWK SHA-256 thumbprint
   * of its key. Absent when the request carried no proof.
   */
  readonly proof?: { readonly jkt: string };
  /** DPoP algorithms the resource server accepts, advertised in the challenge (RFC 9449 §7.1). */
  readonly dpopAlgorithms?: readonly string[];
  /**
   * Whether the client a token was issued to (`azp` or `client_id`, RFC 9068 §2.2) is an agent
   * rather than one of the app's own, for `firstParty` requirements; it gets the token's issuer
   * too, since a client id names a client of one issuer only (RFC 6749 §2.2). Without it no
   * caller meets one (fail closed); a token naming no client meets none either way.
   */
  readonly isAgent?: ((clientId: string | undefined, issuer?: string) => boolean) | undefined;
}
