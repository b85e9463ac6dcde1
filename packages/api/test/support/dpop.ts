import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, SignJWT } from 'jose';

/** An ES256 key pair a client holds for DPoP (RFC 9449), signing proofs with `jose`. */
export interface DpopKey {
  /** The public key as the proofs' `jwk` header carries it. */
  readonly jwk: Record<string, unknown>;
  /** Its JWK thumbprint, the `cnf.jkt` of a token bound to it (RFC 9449 §6.1). */
  readonly jkt: string;
  /**
   * A proof (§4.2) for `htm` (GET unless given) `htu`, bound to `token` by `ath` (§4.2), with
   * the server's `nonce` (§8) when given.
   */
  proof(request: { htm?: string; htu: string; token: string; nonce?: string }): Promise<string>;
}

/** A fresh P-256 key pair for DPoP proofs. */
export async function dpopKey(): Promise<DpopKey> {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = (await exportJWK(pair.publicKey)) as Record<string, unknown>;
  return {
    jwk,
    jkt: await calculateJwkThumbprint(jwk),
    proof: ({ htm = 'GET', htu, token, nonce }) =>
      new SignJWT({
        jti: randomUUID(),
        htm,
        htu,
        iat: Math.floor(Date.now() / 1000),
        ath: createHash('sha256').update(token).digest('base64url'),
        ...(nonce !== undefined && { nonce }),
      })
        .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk } as never)
        .sign(pair.privateKey),
  };
}
