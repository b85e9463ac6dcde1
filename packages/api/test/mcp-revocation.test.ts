import { performance } from 'node:perf_hooks';
import { alice } from '@todo-sso/auth/testing';
import { describe, expect, it } from 'vitest';
import { drivers, useTestDatabase } from './support/databases.js';
import { type Instance, useInstances, useIssuer } from './support/harness.js';
import { postMcp } from './support/mcp.js';

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
    const instances = useInstances(skip, idp, database, 2);
    const listTools = (instance: Instance, token: string) =>
      postMcp(instance.app, token, { jsonrpc: '2.0', id: 1, method: 'tools/list' });

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
