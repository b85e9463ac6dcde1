import type Provider from 'oidc-provider';
import type { AsymmetricSigningAlgorithm, KoaContextWithOIDC } from 'oidc-provider';
import { errors } from 'oidc-provider';
// oidc-provider's own proof check (RFC 9449 §4.3, with its nonces and replay store), which its
// built-in grants use; a grant registered with `registerGrantType` is not handed it, so the
// password grant takes it from the module directly (the package has no `exports` map).
import validateDpop, { checkDpopReplay } from 'oidc-provider/lib/helpers/validate_dpop.js';
import type { Realm } from '../realm/types.js';

/**
 * Asymmetric algorithms accepted in DPoP proofs at the token endpoint, as Keycloak advertises
 * them in `dpop_signing_alg_values_supported` (RFC 9449 §5.1; never `none` or HMAC, §4.3).
 */
export const DPOP_SIGNING_ALGS: readonly AsymmetricSigningAlgorithm[] = [
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
  'EdDSA',
  'Ed25519',
];

interface BindableAccessToken {
  setThumbprint(kind: 'jkt', thumbprint: string): void;
}

/**
 * Validates the token request's DPoP proof for a grant registered with `registerGrantType` and
 * says what to bind, the way oidc-provider's own grants do: a present proof must be valid
 * (400 `invalid_dpop_proof`, or `use_dpop_nonce`), a client that requires DPoP must send one
 * (`invalid_grant`), and a proof is used once (§11.1).
 *
 * @returns the binding to apply to the access token (and, for a public client, its refresh token,
 *   RFC 9449 §5: a public client's refresh tokens are bound too), or `undefined` without a proof.
 */
export async function tokenRequestProof(
  provider: Provider,
  realm: Realm,
  ctx: KoaContextWithOIDC,
): Promise<((at: BindableAccessToken, rt?: { jkt?: string | undefined }) => void) | undefined> {
  const client = ctx.oidc.client;
  if (!client) throw new errors.InvalidClient('client not found');
  const proof = await validateDpop(provider, ctx);
  if (!proof) {
    if (realm.clients.get(client.clientId)?.dpopBound) {
      throw new errors.InvalidGrant('DPoP proof JWT not provided');
    }
    return undefined;
  }
  await checkDpopReplay(provider, ctx, proof, client.clientId);
  const publicClient = client.clientAuthMethod === 'none';
  return (at, rt) => {
    at.setThumbprint('jkt', proof.thumbprint);
    if (rt && publicClient) rt.jkt = proof.thumbprint;
  };
}
