import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from '../authenticator.js';
import type { IssuerAcrLevels } from '../authorization/acr-levels.js';
import type { Decision } from '../authorization/decision.js';
import type { Requirement, Resource } from '../authorization/requirement.js';
import type { Principal } from '../principal.js';

/**
 * A route's requirement, set through `config: { auth: { … } }` beside the route: any
 * {@link Requirement} (permissions, role, admin, authentication strength and age, sender
 * constraint) plus `introspect`. `{}` means any valid token.
 */
export interface RouteAuthConfig<P extends string = string> extends Requirement<P> {
  /** Also run an RFC 7662 live check, so a revoked token is refused at once. */
  readonly introspect?: boolean;
}

/** Options of `authPlugin`. */
export interface AuthPluginOptions {
  authenticator: Authenticator;
  /**
   * Every route of the context must declare `config.auth`: one without is refused when it is
   * registered (start-up), naming the route. Default false (routes without one need a token).
   */
  requireDeclaration?: boolean;
  /** The app's permission names; a route naming another one is refused at start-up. */
  permissions?: readonly string[];
  /** Authentication levels, weakest first, for `acr` requirements (`['pwd', 'mfa']`). */
  acrLevels?: readonly string[];
  /**
   * Issuers with levels of their own, by issuer, and the level of each a requirement's `acr`
   * asks for: their tokens' `acr` is ranked in their own levels alone.
   */
  issuerAcrLevels?: ReadonlyMap<string, IssuerAcrLevels>;
  /**
   * Runs once the caller is known and before the route's requirement is decided, e.g. a
   * per-subject rate limit, so refused requests count against it too. A synchronous one (no
   * promise returned) keeps a warm request free of promises.
   */
  beforeDecision?: (request: FastifyRequest, reply: FastifyReply) => Promise<void> | void;
  /**
   * Which clients are agents (third parties acting for the person), for `firstParty`
   * requirements; without it no caller meets one (fail closed).
   */
  isAgent?: (clientId: string | undefined, issuer?: string) => boolean;
  /** Clock in milliseconds for `max_age` decisions; default `Date.now`. */
  now?: () => number;
  /**
   * The audiences accepted on this context's requests, from an issuer's configured ones
   * (RFC 8707 §2: a resource with its own identifier accepts tokens naming it), e.g.
   * `() => ['https://api.example.com/mcp']`. Default: the configured ones.
   */
  audiences?: (request: FastifyRequest, configured: readonly string[]) => readonly string[];
  /**
   * The path the app is served under by a proxy that strips it before passing requests on
   * (`/todo` for `https://example.com/todo/me` arriving as `/me`): put back in front of the
   * request's path where a DPoP proof's `htu` is compared with the URI the client used
   * (RFC 9449 §4.3 step 9). Default none.
   */
  publicPath?: string;
  /**
   * The scheme and authority a request's DPoP proof must name in `htu` (RFC 9449 §4.3 step 9),
   * e.g. the origin of the API's configured public URL, so that a `Host` or `X-Forwarded-Host`
   * the client wrote never chooses the server a proof counts for (§11.1). It may end in a path
   * (the configured public URL whole), put in front of the request's path as `publicPath` is,
   * which a request this answers for then takes instead of `publicPath`. `undefined` (or no
   * function): the origin the request came to, forwarded by trusted proxies, and `publicPath`.
   */
  origin?: (request: FastifyRequest) => string | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller; set by `authPlugin` on the routes of its context only. */
    principal: Principal;
    /** The verified DPoP proof's key thumbprint (RFC 9449), when the request carried one. */
    dpopProof: { readonly jkt: string } | undefined;
    /**
     * True when this request's token was verified for it (a token the verified-token cache did
     * not hold), false when the cache answered or the check went through a promise. Lets a
     * route keep per-caller work (a serialised body) only for a token that is used again: most
     * tokens seen once are never seen twice by the same instance.
     */
    verifiedNow: boolean;
    /** Decides a resource-level requirement for this caller (never throws). */
    decide(requirement: Requirement, resource?: Resource): Decision;
    /** Like `decide`, but throws the refusal as an `AuthError` with its challenge. */
    authorize(requirement: Requirement, resource?: Resource): void;
  }
  interface FastifyContextConfig {
    auth?: RouteAuthConfig;
  }
}
