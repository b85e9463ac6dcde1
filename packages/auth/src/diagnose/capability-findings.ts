import type { ResolvedIssuer } from '../config.js';
import { DEFAULT_DPOP_ALGORITHMS } from '../dpop/verify-proof.js';
import type { Principal } from '../principal.js';
import type { Finding, SettingName } from './types.js';

/**
 * What the provider must offer for the way the API is configured to take its tokens, read from
 * its discovery document: the provider answers, names the right issuer and has keys, and still
 * every token would be refused.
 */

/** The strings of a metadata member that should be an array of them (others dropped). */
export const strings = (value: unknown): string[] =>
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
  name: SettingName,
): Finding | undefined {
  if (issuer.dpop !== 'required') return undefined;
  const dpop = name('dpop', 'OIDC_DPOP');
  const offered = strings(metadata.dpop_signing_alg_values_supported);
  if (offered.some((alg) => DEFAULT_DPOP_ALGORITHMS.includes(alg))) return undefined;
  const none = offered.length === 0;
  return {
    code: 'dpop_unsupported',
    check: 'discovery',
    issuer: issuer.issuer,
    summary: none
      ? `${dpop} is required, but the discovery document lists no dpop_signing_alg_values_supported: the provider issues no DPoP-bound tokens, so the API refuses every token of this issuer (401, a DPoP-bound access token is needed).`
      : `${dpop} is required, but the provider takes DPoP proofs by none of the algorithms the API checks: no client can get a DPoP-bound token the API accepts.`,
    expected: `dpop_signing_alg_values_supported with one of ${DEFAULT_DPOP_ALGORITHMS.join(', ')}`,
    received: none ? '(not advertised)' : offered.join(', '),
    fix: {
      config: `Set ${dpop}=allowed (bearer tokens and DPoP-bound ones) until the provider binds tokens and every client sends proofs.`,
      keycloak:
        'Keycloak 26.4 and later support DPoP (earlier versions: start with --features=dpop); then turn on "Require DPoP bound tokens" in each client’s advanced settings.',
      authentik: `Authentik does not issue DPoP-bound tokens: keep ${dpop}=allowed (or off) for an Authentik issuer.`,
    },
  };
}

/** The JWKS members that can verify a signature (RFC 7517 §4.2: no `use`, or `sig`). */
function signatureKeys(jwks: Record<string, unknown>): unknown[] | undefined {
  if (!Array.isArray(jwks.keys)) return undefined;
  return jwks.keys.filter((k) => {
    const key = k as Record<string, unknown> | null;
    return key !== null && typeof key === 'object' && (key.use === undefined || key.use === 'sig');
  });
}

/**
 * A key set without one key to verify a signature with: Authentik's answer for a provider
 * without a signing key (`{}`: it then signs with HS256 and the client secret), or a Keycloak
 * realm whose only active keys encrypt (`use: enc`), e.g. one signing with HS256 (HMAC keys are
 * never published). A `keys` member that is not an array is a broken document, not this.
 */
export function signingKeyFinding(
  issuer: ResolvedIssuer,
  jwks: Record<string, unknown>,
  jwksUri: string,
): Finding | undefined {
  if (jwks.keys !== undefined && !Array.isArray(jwks.keys)) return undefined;
  if ((signatureKeys(jwks)?.length ?? 0) > 0) return undefined;
  const listed = Array.isArray(jwks.keys) ? jwks.keys.length : 0;
  const consequence =
    issuer.verify === 'jwt'
      ? 'every access token will be refused'
      : 'back-channel logout tokens cannot be verified, so signing out at the provider ends nothing here';
  return {
    code: 'signing_key_missing',
    check: 'keys',
    issuer: issuer.issuer,
    summary: `The provider's key set at ${jwksUri} holds no key to verify signatures with: ${consequence}.`,
    expected: `a signing key (no "use", or "use": "sig") for one of ${issuer.algorithms.join(', ')}`,
    received:
      jwks.keys === undefined
        ? 'a JWKS without a "keys" member'
        : listed === 0
          ? 'an empty "keys" array'
          : `${listed} key${listed === 1 ? '' : 's'}, none for signatures (e.g. "use": "enc")`,
    ...(issuer.verify === 'jwt' ? { apiCode: 'idp_unavailable' as const } : {}),
    fix: {
      keycloak:
        'Realm settings → Keys: keep an active rsa-generated (RS256) or ecdsa-generated (ES256) provider, and Realm settings → Tokens → Default signature algorithm: RS256; Keycloak never publishes HMAC (HS256) keys.',
      authentik:
        'Provider → Signing Key: choose a certificate (e.g. "authentik Self-signed Certificate"); without one Authentik signs with HS256 and the client secret, which the API does not accept.',
    },
  };
}

/**
 * OIDC_VERIFY=introspect with a provider whose discovery document advertises no
 * `introspection_endpoint` (RFC 8414 §2): the API has nowhere to ask (RFC 7662 §2) and answers
 * every token of this issuer with 503.
 */
export function introspectionFinding(
  issuer: ResolvedIssuer,
  endpoint: string | undefined,
  name: SettingName,
): Finding | undefined {
  if (issuer.verify !== 'introspect' || endpoint !== undefined) return undefined;
  return {
    code: 'introspection_unsupported',
    check: 'discovery',
    issuer: issuer.issuer,
    summary: `${name('verify', 'OIDC_VERIFY')} is introspect, but the discovery document advertises no introspection_endpoint: the API cannot check any token of this issuer and answers 503.`,
    expected: 'introspection_endpoint in the discovery document',
    received: '(not advertised)',
    apiCode: 'idp_unavailable',
    fix: {
      config: `Set ${name('verify', 'OIDC_VERIFY')}=jwt (local verification against the provider’s keys), or point ${name('discoveryUrl', 'OIDC_DISCOVERY_URL')} at a document that advertises introspection.`,
      keycloak:
        'Keycloak advertises <issuer>/protocol/openid-connect/token/introspect in every realm’s document: check that the document fetched is the realm’s own.',
      authentik:
        'Authentik advertises /application/o/introspect/ in every application’s document: check that the document fetched is the application’s own (/application/o/<slug>/).',
    },
  };
}

/**
 * A verified token that is not DPoP-bound (no `cnf.jkt`, RFC 9449 §6.1) from an issuer whose
 * tokens must be (OIDC_DPOP=required): the API refuses it whatever proof comes with it.
 */
export function unboundTokenFinding(
  issuer: ResolvedIssuer,
  principal: Principal,
  name: SettingName,
): Finding | undefined {
  if (issuer.dpop !== 'required' || principal.confirmation?.jkt !== undefined) return undefined;
  const dpop = name('dpop', 'OIDC_DPOP');
  return {
    code: 'dpop_token_unbound',
    check: 'token',
    issuer: issuer.issuer,
    summary: `The token is valid but not DPoP-bound (no cnf.jkt), and ${dpop} requires bound tokens of this issuer: the API refuses it (401, a DPoP-bound access token is needed).`,
    expected: 'a cnf claim with the jkt of the client’s DPoP key',
    received: '(no cnf.jkt)',
    fix: {
      config: `Set ${dpop}=allowed until every client of this issuer sends DPoP proofs with its token requests.`,
      keycloak:
        'Keycloak binds a token only when its token request carries a DPoP proof: make the client send one, and turn on "Require DPoP bound tokens" in its advanced settings so that a request without is refused.',
      authentik: `Authentik does not issue DPoP-bound tokens: keep ${dpop}=allowed (or off) for an Authentik issuer.`,
    },
  };
}
