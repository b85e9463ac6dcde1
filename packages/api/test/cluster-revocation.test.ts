import { performance } from 'node:perf_hooks';
import { alice } from '@todo-sso/auth/testing';
import { describe, expect, it } from 'vitest';
import { type Node, send, useCluster } from './support/cluster.js';
import { drivers, useTestDatabase } from './support/databases.js';
import { useIssuer } from './support/harness.js';

/**
 * Back-channel logout (OpenID Connect Back-Channel Logout 1.0) at two instances on one
 * PostgreSQL over HTTP: the IdP may deliver one logout token to each instance behind the load
 * balancer (a retry after a timeout, or one registration per instance) at the same moment.
 */
const postgres = drivers.find((d) => d.driver === 'postgres') as (typeof drivers)[number];
const { skip } = postgres;

describe.skipIf(skip)('one logout token at two instances at once', () => {
  const database = useTestDatabase(postgres);
  const idp = useIssuer(skip, { profile: 'keycloak' });
  const nodes = useCluster(skip, idp, database, 2);

  const logout = (node: Node, token: string) =>
    fetch(`${node.url}/auth/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: token }).toString(),
    });

  it('ends the session once (one 200, the replay 400 per §2.8), and both refuse its token at once', async () => {
    const [a, b] = nodes as [Node, Node];
    for (let round = 0; round < 5; round += 1) {
      const sid = `cluster-${round}`;
      const token = await idp.accessToken(alice, { sessionId: sid });
      // Both instances have verified and cached the token.
      for (const node of nodes)
        expect((await send(node, 'GET', '/me', { token })).status).toBe(200);
      const logoutToken = await idp.logoutToken({ sub: alice.sub, sid });
      const started = performance.now();
      const answers = await Promise.all([logout(a, logoutToken), logout(b, logoutToken)]);
      expect(answers.map((r) => r.status).sort()).toEqual([200, 400]);
      // The instance that answered 200 refuses at once; the other within the documented second.
      for (const node of nodes) {
        let status = 0;
        while (performance.now() - started < 1000) {
          status = (await send(node, 'GET', '/me', { token })).status;
          if (status === 401) break;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        expect(status).toBe(401);
      }
    }
  });
});
