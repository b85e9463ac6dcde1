import { admin } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasControl } from './support/control.js';
import { drivers, useTestDatabase } from './support/databases.js';
import {
  type Instance,
  mfaClaims,
  startInstance,
  testConfig,
  useIssuer,
} from './support/harness.js';
import { type FakeKeycloakAdmin, fakeKeycloakAdmin } from './support/keycloak-admin.js';

/** What the provider's refusal carries: control characters, a terminal escape, 20k characters. */
const HOSTILE = `Consent\u0000 refused\u001b[2J\u009b31m\r\nforged: line ${'x'.repeat(20_000)}`;
/** A gateway's page that is not Keycloak's JSON, with something that must not be repeated. */
const PAGE = '<html><body>upstream said: access_token=eyJhbGciOiJSUzI1NiJ9.secret</body></html>';

/**
 * The provider's words reach the operator's answer, the row (`last_error`) and the audit record
 * of a retry or release: as one bounded line, whatever the provider sent, and a body that is not
 * the provider's JSON error (a gateway's page) is not repeated at all.
 */
describe.each(drivers)("the provider's refusal of an agent grant end, on $driver", (driver) => {
  const { skip } = driver;
  const database = useTestDatabase(driver);
  const idp = useIssuer(skip, { profile: 'keycloak' });
  let provider: FakeKeycloakAdmin;
  let instance: Instance;
  let url: string;

  beforeAll(async () => {
    if (skip) return;
    // Its consent deletions answered `state.status` with `state.body`.
    provider = await fakeKeycloakAdmin({ mode: 'reply', status: 409 });
    const config = testConfig(idp, database.config, {
      OIDC_CLIENT_ID: 'todo-api',
      OIDC_CLIENT_SECRET: 'todo-api-secret',
      IDP_ADMIN_URL: `${provider.url}/admin/realms/todo-app`,
      STEP_UP_ACR: 'mfa',
      STEP_UP_MAX_AGE_SECONDS: '900',
    });
    instance = await startInstance(config, { agentGrantEndRetryMs: 3_600_000 });
    url = await instance.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await instance?.close();
    await provider?.close();
  });

  it.skipIf(skip)(
    'is one bounded line in the answer, the row and the audit record; a page is not repeated',
    async () => {
      const db = instance.context.db.kysely;
      const now = Math.floor(Date.now() / 1000);
      const token = await idp.accessToken(admin, { claims: mfaClaims(now), issuedAt: now });
      const cases = [
        {
          clientId: 'json-agent',
          type: 'application/json',
          body: JSON.stringify({ errorMessage: HOSTILE }),
        },
        { clientId: 'page-agent', type: 'text/html', body: PAGE },
      ];
      for (const { clientId, type, body } of cases) {
        provider.state.type = type;
        provider.state.body = body;
        const key = { issuer: idp.issuer, sub: 'person-1', clientId };
        await db
          .insertInto('agent_grant_ends')
          .values({
            issuer: key.issuer,
            sub: key.sub,
            client_id: clientId,
            requested_at: new Date().toISOString(),
          })
          .execute();
        for (const action of ['retry', 'release']) {
          const res = await fetch(`${url}/admin/agents/grant-ends/${action}`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify(key),
          });
          expect(res.status).toBe(409);
          const { detail } = (await res.json()) as { detail: string };
          expect(hasControl(detail)).toBe(false);
          expect(detail.length).toBeLessThan(1000);
          expect(detail).not.toContain('secret');
        }
        const row = await db
          .selectFrom('agent_grant_ends')
          .select(['attempts', 'last_error'])
          .where('client_id', '=', clientId)
          .executeTakeFirstOrThrow();
        expect(Number(row.attempts)).toBe(2);
        expect(hasControl(row.last_error)).toBe(false);
        expect(row.last_error?.length).toBeLessThanOrEqual(500);
        expect(row.last_error).not.toContain('secret');
        const audits = await db
          .selectFrom('audit_log')
          .select(['detail'])
          .where('resource', '=', `client:${clientId}`)
          .execute();
        expect(audits).toHaveLength(2);
        for (const { detail } of audits) {
          const reason = String(JSON.parse(String(detail)).reason);
          expect(hasControl(reason)).toBe(false);
          expect(reason.length).toBeLessThanOrEqual(500);
          expect(reason).not.toContain('secret');
        }
      }
      // The provider's own words still reach the operator, in one line.
      const row = await db
        .selectFrom('agent_grant_ends')
        .select(['last_error'])
        .where('client_id', '=', 'json-agent')
        .executeTakeFirstOrThrow();
      expect(row.last_error).toMatch(/Consent {1,2}refused/);
    },
  );
  it.skipIf(skip)(
    "a 404 that is not Keycloak's own (a proxy's page) keeps the hold; Keycloak's settles it",
    async () => {
      const db = instance.context.db.kysely;
      const now = Math.floor(Date.now() / 1000);
      const token = await idp.accessToken(admin, { claims: mfaClaims(now), issuedAt: now });
      const key = { issuer: idp.issuer, sub: 'person-2', clientId: 'proxied-agent' };
      await db
        .insertInto('agent_grant_ends')
        .values({
          issuer: key.issuer,
          sub: key.sub,
          client_id: key.clientId,
          requested_at: new Date().toISOString(),
        })
        .execute();
      const post = async (action: string, body: object) => {
        const res = await fetch(`${url}/admin/agents/grant-ends/${action}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        return { status: res.status, json: (await res.json()) as Record<string, unknown> };
      };
      const pending = () =>
        db.selectFrom('agent_grant_ends').selectAll().where('sub', '=', key.sub).execute();

      provider.state.status = 404;
      provider.state.type = 'text/html';
      provider.state.body = '<html><body>404 Not Found</body></html>';
      const retried = await post('retry', key);
      expect(retried.status).toBe(502);
      expect(retried.json.code).toBe('idp_refused');
      const released = await post('release', key);
      expect(released.status).toBe(409);
      expect(await pending()).toHaveLength(1);

      // Current releases' body, and older ones' (the message as `error_description` under
      // `invalid_request`): either settles it.
      provider.state.type = 'application/json';
      for (const body of [
        { error: 'Consent nor offline token not found' },
        { error: 'invalid_request', error_description: 'Consent nor offline token not found' },
      ]) {
        if ((await pending()).length === 0)
          await db
            .insertInto('agent_grant_ends')
            .values({
              issuer: key.issuer,
              sub: key.sub,
              client_id: key.clientId,
              requested_at: new Date().toISOString(),
            })
            .execute();
        provider.state.body = JSON.stringify(body);
        const gone = await post('retry', key);
        expect(gone.status, JSON.stringify(body)).toBe(200);
        expect(gone.json.outcome).toBe('no_grant');
        expect(await pending()).toHaveLength(0);
      }
      provider.state.status = 409;
    },
  );
});
