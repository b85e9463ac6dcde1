// Tokens for the benchmark: a real local issuer (the auth package's testing kit) publishes the
// JWKS the API verifies against; pools of distinct tokens are signed with its private key.
import { KeyObject, randomBytes, randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { startTestIssuer } from '@todo-sso/auth/testing';

const decode = (part) => JSON.parse(Buffer.from(part, 'base64url').toString());

/** A benchmark user: role `user` (todos:read, todos:write), like the realm's demo users. */
export const benchUser = (i, department = 'engineering') => {
  const id = String(i).padStart(12, '0');
  return {
    sub: `00000000-0000-4000-8000-${id}`,
    username: `user${id.slice(-5)}`,
    email: `user${id.slice(-5)}@example.com`,
    name: `Bench User ${i}`,
    roles: ['user'],
    permissions: ['todos:read', 'todos:write'],
    department,
  };
};

/** Subject of pool token `i` (what the worker puts in `sub`). */
export const subjectOf = (i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

/**
 * Starts the issuer and returns it with a minting function. Tokens live `expiresInSec`
 * (default one hour, longer than a run) so none expires mid-benchmark.
 */
export async function startIssuer({ expiresInSec = 3600 } = {}) {
  const issuer = await startTestIssuer({ profile: 'keycloak', tokenLifetimeSec: expiresInSec });
  // The current key is not exposed; rotating (retiring the first) hands us the new one.
  const key = await issuer.rotateKeys({ retirePrevious: true });
  const pkcs8 = KeyObject.from(key.privateKey).export({ format: 'pem', type: 'pkcs8' });
  const sample = await issuer.accessToken(benchUser(0), { expiresInSec });
  const [h, p] = sample.split('.');
  const header = decode(h);
  const template = decode(p);

  /**
   * `count` distinct valid tokens for users `first…first+count-1`, signed on `threads` threads;
   * `claims` are added to each (e.g. a DPoP binding, `cnf`).
   */
  async function mint(count, { first = 0, threads = 2, claims = {} } = {}) {
    const nowSec = Math.floor(Date.now() / 1000);
    const per = Math.ceil(count / threads);
    const parts = await Promise.all(
      Array.from({ length: threads }, (_, t) => {
        const from = first + t * per;
        const to = Math.min(first + count, from + per);
        return new Promise((resolve, reject) => {
          const w = new Worker(new URL('./mint-worker.mjs', import.meta.url), {
            workerData: { pkcs8, header, template, claims, from, to, nowSec, expiresInSec },
          });
          w.once('message', resolve);
          w.once('error', reject);
        });
      }),
    );
    return parts.flat();
  }

  /** Tokens with a valid issuer and claims but a random `kid` and a random signature. */
  function randomKidTokens(count) {
    const out = [];
    for (let i = 0; i < count; i++) {
      const head = Buffer.from(
        JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: randomBytes(12).toString('base64url') }),
      ).toString('base64url');
      const body = Buffer.from(
        JSON.stringify({
          ...template,
          jti: randomUUID(),
          exp: Math.floor(Date.now() / 1000) + 3600,
        }),
      ).toString('base64url');
      out.push(`${head}.${body}.${randomBytes(256).toString('base64url')}`);
    }
    return out;
  }

  return { issuer, key, mint, randomKidTokens, template, header };
}

/** Malformed bearer values of several kinds (wrong segment count, bad base64, not JSON, huge). */
export function malformedTokens(count) {
  const kinds = [
    () => randomBytes(24).toString('base64url'),
    () => `${randomBytes(8).toString('hex')}.${randomBytes(8).toString('hex')}`,
    () => `eyJ${randomBytes(10).toString('hex')}!!.@@${randomBytes(6).toString('hex')}.x`,
    () =>
      `${Buffer.from('{"alg":').toString('base64url')}.${randomBytes(30).toString('base64url')}.${randomBytes(20).toString('base64url')}`,
    () =>
      `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(`{"sub":"${randomUUID()}"}`).toString('base64url')}.`,
    () => `a.${'b'.repeat(6000)}.c`,
  ];
  return Array.from({ length: count }, (_, i) => kinds[i % kinds.length]());
}
