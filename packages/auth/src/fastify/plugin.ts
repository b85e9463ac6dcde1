import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { AuthenticateOptions, Authenticator } from '../authenticator.js';
import { requirementProblems } from '../authorization/check.js';
import { decide } from '../authorization/decide.js';
import type { Decision } from '../authorization/decision.js';
import { denialError } from '../authorization/denial.js';
import type { DecisionContext, Requirement, Resource } from '../authorization/requirement.js';
import { AuthError } from '../errors.js';
import type { Principal } from '../principal.js';
import { type Credentials, readCredentials } from './bearer.js';

/**
 * A route's requirement, set through `config: { auth: { … } }` beside the route: any
 * {@link Requirement} (permissions, role, admin, authentication strength and age, sender
 * constraint) plus `introspect`. `{}` means any valid token.
 */
export interface RouteAuthConfig<P extends string = string> extends Requirement<P> {
  /** Also run an RFC 7662 live check, so a revoked token is refused at once. */
  readonly introspect?: boolean;
}

/** Options of {@link authPlugin}. */
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
   * Runs once the caller is known and before the route's requirement is decided, e.g. a
   * per-subject rate limit, so refused requests count against it too. A synchronous one (no
   * promise returned) keeps a warm request free of promises.
   */
  beforeDecision?: (request: FastifyRequest, reply: FastifyReply) => Promise<void> | void;
  /** Clock in milliseconds for `max_age` decisions; default `Date.now`. */
  now?: () => number;
  /**
   * The audiences accepted on this context's requests, from an issuer's configured ones
   * (RFC 8707 §2: a resource with its own identifier accepts tokens naming it), e.g.
   * `() => ['https://api.example.com/mcp']`. Default: the configured ones.
   */
  audiences?: (request: FastifyRequest, configured: readonly string[]) => readonly string[];
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller; set by `authPlugin` on the routes of its context only. */
    principal: Principal;
    /** The verified DPoP proof's key thumbprint (RFC 9449), when the request carried one. */
    dpopProof: { readonly jkt: string } | undefined;
    /** Decides a resource-level requirement for this caller (never throws). */
    decide(requirement: Requirement, resource?: Resource): Decision;
    /** Like `decide`, but throws the refusal as an `AuthError` with its challenge. */
    authorize(requirement: Requirement, resource?: Resource): void;
  }
  interface FastifyContextConfig {
    auth?: RouteAuthConfig;
  }
}

/**
 * Node keeps only the first of repeated `Authorization` field lines, while a proxy in front may
 * act on the last. `Authorization` is not a list-based field (RFC 9110 §5.3, §11.6.2), so two
 * lines are ambiguous credentials: refused as RFC 6750 §3.1 `invalid_request`, never resolved
 * silently to one of the callers.
 */
function hasRepeatedAuthorization(rawHeaders: readonly string[]): boolean {
  let seen = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    // The length test spares a lower-cased copy of every other header name on each request.
    if (name?.length === 13 && name.toLowerCase() === 'authorization' && ++seen > 1) return true;
  }
  return false;
}

/** Every field line of a header, by lower-case name (RFC 9449 §4.3 step 1 counts them). */
function headerLines(rawHeaders: readonly string[], name: string): string[] {
  const lines: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const value = rawHeaders[i + 1];
    if (rawHeaders[i]?.length === name.length && rawHeaders[i]?.toLowerCase() === name && value)
      lines.push(value);
  }
  return lines;
}

/** Start-up checks of one route's declaration; a mistake is a TypeError naming the route. */
function checkRoute(
  route: { method: string | string[]; url: string; config?: unknown },
  options: AuthPluginOptions,
): void {
  const methods = [route.method].flat().filter((m) => m !== 'HEAD');
  if (methods.length === 0) return;
  const name = `${methods.join(',')} ${route.url}`;
  const auth = (route.config as { auth?: RouteAuthConfig } | undefined)?.auth;
  if (auth === undefined) {
    if (options.requireDeclaration)
      throw new TypeError(`Route ${name} declares no requirement (config.auth)`);
    return;
  }
  if (auth.introspect && !options.authenticator.canIntrospect())
    throw new TypeError(
      `Route ${name} asks for introspection, but no issuer has clientId and clientSecret`,
    );
  const vocabulary = {
    ...(options.permissions && { permissions: options.permissions }),
    ...(options.acrLevels && { acrLevels: options.acrLevels }),
  };
  const problems = requirementProblems(auth, vocabulary, ['introspect']);
  if (problems.length > 0) throw new TypeError(`Route ${name}: ${problems.join('; ')}`);
}

async function plugin(app: FastifyInstance, options: AuthPluginOptions): Promise<void> {
  const { authenticator, beforeDecision, audiences } = options;
  if (authenticator === undefined || typeof authenticator.authenticate !== 'function')
    throw new TypeError('authPlugin needs { authenticator }');
  const now = options.now ?? Date.now;
  const dpopAlgorithms = authenticator.dpopAlgorithms;
  const contextOf = (request: FastifyRequest): DecisionContext => ({
    now: Math.floor(now() / 1000),
    ...(options.acrLevels && { acrLevels: options.acrLevels }),
    ...(request.dpopProof && { proof: request.dpopProof }),
    ...(dpopAlgorithms && { dpopAlgorithms }),
  });
  // Mistakes in a declaration are refused when the route is declared (a TypeError at
  // start-up), never a 500 or a silently missing check per request.
  app.addHook('onRoute', (route) => checkRoute(route, options));
  if (!app.hasRequestDecorator('principal'))
    app.decorateRequest('principal', null as unknown as Principal);
  if (!app.hasRequestDecorator('dpopProof')) app.decorateRequest('dpopProof', undefined);
  if (!app.hasRequestDecorator('decide'))
    app.decorateRequest('decide', function (this: FastifyRequest, requirement, resource) {
      return decide(this.principal, requirement, resource, contextOf(this));
    });
  if (!app.hasRequestDecorator('authorize'))
    app.decorateRequest('authorize', function (this: FastifyRequest, requirement, resource) {
      const decision = decide(this.principal, requirement, resource, contextOf(this));
      if (!decision.allowed) throw denialError(decision);
    });

  /** The route's requirement; an issuer that requires DPoP adds the sender constraint. */
  const requirementOf = (principal: Principal, auth: RouteAuthConfig | undefined) =>
    authenticator.dpopMode(principal.issuer) === 'required'
      ? { ...auth, senderConstrained: 'dpop' as const }
      : auth;
  const decideRoute = (request: FastifyRequest, auth: RouteAuthConfig | undefined) => {
    const requirement = requirementOf(request.principal, auth);
    if (requirement === undefined) return;
    const decision = decide(request.principal, requirement, undefined, contextOf(request));
    if (!decision.allowed) throw denialError(decision);
  };

  /** Every path but the warm one: verification, introspection, DPoP, asynchronous checks. */
  const authenticate = async (
    request: FastifyRequest,
    reply: FastifyReply,
    credentials: Credentials | undefined,
    accept: AuthenticateOptions | undefined,
    auth: RouteAuthConfig | undefined,
  ): Promise<void> => {
    const principal = await authenticator.authenticate(credentials?.token, accept);
    // authenticate() refused a missing token, so the credentials are here from now on.
    const { scheme, token } = credentials as Credentials;
    if (auth?.introspect) await authenticator.introspect(token, accept);
    request.principal = principal;
    // RFC 9449 §7: a DPoP request, or a bound token sent as Bearer (refused); a plain bearer
    // request skips this. `htu` is compared with the URI the client used: behind trusted
    // proxies, Fastify's protocol and host are the forwarded ones.
    if (scheme === 'DPoP' || principal.confirmation !== undefined)
      request.dpopProof = await authenticator.checkSender(principal, {
        scheme,
        token,
        proof: headerLines(request.raw.rawHeaders, 'dpop'),
        method: request.method,
        url: `${request.protocol}://${request.host}${request.url}`,
      });
    if (beforeDecision) await beforeDecision(request, reply);
    decideRoute(request, auth);
  };

  // Callback style: a warm request (a Bearer token verified before, on a route without
  // introspection) is decided synchronously, without a promise; every other one goes through
  // `authenticate`. Failures are AuthErrors (statusCode set) for the app's error handler.
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done) => {
    let credentials: Credentials | undefined;
    let accept: AuthenticateOptions | undefined;
    let hit: Principal | undefined;
    const auth = request.routeOptions.config?.auth;
    try {
      if (
        request.headers.authorization !== undefined &&
        hasRepeatedAuthorization(request.raw.rawHeaders)
      )
        throw new AuthError('request_invalid', 'Send exactly one Authorization header');
      credentials = readCredentials(
        request.headers.authorization,
        request.query,
        dpopAlgorithms !== undefined,
      );
      accept = audiences && {
        audiences: (configured: readonly string[]) => audiences(request, configured),
      };
      if (credentials?.scheme === 'Bearer' && !auth?.introspect)
        hit = authenticator.cached?.(credentials.token, accept);
    } catch (error) {
      return done(error as Error);
    }
    // A DPoP-bound token sent as Bearer is refused by checkSender: the full path.
    if (hit === undefined || hit.confirmation !== undefined) {
      authenticate(request, reply, credentials, accept, auth).then(() => done(), done);
      return;
    }
    request.principal = hit;
    try {
      const pending = beforeDecision?.(request, reply);
      if (pending) {
        pending.then(() => decideRoute(request, auth)).then(() => done(), done);
        return;
      }
      decideRoute(request, auth);
    } catch (error) {
      return done(error as Error);
    }
    done();
  });
}

/**
 * Fastify plugin: authenticates every request of the context it is registered in, sets
 * `request.principal` and decides the route's declared requirement (`config.auth`) with
 * {@link decide}. Register it inside the protected part of the app only (Fastify
 * encapsulation). Refusals are thrown as `AuthError`s carrying their challenge, for the app's
 * one error handler (`authErrorResponse`).
 *
 * @example
 * ```ts
 * app.register(async (protectedRoutes) => {
 *   await protectedRoutes.register(authPlugin, { authenticator, requireDeclaration: true });
 *   protectedRoutes.get('/todos/', { config: { auth: { permission: 'todos:read' } } }, handler);
 * });
 * ```
 */
export const authPlugin = fp(plugin, { name: '@todo-sso/auth', fastify: '5.x' });
