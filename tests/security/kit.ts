import { KeyObject } from 'node:crypto';
import { alice, type TestIssuer } from '@todo-sso/auth/testing';
import type { ForgeKit } from './attacks.js';
import { attackerRsaKey, parts } from './forge.js';

/**
 * Builds the forgery kit: publishes a fresh trusted key (to hold its private half), mints a
 * valid token for alice, and adds an attacker's key. `trap` is where jku/x5u point.
 */
export async function buildForgeKit(
  idp: TestIssuer,
  stranger: TestIssuer,
  trap: string,
): Promise<ForgeKit> {
  const signing = await idp.rotateKeys({ retirePrevious: true });
  const valid = await idp.accessToken(alice);
  return {
    idp,
    stranger,
    valid,
    claims: JSON.parse(parts(valid).payload) as Record<string, unknown>,
    realKey: KeyObject.from(signing.privateKey),
    realKid: signing.kid,
    realPublicJwk: { ...signing.publicJwk },
    attacker: attackerRsaKey(),
    trap,
  };
}
