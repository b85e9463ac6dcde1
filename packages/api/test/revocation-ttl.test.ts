import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningIdp, startIdp } from '@todo-sso/idp';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedKeys } from '../../idp/test/seed-keys.js';
import { buildApp } from '../src/app.js';
import { createContext } from '../src/context.js';
import { sqliteDatabase, type TestDatabase } from './support/databases.js';
import { testConfig } from './support/harness.js';

/** The dev IdP issues 10-minute access tokens here (Keycloak's default is 5). */
// Each case starts a database and an API next to the IdP: more than the default 5 s under load.
const LIFESPAN = 600;

interface LogRecord {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/**
 * A revocation is kept `REVOCATION_TTL_SECONDS`; a token that outlives it would be accepted again
 * once its revocation is dropped. The lifetime is read from the tokens (`exp - iat`) of the real
 * dev IdP over HTTP, and the API warns once, naming the issuer and the value to set.
 */
describe('REVOCATION_TTL_SECONDS against the issuer’s access-token lifetime', () => {
  let idp: RunningIdp;
  let idpData: string;
  let token: string;
  const databases: TestDatabase[] = [];

  beforeAll(async () => {
    idpData = mkdtempSync(join(tmpdir(), 'idp-ttl-'));
    idp = await startIdp({
      host: '127.0.0.1',
      port: 0,
      dataDir: seedKeys(idpData),
      accessTokenLifespan: LIFESPAN,
    });
    const res = await fetch(`${idp.issuer}/protocol/openid-connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'todo-cli',
        username: 'alice',
        password: 'alice',
      }),
    });
    expect(res.status).toBe(200);
    token = ((await res.json()) as { access_token: string }).access_token;
  });
  afterAll(async () => {
    await idp?.close();
    for (const database of databases) await database.drop();
    rmSync(idpData, { recursive: true, force: true });
  });

  /** Calls `/me` `times` times with the token on an API keeping revocations `ttl` seconds. */
  async function warningsWith(ttl: number, times: number): Promise<LogRecord[]> {
    const database = sqliteDatabase();
    databases.push(database);
    const records: LogRecord[] = [];
    const logger = pino(
      { level: 'warn' },
      { write: (line: string) => records.push(JSON.parse(line) as LogRecord) },
    );
    const config = testConfig(idp, database.config, { REVOCATION_TTL_SECONDS: String(ttl) });
    const context = await createContext(config, { logger });
    const app = await buildApp(context);
    try {
      for (let i = 0; i < times; i++) {
        const me = await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } });
        expect(me.statusCode).toBe(200);
      }
    } finally {
      await app.close();
      await context.close();
    }
    return records.filter((r) => r.msg.includes('REVOCATION_TTL_SECONDS'));
  }

  it('warns once, naming the issuer and the lifetime, when revocations expire first', async () => {
    const warnings = await warningsWith(300, 3);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      level: 40,
      issuer: idp.issuer,
      accessTokenLifetimeSeconds: LIFESPAN,
      revocationTtlSeconds: 300,
    });
    expect(warnings[0]?.msg).toContain(`at least ${LIFESPAN}`);
    expect(JSON.stringify(warnings)).not.toContain(token.split('.')[2]);
  }, 30_000);

  it('stays quiet when revocations last as long as the tokens', async () => {
    expect(await warningsWith(LIFESPAN, 2)).toEqual([]);
  }, 30_000);
});
