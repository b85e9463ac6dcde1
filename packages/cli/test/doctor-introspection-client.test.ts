import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Diagnosis } from '@todo-sso/auth/diagnose';
import { type RunningIdp, startIdp } from '@todo-sso/idp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedKeys } from '../../idp/test/seed-keys.js';
import { main } from '../src/main.js';
import { devRealm } from './support/stack.js';

/**
 * `todo doctor` with OIDC_VERIFY=introspect checks that the provider accepts the API's own
 * client at its introspection endpoint (RFC 7662 §2.1), for every provider, not only Keycloak:
 * the dev IdP's Authentik profile answers a refused client `{"active": false}` as real Authentik
 * does, which the doctor must still tell from an accepted one; its Keycloak profile refuses a
 * wrong secret with 401 and a public client with 403. Real HTTP, the real `todo doctor`.
 */
let dir: string;
let authentik: RunningIdp;
let keycloak: RunningIdp;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'todo-doctor-introspection-'));
  [authentik, keycloak] = await Promise.all([
    startIdp({
      host: '127.0.0.1',
      port: 0,
      profile: 'authentik',
      dataDir: seedKeys(join(dir, 'a')),
    }),
    startIdp({
      host: '127.0.0.1',
      port: 0,
      realm: await devRealm(),
      dataDir: seedKeys(join(dir, 'k')),
    }),
  ]);
});

afterAll(async () => {
  await Promise.all([authentik?.close(), keycloak?.close()]);
  await rm(dir, { recursive: true, force: true });
});

async function doctor(
  env: Record<string, string>,
): Promise<{ code: number; diagnosis: Diagnosis }> {
  const out: string[] = [];
  const code = await main(['doctor', '--json'], {
    out: (text) => out.push(text),
    err: () => {},
    env: { TODO_CONFIG_DIR: join(dir, 'config'), ...env },
    fetch: (...a) => globalThis.fetch(...a),
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    openBrowser: async () => false,
  });
  return { code, diagnosis: JSON.parse(out.join('\n')) as Diagnosis };
}

const SECRET = 'hunter2-not-the-secret';

describe('todo doctor: the API client at the introspection endpoint', () => {
  it("Authentik: a wrong OIDC_CLIENT_SECRET, which Authentik's introspection hides behind active: false, is found", async () => {
    const env = {
      OIDC_ISSUER: authentik.issuer,
      OIDC_PROVIDER: 'authentik',
      OIDC_VERIFY: 'introspect',
      OIDC_CLIENT_ID: 'todo-api',
      // Authentik has no levels to ask for: its setup asks for freshness only (docs/step-up.md).
      STEP_UP_ACR: '',
    };
    // What the API would see: the provider says "inactive", not "refused".
    const asked = await fetch(`${new URL(authentik.issuer).origin}/application/o/introspect/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`todo-api:${SECRET}`).toString('base64')}`,
      },
      body: 'token=anything',
    });
    expect(asked.status).toBe(200);
    expect(await asked.json()).toEqual({ active: false });

    const wrong = await doctor({ ...env, OIDC_CLIENT_SECRET: SECRET });
    expect(wrong.code).toBe(1);
    expect(wrong.diagnosis.findings).toEqual([
      expect.objectContaining({
        code: 'introspection_client_refused',
        apiCode: 'idp_unavailable',
        received: 'invalid_client at the token endpoint; introspection: {"active": false}',
      }),
    ]);
    const [finding] = wrong.diagnosis.findings;
    expect(finding?.summary).toMatch(
      /^The provider does not authenticate the API's own client todo-api \(OIDC_CLIENT_ID \/ OIDC_CLIENT_SECRET\): its introspection answers every token \{"active": false\}, and its token endpoint refuses the client with invalid_client\. .*refused with 503/,
    );
    expect(finding?.fix.authentik).toMatch(/Client Secret into OIDC_CLIENT_SECRET\.$/);
    expect(JSON.stringify(wrong.diagnosis)).not.toContain(SECRET);

    const unknown = await doctor({
      ...env,
      OIDC_CLIENT_ID: 'no-such-client',
      OIDC_CLIENT_SECRET: 'x',
    });
    expect(unknown.diagnosis.findings.map((f) => f.code)).toEqual(['introspection_client_refused']);

    const right = await doctor({ ...env, OIDC_CLIENT_SECRET: 'todo-api-secret' });
    expect(right.diagnosis.findings).toEqual([]);
    expect(right.code).toBe(0);
  });

  it('any RFC 7662 provider (generic): a refused client is named with the status it got', async () => {
    const env = {
      OIDC_ISSUER: keycloak.issuer,
      OIDC_PROVIDER: 'generic',
      OIDC_VERIFY: 'introspect',
      OIDC_CLIENT_ID: 'todo-api',
    };
    const wrong = await doctor({ ...env, OIDC_CLIENT_SECRET: SECRET });
    expect(wrong.code).toBe(1);
    expect(wrong.diagnosis.findings).toEqual([
      expect.objectContaining({
        code: 'introspection_client_refused',
        apiCode: 'idp_unavailable',
        received: 'HTTP 401 invalid_request',
      }),
    ]);
    expect(wrong.diagnosis.findings[0]?.summary).toMatch(/refused with 503/);
    expect(JSON.stringify(wrong.diagnosis)).not.toContain(SECRET);
    const right = await doctor({ ...env, OIDC_CLIENT_SECRET: 'todo-api-secret' });
    expect(right.diagnosis.findings).toEqual([]);
  });

  it('Keycloak: a public client as the API client may not introspect (403), said beside its grant refusal', async () => {
    const { code, diagnosis } = await doctor({
      OIDC_ISSUER: keycloak.issuer,
      OIDC_VERIFY: 'introspect',
      OIDC_CLIENT_ID: 'todo-cli',
      OIDC_CLIENT_SECRET: 'anything',
    });
    expect(code).toBe(1);
    expect(diagnosis.findings).toEqual([
      expect.objectContaining({
        code: 'introspection_client_refused',
        received: 'HTTP 403 invalid_request',
      }),
    ]);
    expect(diagnosis.findings[0]?.fix.keycloak).toMatch(/Client authentication On/);
  });
});
