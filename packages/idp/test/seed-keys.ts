import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pooledRsaJwk } from '@todo-sso/auth/testing';

/**
 * Gives the dev IdP data directory `dataDir` (made if missing) a key file (`keys.json`, as the
 * IdP writes it on a first start) holding a signing and an encryption key, distinct 2,048-bit
 * RSA keys made from the test issuers' pooled primes: the IdP's first start then skips two RSA
 * key generations (about 0.2 s of CPU each). A directory that has a key file keeps it (a restart
 * reads its keys), and once every pair of primes is used the IdP makes its keys itself.
 *
 * @returns `dataDir`, to be passed on to `startIdp`.
 */
export function seedKeys(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, 'keys.json');
  if (existsSync(path)) return dataDir;
  const signing = pooledRsaJwk();
  const encryption = pooledRsaJwk();
  if (signing === undefined || encryption === undefined) return dataDir;
  const kid = () => randomBytes(16).toString('base64url');
  const file = {
    version: 1,
    signing: [
      {
        jwk: { ...signing, kid: kid(), alg: 'RS256', use: 'sig' },
        createdAt: Math.floor(Date.now() / 1000),
      },
    ],
    encryption: { ...encryption, kid: kid(), alg: 'RSA-OAEP', use: 'enc' },
  };
  writeFileSync(path, JSON.stringify(file), { mode: 0o600 });
  return dataDir;
}

/** A new temporary data directory for the dev IdP, its keys seeded ({@link seedKeys}). */
export function seededDataDir(prefix = 'idp-test-'): string {
  return seedKeys(mkdtempSync(join(tmpdir(), prefix)));
}
