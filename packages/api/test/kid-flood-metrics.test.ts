import { randomUUID } from 'node:crypto';
import { alice, generateSigningKey } from '@todo-sso/auth/testing';
import { describe, expect, it } from 'vitest';
import { sqliteDatabase } from './support/databases.js';
import { type Instance, startInstance, testConfig, useIssuer } from './support/harness.js';

/** `auth_failures_total{code}` from GET /metrics; 0 when never counted. */
async function failures(instance: Instance, code: string): Promise<number> {
  const metrics = await instance.app.inject({ url: '/metrics' });
  expect(metrics.statusCode).toBe(200);
  const found = new RegExp(`^auth_failures_total\\{code="${code}"\\} (\\d+)$`, 'm').exec(
    metrics.body,
  );
  return Number(found?.[1] ?? 0);
}

/**
 * A flood of made-up `kid`s closes the keys' refetch gate for a cooldown; the tokens that arrive
 * meanwhile are answered 503 with `Retry-After`, like an outage, but the provider answers: they
 * are counted under a code of their own, so an outage alert does not fire for a flood, and a
 * real outage still counts as `idp_unavailable`. Real HTTP to a test issuer, real SQLite.
 */
describe('refusals of a kid flood in /metrics', () => {
  const idp = useIssuer(false);

  async function api(): Promise<Instance & { drop(): Promise<void> }> {
    const database = sqliteDatabase();
    const instance = await startInstance(testConfig(idp, database.config));
    return {
      ...instance,
      async drop() {
        await instance.close();
        await database.drop();
      },
    };
  }

  it('counts the 503s of a closed refetch window as key_refetch_deferred, not idp_unavailable', async () => {
    const running = await api();
    try {
      expect((await running.app.inject({ url: '/readyz' })).statusCode).toBe(200);
      const stranger = await generateSigningKey('RS256');
      const [, payload, signature] = (await idp.accessToken(alice, { key: stranger })).split('.');
      const answers: string[] = [];
      for (let i = 0; i < 6; i++) {
        const header = { alg: 'RS256', kid: `made-up-${randomUUID()}` };
        const token = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${payload}.${signature}`;
        const res = await running.app.inject({
          url: '/me',
          headers: { authorization: `Bearer ${token}` },
        });
        answers.push(`${res.statusCode} ${res.json().code}`);
        if (res.statusCode !== 503) continue;
        // RFC 9110 §10.2.3: the seconds until the keys may be fetched again; no challenge.
        const wait = Number(res.headers['retry-after']);
        expect(wait).toBeGreaterThanOrEqual(1);
        expect(wait).toBeLessThanOrEqual(30);
        expect(res.headers['www-authenticate']).toBeUndefined();
      }
      // The first refetched the keys (its kid is not published: 401); the rest wait the window.
      expect(answers).toEqual(['401 key_unknown', ...Array(5).fill('503 key_refetch_deferred')]);
      expect(await failures(running, 'key_refetch_deferred')).toBe(5);
      expect(await failures(running, 'key_unknown')).toBe(1);
      expect(await failures(running, 'idp_unavailable')).toBe(0);
    } finally {
      await running.drop();
    }
  });

  it('still counts a provider that cannot be reached as idp_unavailable', async () => {
    const token = await idp.accessToken(alice);
    idp.setFault('down');
    const running = await api();
    try {
      const res = await running.app.inject({
        url: '/me',
        headers: { authorization: `Bearer ${token}` },
      });
      expect([res.statusCode, res.json().code]).toEqual([503, 'idp_unavailable']);
      expect(await failures(running, 'idp_unavailable')).toBe(1);
      expect(await failures(running, 'key_refetch_deferred')).toBe(0);
    } finally {
      idp.setFault(undefined);
      await running.drop();
    }
  });
});
