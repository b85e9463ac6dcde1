import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { alice, generateSigningKey } from '@todo-sso/auth/testing';
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
  reason?: string;
}

/**
 * An issuer the API cannot use leaves /readyz unavailable and refuses its tokens; the reason
 * (the discovery document names another issuer, the provider does not answer) must reach the
 * log, once per reason rather than on every retry, with the way to the fix. Real HTTP to a test
 * issuer, the API's own logger.
 */
describe('why an issuer cannot be used, in the log', () => {
  const idp = useIssuer(false);

  async function api(issuer: string, env: Record<string, string> = {}) {
    const lines: Line[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of chunk.toString().split('\n'))
          if (line.startsWith('{')) lines.push(JSON.parse(line) as Line);
        done();
      },
    });
    const database = sqliteDatabase();
    const context = await createContext(testConfig({ issuer }, database.config, env), {
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

  const about = (lines: Line[]) => lines.filter((l) => l.issuer !== undefined && l.level >= 30);

  it('an OIDC_ISSUER off by a trailing slash: one warning naming both issuers', async () => {
    const configured = `${idp.issuer}/`;
    const running = await api(configured);
    try {
      for (let i = 0; i < 3; i++)
        expect((await running.app.inject({ url: '/readyz' })).statusCode).toBe(503);
      const token = await idp.accessToken(alice);
      const refused = await running.app.inject({
        url: '/todos/',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(refused.statusCode).toBe(401);
      const found = about(running.lines);
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({ level: 40, issuer: configured });
      expect(found[0]?.reason).toBe(
        `discovery document: Metadata issuer ${idp.issuer} does not match ${configured}`,
      );
      expect(found[0]?.msg).toMatch(
        /; set OIDC_ISSUER \(or the issuer of its OIDC_ISSUERS entry\) to the issuer the document names, exactly as written there .*, or run npm run doctor in this environment for the fix$/,
      );
      expect(JSON.stringify(running.lines)).not.toContain(token);
    } finally {
      await running.close();
    }
  });

  it.each([
    ['a password in its user information', 'http://ops:hunter2-secret@', ''],
    ['a token in its query', 'http://', '?token=hunter2-secret'],
  ])(
    'an OIDC_DISCOVERY_URL with %s: the warning names the URL without it',
    async (_, scheme, query) => {
      const at = `${idp.issuer.replace('http://', scheme)}/.well-known/openid-configuration`;
      const url = new URL(`${at}${query}`);
      idp.setFault('down');
      const running = await api(idp.issuer, { OIDC_DISCOVERY_URL: url.href });
      try {
        expect((await running.app.inject({ url: '/readyz' })).statusCode).toBe(503);
        const found = about(running.lines);
        expect(found).toHaveLength(1);
        expect(found[0]?.reason).toMatch(/^discovery document: .*http:\/\/.*127\.0\.0\.1/);
        expect(JSON.stringify(running.lines)).not.toContain('hunter2');
      } finally {
        idp.setFault(undefined);
        await running.close();
      }
    },
  );

  it('a provider that goes down and comes back: the outage once, then that it is usable again', async () => {
    idp.setFault('down');
    const running = await api(idp.issuer);
    try {
      for (let i = 0; i < 2; i++) await running.app.inject({ url: '/readyz' });
      idp.setFault(undefined);
      // Past the retry cooldown after a failure, the next check loads the issuer again.
      const deadline = Date.now() + 30_000;
      while ((await running.app.inject({ url: '/readyz' })).statusCode !== 200) {
        if (Date.now() > deadline) throw new Error('the issuer never became usable');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const found = about(running.lines);
      expect(found.map((l) => [l.level, l.msg.split(',')[0]])).toEqual([
        [40, `the discovery document of issuer ${idp.issuer} cannot be loaded`],
        [30, 'identity provider usable again'],
      ]);
    } finally {
      idp.setFault(undefined);
      await running.close();
    }
  }, 40_000);

  it('made-up kids while the keys may not be refetched: one warning for the window, no token or kid in it', async () => {
    const running = await api(idp.issuer);
    try {
      expect((await running.app.inject({ url: '/readyz' })).statusCode).toBe(200); // keys loaded
      const stranger = await generateSigningKey('RS256');
      const [, payload, signature] = (await idp.accessToken(alice, { key: stranger })).split('.');
      const sent: string[] = [];
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const kid = `made-up-${randomUUID()}`;
        const token = `${Buffer.from(JSON.stringify({ alg: 'RS256', kid })).toString('base64url')}.${payload}.${signature}`;
        sent.push(kid, token);
        const res = await running.app.inject({
          url: '/me',
          headers: { authorization: `Bearer ${token}` },
        });
        statuses.push(res.statusCode);
      }
      // The first refetched the keys (401: its kid is not published); the rest wait the window.
      expect(statuses).toEqual([401, 503, 503, 503, 503, 503]);
      const found = about(running.lines).filter((l) => l.msg.includes('(kid)'));
      expect(found.map((l) => [l.level, l.issuer])).toEqual([[40, idp.issuer]]);
      const logged = running.lines.map((l) => JSON.stringify(l)).join('\n');
      for (const secret of sent) expect(logged).not.toContain(secret);
    } finally {
      await running.close();
    }
  });
});
