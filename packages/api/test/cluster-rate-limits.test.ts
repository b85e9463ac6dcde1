import { alice } from '@todo-sso/auth/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Node, send, useCluster } from './support/cluster.js';
import { drivers, useTestDatabase } from './support/databases.js';
import { useIssuer } from './support/harness.js';

/**
 * Rate limits at two instances on one PostgreSQL: each instance counts on its own, as the
 * README, deploy/README.md and the threat model say (a subject behind a load balancer may make
 * the limit times the number of instances). This holds the documents to what the code does.
 */
const postgres = drivers.find((d) => d.driver === 'postgres') as (typeof drivers)[number];
const { skip } = postgres;

describe.skipIf(skip)('rate limits at two instances on one PostgreSQL', () => {
  const database = useTestDatabase(postgres);
  const idp = useIssuer(skip, { profile: 'keycloak' });
  const nodes = useCluster(skip, idp, database, 2, { RATE_LIMIT_PER_MINUTE: '5' });
  let token: string;
  beforeAll(async () => {
    if (!skip) token = await idp.accessToken(alice);
  });

  it('counts a subject per instance: the limit at one leaves the other untouched', async () => {
    const [a, b] = nodes as [Node, Node];
    const atA = [];
    for (let i = 0; i < 6; i += 1) atA.push((await send(a, 'GET', '/me', { token })).status);
    expect(atA).toEqual([200, 200, 200, 200, 200, 429]);
    const atB = await send(b, 'GET', '/me', { token });
    expect(atB.status).toBe(200);
    // B has counted one request of alice's, not six.
    expect(atB.headers.get('x-ratelimit-remaining')).toBe('4');
  });
});
