import { performance } from 'node:perf_hooks';
import { alice } from '@todo-sso/auth/testing';
import { describe, expect, it } from 'vitest';
import { drivers, useTestDatabase } from './support/databases.js';
import {
  type Instance,
  startInstance,
  testConfig,
  useInstances,
  useIssuer,
} from './support/harness.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe.each(drivers)(
  'revocation reaches every instance on one $driver database',
  ({ driver, skip, create }) => {
    const database = useTestDatabase({ skip, create });
    const idp = useIssuer(skip, { profile: 'keycloak' });
    // Three API instances, each with its own pool, revocation set and listener.
    const instances = useInstances(skip, idp, database, 3);

    const me = (instance: Instance, token: string) =>
      instance.app.inject({
        method: 'GET',
        url: '/me',
        headers: { authorization: `Bearer ${token}` },
      });

    /** Polls an instance until the token is refused; returns when, or Infinity after 2 s. */
    async function refusedAt(instance: Instance, token: string): Promise<number> {
      const deadline = performance.now() + 2000;
      while (performance.now() < deadline) {
        const response = await me(instance, token);
        if (response.statusCode === 401) {
          expect(response.json()).toMatchObject({ code: 'token_revoked' });
          return performance.now();
        }
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      return Number.POSITIVE_INFINITY;
    }

    it.skipIf(skip)(
      'refuses a signed-out session’s unexpired token on all three within 1 s',
      async () => {
        const [first, second, third] = instances as [Instance, Instance, Instance];
        const sid = `propagation-${driver}`;
        const token = await idp.accessToken(alice, { sessionId: sid });
        // Every instance has verified (and cached) the token before the sign-out.
        for (const instance of instances) expect((await me(instance, token)).statusCode).toBe(200);

        const logoutToken = await idp.logoutToken({ sub: alice.sub, sid });
        const started = performance.now();
        const response = await first.app.inject({
          method: 'POST',
          url: '/auth/backchannel-logout',
          headers: FORM,
          payload: new URLSearchParams({ logout_token: logoutToken }).toString(),
        });
        expect(response.statusCode).toBe(200);
        const times = await Promise.all([first, second, third].map((i) => refusedAt(i, token)));
        const elapsed = times.map((t) => t - started);
        console.log(
          `[revocation propagation, ${driver}] refused on instances 1/2/3 after ` +
            `${elapsed.map((ms) => `${ms.toFixed(1)} ms`).join(' / ')} (limit 1000 ms)`,
        );
        for (const ms of elapsed) expect(ms).toBeLessThan(1000);
      },
    );

    it.skipIf(skip)(
      'a new instance starting after the sign-out loads the revocation from the database',
      async () => {
        const sid = `late-${driver}`;
        const token = await idp.accessToken(alice, { sessionId: sid });
        const [first] = instances as [Instance];
        await first.context.revocations.revokeSession(idp.issuer, sid);
        const late = await startInstance(testConfig(idp, database.config));
        try {
          expect((await me(late, token)).json()).toMatchObject({ code: 'token_revoked' });
        } finally {
          await late.close();
        }
      },
    );
  },
);
