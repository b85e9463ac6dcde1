import { createHmac, createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';

/** base64url of a string or bytes, exactly as RFC 7515 §2 defines it (no padding). */
export function b64url(input: string | Uint8Array): string {
  return Buffer.from(input).toString('base64url');
}

/** Splits a compact JWS into its three decoded parts (for forging variants of a real token). */
export function parts(token: string): { header: string; payload: string; signature: string } {
  const [h = '', p = '', s = ''] = token.split('.');
  return {
    header: Buffer.from(h, 'base64url').toString('utf8'),
    payload: Buffer.from(p, 'base64url').toString('utf8'),
    signature: s,
  };
}

/** The signing input of raw header and payload texts (duplicate keys, BOMs … survive). */
export function signingInput(header: string, payload: string): string {
  return `${b64url(header)}.${b64url(payload)}`;
}

/** RS256 (or PS256) over raw texts with a Node private key: lets us sign what jose would refuse. */
export function signRsa(
  header: string,
  payload: string,
  key: KeyObject,
  padding: 'pkcs1' | 'pss' = 'pkcs1',
): string {
  const input = signingInput(header, payload);
  const signer = createSign('sha256');
  signer.update(input);
  const signature = signer.sign(
    padding === 'pss' ? { key, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: 32 } : key,
  );
  return `${input}.${b64url(signature)}`;
}

/** HS256 over raw texts with any byte string as the secret (the alg-confusion attack). */
export function signHmac(header: string, payload: string, secret: string | Buffer): string {
  const input = signingInput(header, payload);
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** An attacker's RSA key pair, never published by any trusted issuer. */
export function attackerRsaKey(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}
