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
 * `todo doctor` and the level admin work asks for (STEP_UP_ACR, an entry's stepUpAcr; RFC 9470
 * §3): checked against the `acr_values_supported` of the provider's discovery document, here the
 * dev IdP's, which lists the development realm's `acr.loa.map` names (pwd, mfa) as Keycloak
 * does, and Authentik's one fixed value in its Authentik profile. Real HTTP, the real doctor.
 */
let dir: string;
let keycloak: RunningIdp;
let authentik: RunningIdp;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'todo-doctor-step-up-'));
  [keycloak, authentik] = await Promise.all([
    startIdp({
      host: '127.0.0.1',
      port: 0,
      realm: await devRealm(),
      dataDir: seedKeys(join(dir, 'k')),
    }),
    startIdp({
      host: '127.0.0.1',
      port: 0,
      profile: 'authentik',
      dataDir: seedKeys(join(dir, 'a')),
    }),
  ]);
});

afterAll(async () => {
  await Promise.all([keycloak?.close(), authentik?.close()]);
  await rm(dir, { recursive: true, force: true });
});

async function doctor(env: Record<string, string>, json = true) {
  const out: string[] = [];
  const code = await main(['doctor', ...(json ? ['--json'] : [])], {
    out: (text) => out.push(text),
    err: () => {},
    env: {
      TODO_CONFIG_DIR: join(dir, 'config'),
      ALLOW_SQLITE: 'true',
      DATA_DIR: join(dir, 'data'),
      ...env,
    },
    fetch: (...a) => globalThis.fetch(...a),
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    openBrowser: async () => false,
  });
  const text = out.join('\n');
  return { code, text, diagnosis: json ? (JSON.parse(text) as Diagnosis) : undefined };
}

const codes = (d: Diagnosis | undefined) => d?.findings.map((f) => f.code);

describe('todo doctor: the level admin work asks for, against what the provider issues', () => {
  it('the development realm lists pwd and mfa: the default level raises nothing', async () => {
    const { code, diagnosis } = await doctor({ OIDC_ISSUER: keycloak.issuer });
    expect(codes(diagnosis)).toEqual([]);
    expect(code).toBe(0);
  });

  it('a level the realm does not list is named, with the setting that asks for it', async () => {
    const { code, diagnosis } = await doctor({
      OIDC_ISSUER: keycloak.issuer,
      OIDC_ACR_LEVELS: 'pwd,mfa,hwk',
      STEP_UP_ACR: 'hwk',
    });
    expect(code).toBe(1);
    expect(diagnosis?.findings).toMatchObject([
      {
        code: 'step_up_level_unsupported',
        issuer: keycloak.issuer,
        expected: 'acr_values_supported with hwk',
        received: 'pwd, mfa',
      },
    ]);
    expect(diagnosis?.findings[0]?.summary).toContain('(STEP_UP_ACR)');
  });

  it('a level ranked above the one asked for is enough: tokens at it pass as well', async () => {
    const { code, diagnosis } = await doctor({
      OIDC_ISSUER: keycloak.issuer,
      OIDC_ACR_LEVELS: 'any,pwd,mfa',
      STEP_UP_ACR: 'any',
    });
    expect(codes(diagnosis)).toEqual([]);
    expect(code).toBe(0);
  });

  it('among several issuers, the entry’s own stepUpAcr is checked and named', async () => {
    const { code, diagnosis } = await doctor({
      OIDC_ISSUERS: JSON.stringify([
        { issuer: keycloak.issuer },
        {
          issuer: authentik.issuer,
          provider: 'authentik',
          acrLevels: ['bronze', 'gold'],
          stepUpAcr: 'gold',
        },
      ]),
    });
    expect(code).toBe(1);
    expect(diagnosis?.findings).toMatchObject([
      {
        code: 'step_up_level_unsupported',
        issuer: authentik.issuer,
        expected: 'acr_values_supported with gold',
      },
    ]);
    expect(diagnosis?.findings[0]?.summary).toContain('(OIDC_ISSUERS[1].stepUpAcr)');
  });

  it('Authentik with the default level: explained with the Authentik setup', async () => {
    const { code, text } = await doctor(
      { OIDC_ISSUER: authentik.issuer, OIDC_PROVIDER: 'authentik' },
      false,
    );
    expect(code).toBe(1);
    expect(text).toContain('✗ step_up_level_unsupported');
    expect(text).toContain('received: goauthentik.io/providers/oauth2/default');
    expect(text).toMatch(/fix \(Authentik\): Authentik has no authentication levels/);
    expect(text).toContain('1 problem found');
  });

  it('Authentik asked for freshness only (STEP_UP_ACR empty), as docs/step-up.md sets it up', async () => {
    const { code, diagnosis } = await doctor({
      OIDC_ISSUER: authentik.issuer,
      OIDC_PROVIDER: 'authentik',
      STEP_UP_ACR: '',
    });
    expect(codes(diagnosis)).toEqual([]);
    expect(code).toBe(0);
  });
});
