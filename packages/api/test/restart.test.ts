import { readdirSync } from 'node:fs';
import { alice } from '@todo-sso/auth/testing';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { drivers, useTestDatabase } from './support/databases.js';
import { startInstance, testConfig, useIssuer } from './support/harness.js';

describe.each(drivers)('restarting the API on $driver', ({ skip, create }) => {
  const database = useTestDatabase({ skip, create });
  const idp = useIssuer(skip, { profile: 'keycloak' });

  it.skipIf(skip)(
    'keeps todos, audit records and revocations across a restart, migrating once',
    async () => {
      const config = testConfig(idp, database.config);
      const token = await idp.accessToken(alice);
      const auth = { authorization: `Bearer ${token}` };

      const first = await startInstance(config);
      const created = await first.app.inject({
        method: 'POST',
        url: '/todos/',
        headers: auth,
        payload: { title: 'survives restarts', description: 'kept on disk' },
      });
      expect(created.statusCode).toBe(201);
      await first.context.revocations.revokeSession(idp.issuer, 'ended-before-restart');
      await first.close();

      const second = await startInstance(config);
      try {
        const list = await second.app.inject({ method: 'GET', url: '/todos/', headers: auth });
        expect(list.json().items).toEqual([created.json()]);
        const revoked = await idp.accessToken(alice, { sessionId: 'ended-before-restart' });
        const refused = await second.app.inject({
          method: 'GET',
          url: '/me',
          headers: { authorization: `Bearer ${revoked}` },
        });
        expect(refused.json()).toMatchObject({ code: 'token_revoked' });
        // Every migration recorded exactly once: the restart applied none again.
        const migrations = await sql<{
          n: number | string;
        }>`select count(*) as n from kysely_migration`.execute(second.context.db.kysely);
        const files = readdirSync(new URL('../src/db/migrations/', import.meta.url));
        expect(Number(migrations.rows[0]?.n)).toBe(files.length);
        const audit = await second.context.db.kysely.selectFrom('audit_log').selectAll().execute();
        expect(audit.map((a) => a.action)).toContain('todo.create');
      } finally {
        await second.close();
      }
    },
  );
});
