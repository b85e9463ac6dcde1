import type { ResolvedIssuer } from '../config.js';
import { DEFAULT_DPOP_ALGORITHMS } from '../dpop/verify-proof.js';
import type { Finding } from './types.js';

/**
 * What the provider must offer for the way the API is configured to take its tokens, read from
 * its discovery document: the provider answers, names the right issuer and has keys, and still
 * every token would be refused.
 */

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

/**
 * OIDC_DPOP=required with a provider that does not issue DPoP-bound tokens. RFC 9449 §5.1: an
 * authorization server that supports DPoP lists the proof algorithms it accepts in
 * `dpop_signing_alg_values_supported`; without one the API's proof algorithms share, no client
 * can obtain a token the API takes.
 */
export function dpopFinding(
  issuer: ResolvedIssuer,
  metadata: Record<string, unknown>,
): Finding | undefined {
  if (issuer.dpop !== 'required') return undefined;
  const offered = strings(metadata.dpop_signing_alg_values_supported);
  if (offered.some((alg) => DEFAULT_DPOP_ALGORITHMS.includes(alg))) return undefined;
  const none = offered.length === 0;
  return {
    code: 'dpop_unsupported',
    check: 'discovery',
    issuer: issuer.issuer,
    summary: none
      ? 'OIDC_DPOP is required, but the discovery document lists no dpop_signing_alg_values_supported: the provider issues no DPoP-bound tokens, so the API refuses every token of this issuer (401, a DPoP-bound access token is needed).'
      : 'OIDC_DPOP is required, but the provider takes DPoP proofs by none of the algorithms the API checks: no client can get a DPoP-bound token the API accepts.',
    expected: `dpop_signing_alg_values_supported with one of ${DEFAULT_DPOP_ALGORITHMS.join(', ')}`,
    received: none ? '(not advertised)' : offered.join(', '),
    fix: {
      config:
        'Set OIDC_DPOP=allowed (bearer tokens and DPoP-bound ones) until the provider binds tokens and every client sends proofs.',
      keycloak:
        'Keycloak 26.4 and later support DPoP (earlier versions: start with --features=dpop); then turn on "Require DPoP bound tokens" in each client’s advanced settings.',
      authentik:
        'Authentik does not issue DPoP-bound tokens: keep OIDC_DPOP=allowed (or off) for an Authentik issuer.',
    },
  };
}
