import type { Challenge } from '../authorization/decision.js';
import type { AuthError } from '../errors.js';

// The `WWW-Authenticate` challenges of a refusal (RFC 6750 §3, RFC 9449 §7.1, RFC 9470 §3,
// RFC 9728 §5.1), rendered for `authErrorResponse`, which adds the status and the body.

/**
 * RFC 6750 §3: `error_description` and `scope` values use %x20-21 / %x23-5B / %x5D-7E only, so
 * `"` and `\` become `'` and anything outside printable ASCII becomes a space.
 */
export function quote(value: string): string {
  return `"${value.replace(/[^ -~]/g, ' ').replace(/["\\]/g, "'")}"`;
}

/**
 * The realm of a challenge that would carry no auth-param at all: RFC 6750 §3 has the `Bearer`
 * scheme "followed by one or more auth-param values", so without a configured `realm` (and
 * without `resource_metadata`) a bare `Bearer` is not an RFC 6750 challenge.
 */
const DEFAULT_REALM = 'api';

/** One challenge: the scheme, then its auth-params comma-separated (RFC 9110 §11.6.1). */
export function challengeOf(scheme: string, params: readonly string[]): string {
  return params.length === 0
    ? `${scheme} realm="${DEFAULT_REALM}"`
    : `${scheme} ${params.join(', ')}`;
}

/** Renders an authorization refusal's challenge (RFC 6750 §3, RFC 9470 §3, RFC 9449 §7.1). */
function renderChallenge(
  realm: readonly string[],
  challenge: Challenge,
  metadata: readonly string[],
): string {
  const parts = [...realm];
  parts.push(`error="${challenge.error}"`, `error_description=${quote(challenge.description)}`);
  if (challenge.scope?.length) parts.push(`scope=${quote(challenge.scope.join(' '))}`);
  if (challenge.acrValues?.length) parts.push(`acr_values=${quote(challenge.acrValues.join(' '))}`);
  if (challenge.maxAge !== undefined) parts.push(`max_age="${challenge.maxAge}"`);
  if (challenge.algs?.length) parts.push(`algs=${quote(challenge.algs.join(' '))}`);
  return challengeOf(challenge.scheme, [...parts, ...metadata]);
}

/** What every challenge of one response shares, rendered once. */
export interface ChallengeParts {
  /** `realm="…"`, or nothing. */
  readonly realm: readonly string[];
  /** `resource_metadata="…"` (RFC 9728 §5.1) and a 401's `scope="…"`: in every challenge. */
  readonly metadata: readonly string[];
  /** `algs="…"` (RFC 9449 §7.1) when DPoP is accepted. */
  readonly algs: string | undefined;
  /**
   * No bearer token is accepted: RFC 9110 §11.6.1, a 401 names the schemes that apply to the
   * resource, here DPoP alone (RFC 9449 §7.1: `WWW-Authenticate: DPoP algs="…"`), and every
   * refusal is answered in the DPoP scheme, whichever scheme the request used.
   */
  readonly dpopOnly: boolean;
  /** The scheme the refusal is answered in when both are offered: the request's. */
  readonly scheme: 'Bearer' | 'DPoP' | undefined;
}

/** A refusal's params in the Bearer challenge, or in the DPoP one where only DPoP is accepted. */
function inScheme(p: ChallengeParts, params: readonly string[]): string {
  return p.dpopOnly && p.algs !== undefined
    ? challengeOf('DPoP', [...p.realm, ...params, ...p.metadata, p.algs])
    : challengeOf('Bearer', [...p.realm, ...params, ...p.metadata]);
}

/** The challenge of an authorization decision's refusal (RFC 9470 step-up, RFC 9449 DPoP). */
function refusalChallenge(refusal: Challenge, p: ChallengeParts, dpopAlgs: readonly string[]) {
  if (p.algs && p.scheme === 'DPoP' && refusal.scheme === 'Bearer') {
    // RFC 9449 §7.1: a request made with DPoP credentials is refused in the DPoP scheme, with
    // RFC 6750 §3.1's and RFC 9470 §3's error codes and parameters; a 401 still offers Bearer
    // where bearer tokens are accepted.
    const dpop = { ...refusal, scheme: 'DPoP', algs: dpopAlgs } as const;
    const offered = refusal.status === 401 && !p.dpopOnly;
    const bearer = offered ? [challengeOf('Bearer', [...p.realm, ...p.metadata])] : [];
    return [renderChallenge(p.realm, dpop, p.metadata), ...bearer].join(', ');
  }
  return renderChallenge(p.realm, refusal, p.metadata);
}

/** The `WWW-Authenticate` value of a refusal, before the DPoP scheme is offered beside Bearer. */
export function challengeFor(
  error: AuthError,
  p: ChallengeParts,
  dpopAlgs: readonly string[],
): string | undefined {
  const { realm, metadata, algs } = p;
  const described = (code: string) => [
    `error="${code}"`,
    `error_description=${quote(error.description)}`,
  ];
  if (error.code === 'dpop_proof_invalid' || error.code === 'dpop_nonce_required') {
    // RFC 9449 §7.1: proof problems are `invalid_dpop_proof`; §9: a missing or stale server
    // nonce is `use_dpop_nonce`, with the nonce to use in `DPoP-Nonce`.
    const code = error.code === 'dpop_proof_invalid' ? 'invalid_dpop_proof' : 'use_dpop_nonce';
    // Auth-params are unordered (RFC 9110 §11.2); `algs` stays last, as clients see it most.
    return challengeOf('DPoP', [
      ...realm,
      ...described(code),
      ...metadata,
      ...(algs ? [algs] : []),
    ]);
  }
  if (error.challenge !== undefined) return refusalChallenge(error.challenge, p, dpopAlgs);
  if (error.code === 'token_missing')
    return p.dpopOnly && algs
      ? challengeOf('DPoP', [...realm, algs, ...metadata])
      : challengeOf('Bearer', [...realm, ...metadata]);
  if (error.status === 401) {
    // RFC 9449 §7.1: a DPoP request's token refused in the DPoP challenge, Bearer still offered
    // where it is accepted.
    if (algs && p.scheme === 'DPoP') {
      const dpop = challengeOf('DPoP', [
        ...realm,
        ...described('invalid_token'),
        ...metadata,
        algs,
      ]);
      return p.dpopOnly ? dpop : `${dpop}, ${challengeOf('Bearer', [...realm, ...metadata])}`;
    }
    return challengeOf('Bearer', [...realm, ...described('invalid_token'), ...metadata]);
  }
  if (error.status === 403) {
    // RFC 6750 §3: `scope` lists what the request needed.
    const scope = error.missing?.length ? [`scope=${quote(error.missing.join(' '))}`] : [];
    return inScheme(p, [...described('insufficient_scope'), ...scope]);
  }
  if (error.code === 'request_invalid') return inScheme(p, described('invalid_request'));
  return undefined;
}
