import type { AuthError } from '../errors.js';
import { type ChallengeParts, challengeFor, challengeOf, quote } from './challenge.js';

/** An RFC 9457 problem details body, with the stable reason `code` as an extension member. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  /** Permissions or roles the caller lacks (403 only). */
  missing?: readonly string[];
}

/** Options of {@link authErrorResponse}. */
export interface AuthErrorResponseOptions {
  /**
   * `realm` of the challenges (RFC 6750 §3, RFC 9110 §11.5), usually the resource's name or
   * audience; left out of the challenge when not set (the attribute is optional), except from
   * one that would then carry no auth-param at all (no token sent): `realm="api"` there.
   */
  realm?: string;
  /**
   * DPoP proof algorithms accepted (RFC 9449 §7.1). When set, a 401 also carries a `DPoP`
   * challenge with `algs`, and DPoP proof failures are answered in that scheme.
   */
  dpopAlgorithms?: readonly string[];
  /**
   * URL of the resource's protected resource metadata (RFC 9728 §3). When set, every challenge
   * carries it as `resource_metadata` (§5.1), so a client can discover the authorization
   * servers from the refusal alone.
   */
  resourceMetadata?: string;
  /**
   * The scopes the resource requires. When set, the challenges of a 401 name them as `scope`
   * (RFC 6750 §3), unless the refusal names its own, so a client knows what to ask for.
   */
  scope?: readonly string[];
  /**
   * The scheme the request's credentials were sent with. With `DPoP` (and `dpopAlgorithms`), a
   * token refused for itself is answered in the DPoP challenge, where a DPoP client looks
   * (RFC 9449 §7.1: `DPoP error="invalid_token"`), and the Bearer scheme is still offered.
   */
  scheme?: 'Bearer' | 'DPoP';
  /**
   * Whether bearer tokens (RFC 6750) are accepted at all; default `true`. `false` (with
   * `dpopAlgorithms`) when every issuer requires DPoP-bound tokens: the challenges then offer the
   * DPoP scheme alone, and every refusal is answered in it.
   */
  bearer?: boolean;
}

/** The scheme of an `Authorization` value: `DPoP` when it names that scheme, else `Bearer`. */
export function credentialScheme(authorization: string | undefined): 'Bearer' | 'DPoP' {
  return typeof authorization === 'string' && /^dpop /i.test(authorization) ? 'DPoP' : 'Bearer';
}

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  503: 'Service Unavailable',
};

/**
 * THE mapping from an {@link AuthError} to HTTP: status, RFC 6750 §3 `WWW-Authenticate`
 * challenge and an RFC 9457 `application/problem+json` body. Use it in the app's one error
 * handler so every auth failure looks the same.
 *
 * - no token sent → 401 with `Bearer realm="…"` and no error code (RFC 6750 §3.1);
 * - any other token failure → 401 `error="invalid_token"`;
 * - missing permission → 403 `error="insufficient_scope"` naming what is missing;
 * - any other authorization refusal → the challenge its decision carries (RFC 9470 step-up,
 *   RFC 9449 DPoP);
 * - a token sent by a forbidden method → 400 `error="invalid_request"`;
 * - identity provider unreachable → 503 with `Retry-After` (not a token problem, no challenge).
 *
 * @example
 * ```ts
 * const { status, headers, body } = authErrorResponse(err);
 * reply.code(status).headers(headers).send(body);
 * ```
 */
export function authErrorResponse(
  error: AuthError,
  options: AuthErrorResponseOptions = {},
): { status: number; headers: Record<string, string>; body: ProblemDetails } {
  const algs = options.dpopAlgorithms?.length
    ? `algs=${quote(options.dpopAlgorithms.join(' '))}`
    : undefined;
  const dpopOnly = algs !== undefined && options.bearer === false;
  const scope = error.status === 401 && !error.challenge?.scope?.length ? options.scope : [];
  const parts: ChallengeParts = {
    realm: options.realm === undefined ? [] : [`realm=${quote(options.realm)}`],
    metadata: [
      ...(options.resourceMetadata === undefined
        ? []
        : [`resource_metadata=${quote(options.resourceMetadata)}`]),
      ...(scope?.length ? [`scope=${quote(scope.join(' '))}`] : []),
    ],
    algs,
    dpopOnly,
    scheme: dpopOnly ? 'DPoP' : options.scheme,
  };
  const headers: Record<string, string> = {
    'content-type': 'application/problem+json',
    'cache-control': 'no-store',
  };
  let www = challengeFor(error, parts, options.dpopAlgorithms ?? []);
  // RFC 9449 §7.1: beside a Bearer challenge of a 401, the DPoP scheme and its algorithms
  // (RFC 9110 §11.6.1: several challenges in one field, comma-separated).
  if (algs && error.status === 401 && www?.startsWith('Bearer '))
    www = `${www}, ${challengeOf('DPoP', [...parts.realm, algs, ...parts.metadata])}`;
  if (www !== undefined) headers['www-authenticate'] = www;
  if (error.code === 'dpop_proof_invalid' || error.code === 'dpop_nonce_required') {
    if (error.nonce !== undefined) headers['dpop-nonce'] = error.nonce;
  } else if (error.status === 503) headers['retry-after'] = String(error.retryAfterSec ?? 5);
  const body: ProblemDetails = {
    type: `urn:todo-sso:problem:${error.code.replaceAll('_', '-')}`,
    title: TITLES[error.status] ?? 'Error',
    status: error.status,
    detail: error.description,
    code: error.code,
  };
  if (error.missing?.length) body.missing = error.missing;
  return { status: error.status, headers, body };
}
