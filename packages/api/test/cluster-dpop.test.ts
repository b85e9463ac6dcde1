import { alice } from '@todo-sso/auth/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Answer, type Node, send, useCluster } from './support/cluster.js';
import { drivers, useTestDatabase } from './support/databases.js';
import { type DpopKey, dpopKey } from './support/dpop.js';
import { useIssuer } from './support/harness.js';

/**
 * DPoP (RFC 9449) across two API instances on one PostgreSQL, as behind a load balancer: proofs
 * signed by `jose` with a real ES256 key, for a token the issuer bound to it (`cnf.jkt`), sent
 * over HTTP through the same public URL (a trusted proxy's `X-Forwarded-*`, TRUST_PROXY=1), so
 * one proof fits either instance.
 */
const postgres = drivers.find((d) => d.driver === 'postgres') as (typeof drivers)[number];
const { skip } = postgres;
const PUBLIC_ME = 'https://todo.example.com/me';
const PROXIED = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'todo.example.com' };

describe.skipIf(skip)('DPoP proofs at two instances on one PostgreSQL', () => {
  const database = useTestDatabase(postgres);
  const idp = useIssuer(skip, { profile: 'keycloak' });
  const nodes = useCluster(skip, idp, database, 2, {
    TRUST_PROXY: '1',
    DPOP_NONCE_SECRET: 'a-secret-every-instance-shares-0123456789',
  });
  let key: DpopKey;
  let token: string;
  beforeAll(async () => {
    if (skip) return;
    key = await dpopKey();
    token = await idp.accessToken(alice, { claims: { cnf: { jkt: key.jkt } } });
  });
  const a = () => nodes[0] as Node;
  const b = () => nodes[1] as Node;

  const proof = (nonce?: string) => key.proof({ htu: PUBLIC_ME, token, ...(nonce && { nonce }) });

  const me = (node: Node, dpop: string): Promise<Answer> =>
    send(node, 'GET', '/me', { headers: { ...PROXIED, authorization: `DPoP ${token}`, dpop } });

  /** The nonce instance `node` asks for (§9: 401 use_dpop_nonce with `DPoP-Nonce`). */
  async function nonceFrom(node: Node): Promise<string> {
    const asked = await me(node, await proof());
    expect(asked.status).toBe(401);
    expect(asked.headers.get('www-authenticate')).toContain('error="use_dpop_nonce"');
    return asked.headers.get('dpop-nonce') as string;
  }

  it('accepts at one instance the server nonce the other issued (§8, §9)', async () => {
    const nonce = await nonceFrom(a());
    expect(nonce).toBeTruthy();
    expect((await me(b(), await proof(nonce))).status).toBe(200);
    expect((await me(a(), await proof(await nonceFrom(b())))).status).toBe(200);
  });

  it('accepts a proof sent to both instances at once exactly once (§11.1)', async () => {
    for (let round = 0; round < 10; round += 1) {
      const shared = await proof(await nonceFrom(round % 2 ? a() : b()));
      const answers = await Promise.all([a(), b(), a(), b(), a(), b()].map((n) => me(n, shared)));
      const statuses = answers.map((x) => x.status).sort();
      expect(statuses).toEqual([200, 401, 401, 401, 401, 401]);
      for (const refused of answers.filter((x) => x.status === 401))
        expect(refused.body).toMatchObject({ code: 'dpop_proof_invalid' });
    }
  });

  it('accepts a proof sent many times at once to one instance exactly once', async () => {
    for (let round = 0; round < 5; round += 1) {
      const shared = await proof(await nonceFrom(a()));
      const answers = await Promise.all(Array.from({ length: 12 }, () => me(a(), shared)));
      expect(answers.filter((x) => x.status === 200)).toHaveLength(1);
    }
  });
});
