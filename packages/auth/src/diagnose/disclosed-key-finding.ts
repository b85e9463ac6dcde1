import type { ResolvedIssuer } from '../config.js';
import { PRIVATE_JWK_MEMBERS } from '../jwks/import-key.js';
import type { Finding } from './types.js';

const COMPROMISED =
  'Treat the key as compromised: anyone who read the key set can sign tokens with it.';

/**
 * Signing keys the provider's key set publishes with their private part (RSA `d`, `p`, `q`, …;
 * EC and OKP `d`): the API does not trust them (`importKeySet`), so the tokens they sign are
 * refused as signed by no key of the issuer (`key_unknown`). Named as what it is — a disclosed
 * key — rather than as an algorithm the API does not allow, or a key missing from the set.
 */
export function disclosedKeyFinding(
  issuer: ResolvedIssuer,
  jwks: Record<string, unknown>,
  jwksUri: string,
): Finding | undefined {
  const keys = Array.isArray(jwks.keys) ? (jwks.keys as unknown[]) : [];
  const disclosed: string[] = [];
  for (const jwk of keys) {
    if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) continue;
    const k = jwk as Record<string, unknown>;
    if (k.use !== undefined && k.use !== 'sig') continue;
    const members = PRIVATE_JWK_MEMBERS.filter((m) => k[m] !== undefined);
    if (members.length === 0 || k.kty === 'oct') continue;
    const kind = typeof k.alg === 'string' ? k.alg : typeof k.kty === 'string' ? k.kty : '?';
    const kid = typeof k.kid === 'string' ? `key ${k.kid}` : 'a key without kid';
    disclosed.push(`${kid} (${kind}) with its private part (${members.join(', ')})`);
  }
  if (disclosed.length === 0) return undefined;
  return {
    code: 'signing_key_disclosed',
    check: 'keys',
    issuer: issuer.issuer,
    summary: `The provider's key set at ${jwksUri} publishes ${disclosed.length === 1 ? 'a signing key' : `${disclosed.length} signing keys`} with the private part: anyone who reads it can sign tokens, so the API does not trust ${disclosed.length === 1 ? 'that key' : 'those keys'} and refuses every token signed with ${disclosed.length === 1 ? 'it' : 'them'}.`,
    expected: 'public members only (RSA n and e; EC crv, x and y; OKP crv and x)',
    received: disclosed.join('; '),
    apiCode: 'key_unknown',
    fix: {
      keycloak: `${COMPROMISED} Realm settings → Keys → Providers: add a new rsa-generated key, then disable and delete the published one; Keycloak's own certs endpoint publishes public members only, so find what serves this key set instead (a proxy, a static file).`,
      authentik: `${COMPROMISED} Provider → Signing Key: choose a new certificate and delete the old one; Authentik's own jwks endpoint publishes public members only, so find what serves this key set instead (a proxy, a static file).`,
    },
  };
}
