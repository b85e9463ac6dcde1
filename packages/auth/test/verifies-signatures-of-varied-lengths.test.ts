import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { verifySignatureWithNode } from '../src/jwks/verify-signature.js';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const key = { key: publicKey, type: 'ec', curve: 'prime256v1' };
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A compact ES256 JWS (RFC 7515 §7.1, RFC 7518 §3.4) whose payload is `size` characters of text. */
function jws(size: number, fill = 'a'): string {
  const input = `${b64({ alg: 'ES256' })}.${b64({ t: fill.repeat(size) })}`;
  const signature = sign('sha256', Buffer.from(input), {
    key: privateKey,
    dsaEncoding: 'ieee-p1363',
  });
  return `${input}.${signature.toString('base64url')}`;
}

/**
 * The signing input and the signature are handed to `crypto.verify` as views of one scratch
 * buffer, the views kept while the next token ends where the last did: whatever the order of
 * lengths, each token is checked against its own bytes (RFC 7515 §5.2 step 8).
 */
describe('signatures of tokens of varied lengths, one after the other', () => {
  test('each token verifies against its own signing input and signature', () => {
    const short = jws(10);
    const long = jws(300);
    for (const token of [short, short, long, short, long, long, jws(10, 'b')])
      expect(() => verifySignatureWithNode(token, 'ES256', key)).not.toThrow();
  });

  test('a token of the same length as the last, with the last one’s signature, is refused', () => {
    const first = jws(40, 'a');
    const second = jws(40, 'b');
    verifySignatureWithNode(first, 'ES256', key);
    // Same lengths, so the same views: the second's input with the first's signature.
    const forged = `${second.slice(0, second.lastIndexOf('.'))}${first.slice(first.lastIndexOf('.'))}`;
    expect(() => verifySignatureWithNode(forged, 'ES256', key)).toThrow(
      expect.objectContaining({ code: 'signature_invalid' }),
    );
    verifySignatureWithNode(second, 'ES256', key);
    // A longer signing input after a shorter one, and back: refused when tampered either way.
    const longer = jws(41, 'a');
    const tampered = `${longer.slice(0, -2)}${longer.at(-2) === 'A' ? 'B' : 'A'}${longer.at(-1)}`;
    expect(() => verifySignatureWithNode(tampered, 'ES256', key)).toThrow(
      expect.objectContaining({ code: 'signature_invalid' }),
    );
    expect(() => verifySignatureWithNode(first, 'ES256', key)).not.toThrow();
  });
});
