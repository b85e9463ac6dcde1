import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

/** A client's DPoP key pair (RFC 9449 §4): signs proofs, knows its own thumbprint. */
export interface DpopKey {
  jwk: JWK;
  /** RFC 7638 thumbprint, what `cnf.jkt` must say. */
  jkt: string;
  proof(htu: string, htm?: string, extra?: Record<string, unknown>): Promise<string>;
}

/** A fresh ES256 (or other) key and a signer of proofs for it, as a browser or CLI would hold. */
export async function dpopKey(alg = 'ES256'): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return {
    jwk,
    jkt: await calculateJwkThumbprint(jwk),
    proof: (htu, htm = 'POST', extra = {}) =>
      new SignJWT({ htu, htm, jti: randomUUID(), iat: Math.floor(Date.now() / 1000), ...extra })
        .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk })
        .sign(privateKey),
  };
}
