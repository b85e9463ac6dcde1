import type { Challenge } from '../authorization/decision.js';
import type { AuthError } from '../errors.js';

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
   * audience; left out of the challenge when not set (the attribute is optional).
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
 * RFC 6750 §3: `error_description` and `scope` values use %x20-21 / %x23-5B / %x5D-7E only, so
 * `"` and `\` become `'` and anything outside printable ASCII becomes a space.
 */
function quote(value: string): string {
  return `"${value.replace(/[^ -~]/g, ' ').replace(/["\\]/g, "'")}"`;
}

/** One challenge: the scheme, then its auth-params comma-separated (RFC 9110 §11.6.1). */
function challengeOf(scheme: string, params: readonly string[]): string {
  return params.length === 0 ? scheme : `${scheme} ${params.join(', ')}`;
}

/** Renders an authorization refusal's challenge (RFC 6750 §3, RFC 9470 §3, RFC 9449 §7.1). */
function renderChallenge(realm: string[], challenge: Challenge, metadata: string[]): string {
  const parts = [...realm];
  parts.push(`error="${challenge.error}"`, `error_description=${quote(challenge.description)}`);
  if (challenge.scope?.length) parts.push(`scope=${quote(challenge.scope.join(' '))}`);
  if (challenge.acrValues?.length) parts.push(`acr_values=${quote(challenge.acrValues.join(' '))}`);
  if (challenge.maxAge !== undefined) parts.push(`max_age="${challenge.maxAge}"`);
  if (challenge.algs?.length) parts.push(`algs=${quote(challenge.algs.join(' '))}`);
  return challengeOf(challenge.scheme, [...parts, ...metadata]);
}

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
  const realm = options.realm === undefined ? [] : [`realm=${quote(options.realm)}`];
  // RFC 9728 §5.1: `resource_metadata` in every challenge, whatever its scheme or error.
  const metadata =
    options.resourceMetadata === undefined
      ? []
      : [`resource_metadata=${quote(options.resourceMetadata)}`];
  const headers: Record<string, string> = {
    'content-type': 'application/problem+json',
    'cache-control': 'no-store',
  };
  const challenge = [...realm];
  const algs = options.dpopAlgorithms?.length
    ? `algs=${quote(options.dpopAlgorithms.join(' '))}`
    : undefined;
  // RFC 9110 §11.6.1: a 401 names the schemes that apply to the resource. Where no bearer token
  // is accepted that is DPoP alone (RFC 9449 §7.1: `WWW-Authenticate: DPoP algs="…"`), and a
  // refusal is answered in the DPoP scheme, whichever scheme the request used.
  const dpopOnly = algs !== undefined && options.bearer === false;
  const scheme = dpopOnly ? 'DPoP' : options.scheme;
  if (error.code === 'dpop_proof_invalid' || error.code === 'dpop_nonce_required') {
    // RFC 9449 §7.1: proof problems are `invalid_dpop_proof`; §9: a missing or stale server
    // nonce is `use_dpop_nonce`, with the nonce to use in `DPoP-Nonce`.
    const code = error.code === 'dpop_proof_invalid' ? 'invalid_dpop_proof' : 'use_dpop_nonce';
    const dpop = [...realm, `error="${code}"`, `error_description=${quote(error.description)}`];
    // Auth-params are unordered (RFC 9110 §11.2); `algs` stays last, as clients see it most.
    headers['www-authenticate'] = challengeOf('DPoP', [
      ...dpop,
      ...metadata,
      ...(algs ? [algs] : []),
    ]);
    if (error.nonce !== undefined) headers['dpop-nonce'] = error.nonce;
  } else if (error.challenge !== undefined) {
    const refusal = error.challenge;
    if (algs && scheme === 'DPoP' && refusal.scheme === 'Bearer') {
      // RFC 9449 §7.1: a request made with DPoP credentials is refused in the DPoP scheme, with
      // RFC 6750 §3.1's and RFC 9470 §3's error codes and parameters; a 401 still offers Bearer
      // where bearer tokens are accepted.
      const dpop = { ...refusal, scheme: 'DPoP', algs: options.dpopAlgorithms ?? [] } as const;
      const bearer =
        refusal.status === 401 && !dpopOnly ? [challengeOf('Bearer', [...realm, ...metadata])] : [];
      headers['www-authenticate'] = [renderChallenge(realm, dpop, metadata), ...bearer].join(', ');
    } else headers['www-authenticate'] = renderChallenge(realm, refusal, metadata);
  } else if (error.code === 'token_missing') {
    headers['www-authenticate'] = dpopOnly
      ? challengeOf('DPoP', [...challenge, algs, ...metadata])
      : challengeOf('Bearer', [...challenge, ...metadata]);
  } else if (error.status === 401) {
    challenge.push('error="invalid_token"', `error_description=${quote(error.description)}`);
    headers['www-authenticate'] = challengeOf('Bearer', [...challenge, ...metadata]);
    // RFC 9449 §7.1: a DPoP request's token refused in the DPoP challenge, Bearer still offered
    // where it is accepted.
    if (algs && scheme === 'DPoP') {
      const dpop = challengeOf('DPoP', [...challenge, ...metadata, algs]);
      headers['www-authenticate'] = dpopOnly
        ? dpop
        : `${dpop}, ${challengeOf('Bearer', [...realm, ...metadata])}`;
    }
  } else if (error.status === 403) {
    challenge.push('error="insufficient_scope"', `error_description=${quote(error.description)}`);
    // RFC 6750 §3: `scope` lists what the request needed.
    if (error.missing?.length) challenge.push(`scope=${quote(error.missing.join(' '))}`);
    headers['www-authenticate'] = dpopOnly
      ? challengeOf('DPoP', [...challenge, ...metadata, algs])
      : challengeOf('Bearer', [...challenge, ...metadata]);
  } else if (error.code === 'request_invalid') {
    challenge.push('error="invalid_request"', `error_description=${quote(error.description)}`);
    headers['www-authenticate'] = dpopOnly
      ? challengeOf('DPoP', [...challenge, ...metadata, algs])
      : challengeOf('Bearer', [...challenge, ...metadata]);
  } else if (error.status === 503) {
    headers['retry-after'] = '5';
  }
  // RFC 9449 §7.1: beside a Bearer challenge of a 401, the DPoP scheme and its algorithms
  // (RFC 9110 §11.6.1: several challenges in one field, comma-separated).
  const www = headers['www-authenticate'];
  if (algs && error.status === 401 && (www === 'Bearer' || www?.startsWith('Bearer ')))
    headers['www-authenticate'] = `${www}, ${challengeOf('DPoP', [...realm, algs, ...metadata])}`;
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
