import { Writable } from 'node:stream';
import { alice } from '@todo-sso/auth/testing';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { createContext } from '../src/context.js';
import { createLogger } from '../src/http/logger.js';
import { sqliteDatabase } from './support/databases.js';
import { testConfig, useIssuer } from './support/harness.js';

interface Line {
  level: number;
  msg: string;
  issuer?: string;
  clientId?: string;
}

/**
 * OIDC_VERIFY=introspect with client credentials the provider refuses (RFC 7662 §2.1, RFC 6749
 * §5.2 invalid_client): every request stays refused with 503, but the answer says the provider
 * refused the API's client rather than that it is down, the log says once which variables to
 * check, and /readyz is not ready. Real HTTP to a test issuer, the API's own logger.
 */
describe('introspection with client credentials the provider refuses', () => {
  const idp = useIssuer(false);
  const wrongSecret = 'hunter2-not-the-secret';

  async function api(secret: string) {
    const lines: Line[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of chunk.toString().split('\n'))
          if (line.startsWith('{')) lines.push(JSON.parse(line) as Line);
        done();
      },
    });
    const database = sqliteDatabase();
    const env = {
      OIDC_VERIFY: 'introspect',
      OIDC_CLIENT_ID: idp.clientId,
      OIDC_CLIENT_SECRET: secret,
    };
    const context = await createContext(testConfig(idp, database.config, env), {
      logger: createLogger('info', sink),
    });
    const app = await buildApp(context);
    return {
      app,
      lines,
      async close() {
        await app.close();
        await context.close();
        await database.drop();
      },
    };
  }

  it('answers 503 saying the client is refused, logs it once without secret or token, and is not ready', async () => {
    const running = await api(wrongSecret);
    try {
      const token = await idp.opaqueToken(alice);
      for (let i = 0; i < 3; i++) {
        const refused = await running.app.inject({
          url: '/todos/',
          headers: { authorization: `Bearer ${token}` },
        });
        expect(refused.statusCode).toBe(503);
        expect(refused.json()).toMatchObject({
          code: 'idp_unavailable',
          detail:
            "The identity provider refuses the API's client credentials for token introspection, so no token can be verified",
        });
      }
      const logged = running.lines.filter((l) => /OIDC_CLIENT_ID/.test(l.msg));
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ level: 50, issuer: idp.issuer, clientId: idp.clientId });
      expect(logged[0]?.msg).toMatch(/check OIDC_CLIENT_ID and OIDC_CLIENT_SECRET/);
      expect(logged[0]?.msg).toMatch(/may introspect tokens$/);
      const all = JSON.stringify(running.lines);
      expect(all).not.toContain(wrongSecret);
      expect(all).not.toContain(token);
      const ready = await running.app.inject({ url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({
        status: 'unavailable',
        checks: { issuers: false },
        issuers: [
          { issuer: idp.issuer, state: 'unavailable', clientRefusedSince: expect.any(String) },
        ],
      });
    } finally {
      await running.close();
    }
  });

  it('with the right secret everything works: nothing of the refusal is kept', async () => {
    const running = await api(idp.clientSecret);
    try {
      const token = await idp.opaqueToken(alice);
      const listed = await running.app.inject({
        url: '/todos/',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(listed.statusCode).toBe(200);
      const ready = await running.app.inject({ url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json().issuers[0]).not.toHaveProperty('clientRefusedSince');
      expect(running.lines.filter((l) => /OIDC_CLIENT_ID/.test(l.msg))).toEqual([]);
    } finally {
      await running.close();
    }
  });
});
