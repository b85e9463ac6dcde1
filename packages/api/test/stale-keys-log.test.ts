import { Writable } from 'node:stream';
import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { type AppContext, createContext } from '../src/context.js';
import { createLogger } from '../src/http/logger.js';
import { sqliteDatabase, type TestDatabase } from './support/databases.js';
import { testConfig } from './support/harness.js';

/**
 * While the identity provider is down and the API serves its cached keys past their lifetime
 * (stale-if-error), the warning says so once per outage, not once per request: at a few hundred
 * requests a second a line each would bury every other line of the log for the whole window.
 */
describe('serving cached keys during an outage', () => {
  let nowMs = Date.now();
  const clock = { now: () => new Date(nowMs) };
  const lines: { msg: string; level: number }[] = [];
  let idp: TestIssuer;
  let database: TestDatabase;
  let context: AppContext;
  let app: Awaited<ReturnType<typeof buildApp>>;

  beforeAll(async () => {
    idp = await startTestIssuer({ now: () => nowMs });
    database = sqliteDatabase();
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of chunk.toString().split('\n'))
          if (line.startsWith('{')) lines.push(JSON.parse(line));
        done();
      },
    });
    context = await createContext(testConfig(idp, database.config), {
      logger: createLogger('info', sink),
      clock,
    });
    app = await buildApp(context);
  });
  afterAll(async () => {
    await app?.close();
    await context?.close();
    await idp?.close();
    await database?.drop();
  });

  const me = async () =>
    (
      await app.inject({
        url: '/me',
        headers: { authorization: `Bearer ${await idp.accessToken(alice)}` },
      })
    ).statusCode;

  it('warns once per outage, however many requests it serves', async () => {
    expect(await me()).toBe(200);
    idp.setFault('down');
    try {
      // Past the keys' lifetime (300 s), inside the stale window (600 s more).
      nowMs += 301_000;
      for (let i = 0; i < 5; i++) expect(await me()).toBe(200);
      nowMs += 60_000;
      for (let i = 0; i < 5; i++) expect(await me()).toBe(200);
    } finally {
      idp.setFault(undefined);
    }
    const stale = lines.filter((l) => /serving cached keys/.test(l.msg));
    expect(stale).toHaveLength(1);
    expect(stale[0]?.level).toBe(40);
  });
});
