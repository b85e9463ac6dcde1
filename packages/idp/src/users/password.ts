import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { RealmUser } from '../realm/types.js';

const KEY_LENGTH = 32;

/** A password hash for storage: `scrypt$<salt>$<hash>` (RFC 7914, node's default cost). */
export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, KEY_LENGTH);
  return `scrypt$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Whether `password` is the user's: the stored hash when set, else the realm file's password. */
export function passwordMatches(user: RealmUser, password: string): boolean {
  if (user.passwordHash) {
    const [scheme, salt, hash] = user.passwordHash.split('$');
    if (scheme !== 'scrypt' || !salt || !hash) return false;
    const expected = Buffer.from(hash, 'base64url');
    return sameBytes(
      scryptSync(password, Buffer.from(salt, 'base64url'), expected.length),
      expected,
    );
  }
  if (user.password === undefined) return false;
  return sameBytes(Buffer.from(user.password), Buffer.from(password));
}
