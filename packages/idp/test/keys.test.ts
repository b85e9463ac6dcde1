import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rotateKeys } from '@todo-sso/idp';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { loadKeys } from '../src/tokens/keys.js';
import { decodeJwt, passwordGrant, startTestIdp } from './helpers.js';

const dataDir = mkdtempSync(join(tmpdir(), 'idp-keys-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function jwksKids(url: string): Promise<string[]> {
  const { keys } = (await (await fetch(url)).json()) as { keys: { kid: string; use: string }[] };
  return keys.filter((k) => k.use === 'sig').map((k) => k.kid);
}

describe('signing keys under DATA_DIR', () => {
  it('persists keys (owner-only file) so a token minted before a restart verifies after it', async () => {
    const first = await startTestIdp({ dataDir });
    const { body } = await passwordGrant(first, 'alice');
    const kid = decodeJwt(body.access_token as string).header.kid;
    await first.close();
    expect(statSync(join(dataDir, 'keys.json')).mode & 0o777).toBe(0o600);

    const second = await startTestIdp({ dataDir });
    try {
      expect(await jwksKids(second.discovery.jwks_uri as string)).toEqual([kid]);
      const jwks = createRemoteJWKSet(new URL(second.discovery.jwks_uri as string));
      const verified = await jwtVerify(body.access_token as string, jwks, { audience: 'todo-api' });
      expect(verified.payload.preferred_username).toBe('alice');
    } finally {
      await second.close();
    }
  });

  it('rotate-keys adds a new active key and keeps the old one published for the grace period', async () => {
    const before = JSON.parse(readFileSync(join(dataDir, 'keys.json'), 'utf8')) as {
      signing: { jwk: { kid: string } }[];
    };
    const oldKid = before.signing[0]?.jwk.kid as string;
    const rotated = await rotateKeys(dataDir);
    expect(rotated.activeKid).not.toBe(oldKid);
    expect(rotated.publishedKids).toEqual([rotated.activeKid, oldKid]);

    const idp = await startTestIdp({ dataDir });
    try {
      expect(await jwksKids(idp.discovery.jwks_uri as string)).toEqual([rotated.activeKid, oldKid]);
      const { body } = await passwordGrant(idp, 'bob');
      expect(decodeJwt(body.access_token as string).header.kid).toBe(rotated.activeKid);
    } finally {
      await idp.close();
    }
  });

  it('keeps every new key when two rotations overlap: the later is active, the earlier published', async () => {
    const [first, second] = await Promise.all([rotateKeys(dataDir), rotateKeys(dataDir)]);
    expect(second.activeKid).not.toBe(first.activeKid);
    expect(second.publishedKids.slice(0, 2)).toEqual([second.activeKid, first.activeKid]);
    const stored = JSON.parse(readFileSync(join(dataDir, 'keys.json'), 'utf8')) as {
      signing: { jwk: { kid: string }; retiredAt?: number }[];
    };
    const active = stored.signing.filter((k) => k.retiredAt === undefined).map((k) => k.jwk.kid);
    expect(active).toEqual([second.activeKid]);
    expect(stored.signing.map((k) => k.jwk.kid)).toContain(first.activeKid);
  });

  it('drops a rotated-out key once its grace period has passed', async () => {
    const rotated = await rotateKeys(dataDir, 0);
    expect(rotated.publishedKids).toEqual([rotated.activeKid]);
  });
});

describe('keys of a first start', () => {
  it('makes one key set when two loads of an empty directory overlap (npm start begins one early)', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'idp-keys-first-'));
    try {
      const [early, joined] = await Promise.all([loadKeys(empty), loadKeys(empty)]);
      expect(joined.signing.map((k) => k.kid)).toEqual(early.signing.map((k) => k.kid));
      expect(early.signing).toHaveLength(1);
      expect([early.signing[0]?.alg, early.encryption.alg]).toEqual(['RS256', 'RSA-OAEP']);
      const stored = JSON.parse(readFileSync(join(empty, 'keys.json'), 'utf8')) as {
        signing: { jwk: { kid: string } }[];
        encryption: { kid: string };
      };
      expect(stored.signing.map((k) => k.jwk.kid)).toEqual([early.signing[0]?.kid]);
      expect(stored.encryption.kid).toBe(early.encryption.kid);
      // Once settled, a later load reads the file rather than making new keys.
      expect((await loadKeys(empty)).signing[0]?.kid).toBe(early.signing[0]?.kid);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('makes one key set when the overlapping loads ask for different grace periods', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'idp-keys-grace-'));
    try {
      const [short, long] = await Promise.all([loadKeys(empty), loadKeys(empty, 3600)]);
      expect(long.signing[0]?.kid).toBe(short.signing[0]?.kid);
      const stored = JSON.parse(readFileSync(join(empty, 'keys.json'), 'utf8')) as {
        signing: { jwk: { kid: string } }[];
      };
      expect(stored.signing.map((k) => k.jwk.kid)).toEqual([short.signing[0]?.kid]);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
