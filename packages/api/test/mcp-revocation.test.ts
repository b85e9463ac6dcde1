import { performance } from 'node:perf_hooks';
import { alice } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers, useTestDatabase } from './support/databases.js';
import { type Instance, startInstance, testConfig, useIssuer } from './support/harness.js';

/** The resource `/mcp` is for an `app.inject` request (host `localhost:80`). */
const MCP = 'http://localhost/mcp';

/**
 * Ending an agent reaches `/mcp` on every instance of one database: its MCP token, verified and
 * cached by both, is refused at `/mcp` on the instance that ended it at once and on the other
 * within a second (PostgreSQL `LISTEN`/`NOTIFY`; one process for SQLite), with `token_revoked`.
 */
describe.each(drivers)(
  "an agent's end reaches /mcp on every instance ($driver)",
  ({ driver, skip, create }) => {
    const database = useTestDatabase({ skip, create });
    const idp = useIssuer(skip, { profile: 'keycloak' });
    let instances: Instance[] = [];
    beforeAll(async () => {
      if (skip) return;
      const config = testConfig(idp, database.config);
      instances = await Promise.all([1, 2].map(() => startInstance(config)));
    });
    afterAll(async () => {
      await Promise.all(instances.map((i) => i.close()));
    });
    const listTools = (instance: Instance, token: string) =>
      instance.app.inject({
        method: 'POST',
        url: '/mcp',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        payload: { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      });

    it.skipIf(skip)('refuses its MCP token at /mcp on both instances within 1 s', async () => {
      const [first, second] = instances as [Instance, Instance];
      const client = `mcp-agent-${driver}`;
      const agent = await idp.accessToken(alice, { client, claims: { aud: MCP } });
      const web = await idp.accessToken(alice);
      for (const i of instances) expect((await listTools(i, agent)).statusCode).toBe(200);
      // The agent's use is recorded after the response; it must be listed before it can end.
      for (let n = 0; n < 200; n++) {
        const listed = await first.app.inject({
          url: '/me/agents',
          headers: { authorization: `Bearer ${web}` },
        });
        if ((listed.json().items as unknown[]).length > 0) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      const started = performance.now();
      const ended = await first.app.inject({
        method: 'DELETE',
        url: `/me/agents/${client}`,
        headers: { authorization: `Bearer ${web}` },
      });
      expect(ended.statusCode).toBe(200);
      const here = await listTools(first, agent);
      expect(here.statusCode).toBe(401);
      expect(here.json()).toMatchObject({ code: 'token_revoked' });
      expect(String(here.headers['www-authenticate'])).toContain(
        'resource_metadata="http://localhost/.well-known/oauth-protected-resource/mcp"',
      );
      let refusedAfter = Number.POSITIVE_INFINITY;
      while (performance.now() - started < 2000) {
        const res = await listTools(second, agent);
        if (res.statusCode === 401) {
          expect(res.json()).toMatchObject({ code: 'token_revoked' });
          refusedAfter = performance.now() - started;
          break;
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      expect(refusedAfter).toBeLessThan(1000);
    });
  },
);
