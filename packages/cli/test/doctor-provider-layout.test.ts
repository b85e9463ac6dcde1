import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offlineDoctor } from './support/offline-doctor.js';

/**
 * `npm run doctor` with an Authentik issuer (`/application/o/<slug>/`) and OIDC_PROVIDER left at
 * its default, keycloak: the API would refuse every token of it with audience_mismatch and says so
 * at start (config/warnings.ts); the doctor prints the same warning, naming OIDC_PROVIDER and the
 * value to set. The provider is never reached (every fetch fails here).
 */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'todo-doctor-layout-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const doctor = (env: Record<string, string>, ...args: string[]) => offlineDoctor(dir, env, ...args);

describe("todo doctor and an issuer of another provider's layout", () => {
  it('prints the warning the API prints at start, naming OIDC_PROVIDER', async () => {
    const issuer = 'http://localhost:9000/application/o/todo-app/';
    const { out } = await doctor({ OIDC_ISSUER: issuer });
    expect(out).toContain(
      `warning: OIDC_ISSUER ${issuer} has Authentik's layout, but OIDC_PROVIDER is keycloak: `,
    );
    expect(out).toMatch(/set OIDC_PROVIDER=authentik$/m);
    const right = await doctor({ OIDC_ISSUER: issuer, OIDC_PROVIDER: 'authentik' });
    expect(right.out).not.toContain('warning:');
  });
});
