import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningIdp, startIdp } from '@todo-sso/idp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedKeys } from '../../idp/test/seed-keys.js';
import { main } from '../src/main.js';
import { devRealm, passwordGrant } from './support/stack.js';

/**
 * `todo doctor` given a token whose email the provider does not say is verified (as every token
 * of Authentik's default email scope mapping): the API never finds that person by email
 * (OpenID Connect Core §5.7), so doctor says sharing by email will not reach them. The dev IdP
 * issues alice's tokens with `email_verified: false`, bob's with `true`.
 */
describe('todo doctor on a token with an unverified email', () => {
  let idp: RunningIdp;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'todo-doctor-email-'));
    const realm = await devRealm();
    for (const user of realm.users ?? []) if (user.username === 'alice') user.emailVerified = false;
    idp = await startIdp({
      host: '127.0.0.1',
      port: 0,
      dataDir: seedKeys(join(dir, 'idp')),
      realm,
    });
  });
  afterAll(async () => {
    await idp?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const doctor = async (user: string) => {
    const { access_token: token } = await passwordGrant(idp.issuer, user);
    const out: string[] = [];
    await main(['doctor', '--json', '--token', token], {
      out: (text: string) => out.push(text),
      err: () => {},
      env: { TODO_CONFIG_DIR: join(dir, 'config'), OIDC_ISSUER: idp.issuer },
      fetch: (...a: Parameters<typeof fetch>) => globalThis.fetch(...a),
      now: Date.now,
      sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
      openBrowser: async () => false,
    });
    return JSON.parse(out.join('\n')) as { token?: { accepted: boolean }; warnings?: string[] };
  };

  it('warns that a list shared by email will not reach the person, without showing the address', async () => {
    const report = await doctor('alice');
    expect(report.token?.accepted).toBe(true);
    expect(report.warnings).toEqual([
      expect.stringMatching(
        /^this token's email is not verified .*a list shared with their email address does not reach them; with Authentik, .*docs\/sharing\.md/,
      ),
    ]);
    expect(JSON.stringify(report)).not.toContain('alice@example.com');
  });

  it('says nothing of a verified email', async () => {
    const report = await doctor('bob');
    expect(report.token?.accepted).toBe(true);
    expect(report).not.toHaveProperty('warnings');
  });
});
