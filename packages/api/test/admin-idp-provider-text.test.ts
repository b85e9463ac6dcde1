import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { admin } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasControl } from './support/control.js';
import { sqliteDriver, useTestDatabase } from './support/databases.js';
import {
  type Instance,
  mfaClaims,
  startInstance,
  testConfig,
  useIssuer,
} from './support/harness.js';

/** A provider's refusal text: control characters, a terminal escape, a forged line, 20k long. */
const HOSTILE = `too short\u0000\u001b[2J\u009b31m\r\nforged: line ${'x'.repeat(20_000)}`;

/**
 * Keycloak refuses a new user's profile with `{"errors": [{"field", "errorMessage", "params"}]}`,
 * which the API repeats as the 400's field errors. Those words are the provider's: they reach
 * the administrator (and the terminal of the command line) as bounded single lines, as every
 * other provider text does, however many and however long the provider sent.
 */
describe("the identity provider's profile refusal of a new user", () => {
  const database = useTestDatabase(sqliteDriver);
  const idp = useIssuer(false, { profile: 'keycloak' });
  let provider: Server;
  let instance: Instance;
  let url: string;

  beforeAll(async () => {
    // A Keycloak admin API whose user creation refuses the profile, field by field, 50 times.
    const refusal = {
      errors: Array.from({ length: 50 }, () => ({
        field: 'username',
        errorMessage: HOSTILE,
        params: ['username', HOSTILE, '3'],
      })),
    };
    provider = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const json = (status: number, body: object) =>
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        if (req.method === 'POST' && req.url?.endsWith('/protocol/openid-connect/token'))
          return json(200, { access_token: 'admin-token', expires_in: 300 });
        if (req.method === 'POST' && /^\/admin\/realms\/todo-app\/users\/?$/.test(req.url ?? ''))
          return json(400, refusal);
        res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
    const { port } = provider.address() as AddressInfo;
    instance = await startInstance(
      testConfig(idp, database.config, {
        OIDC_CLIENT_ID: 'todo-api',
        OIDC_CLIENT_SECRET: 'todo-api-secret',
        IDP_ADMIN_URL: `http://127.0.0.1:${port}/admin/realms/todo-app`,
        STEP_UP_ACR: 'mfa',
        STEP_UP_MAX_AGE_SECONDS: '900',
      }),
    );
    url = await instance.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await instance?.close();
    await new Promise((resolve) => provider?.close(resolve));
  });

  it('is answered as a few bounded lines naming the field, without control characters', async () => {
    const token = await idp.accessToken(admin, { claims: mfaClaims() });
    const res = await fetch(`${url}/admin/idp/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'newcomer' }),
    });
    const text = await res.text();
    expect(res.status, text.slice(0, 500)).toBe(400);
    const body = JSON.parse(text) as {
      code: string;
      errors: { field: string; message: string }[];
    };
    expect(body.code).toBe('invalid_request');
    expect(body.errors.length).toBeGreaterThan(0);
    expect(body.errors.length).toBeLessThanOrEqual(10);
    for (const { field, message } of body.errors) {
      expect(field).toBe('body.username');
      expect(hasControl(message)).toBe(false);
      expect(message.length).toBeLessThan(1000);
      // The provider's words still reach the administrator, on one line.
      expect(message).toMatch(/^is refused by the identity provider \(too short/);
    }
  });
});
