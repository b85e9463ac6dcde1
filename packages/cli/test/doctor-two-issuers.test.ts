import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Diagnosis } from '@todo-sso/auth/diagnose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { terminal } from './support/run.js';
import { passwordGrant, type Stack, startStack } from './support/stack.js';

/** A token whose payload says `iss`, its signature left as it was (the issuer is checked first). */
function withIssuer(token: string, iss: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as object;
  const changed = Buffer.from(JSON.stringify({ ...claims, iss })).toString('base64url');
  return `${header}.${changed}.${signature}`;
}

/**
 * `todo doctor` for an API that trusts two issuers (OIDC_ISSUERS), two real dev IdPs: a token of
 * either is judged against its own entry, never against the first one's alone.
 */
describe('todo doctor with two trusted issuers', () => {
  let first: Stack;
  let second: Stack;
  let dir: string;

  beforeAll(async () => {
    [first, second] = await Promise.all([startStack(), startStack()]);
    dir = await mkdtemp(join(tmpdir(), 'todo-doctor-two-'));
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const env = () => ({
    TODO_CONFIG_DIR: dir,
    TODO_TOKEN_STORE: 'file',
    OIDC_ISSUERS: JSON.stringify([{ issuer: first.issuer }, { issuer: second.issuer }]),
  });

  async function doctor(token: string) {
    const path = join(dir, 'token');
    await writeFile(path, token, { mode: 0o600 });
    const result = await terminal(env()).run('doctor', '--token-file', path, '--json');
    return { code: result.code, diagnosis: JSON.parse(result.out) as Diagnosis, err: result.err };
  }

  it('accepts a token of the second issuer as of the first', async () => {
    for (const stack of [first, second]) {
      const { access_token } = await passwordGrant(stack.issuer);
      const { code, diagnosis } = await doctor(access_token);
      expect(diagnosis.findings).toEqual([]);
      expect(diagnosis.token).toMatchObject({ accepted: true });
      expect(code).toBe(0);
    }
  });

  it('compares an untrusted issuer with the entry it differs from by a trailing slash', async () => {
    for (const [index, stack] of [first, second].entries()) {
      const { access_token } = await passwordGrant(stack.issuer);
      const { code, diagnosis } = await doctor(withIssuer(access_token, `${stack.issuer}/`));
      expect(code).toBe(1);
      expect(diagnosis.findings).toMatchObject([
        {
          code: 'issuer_trailing_slash',
          issuer: stack.issuer,
          fix: { config: expect.stringContaining(`OIDC_ISSUERS[${index}].issuer=`) },
        },
      ]);
    }
  });

  it('--login signs in at the issuer todo login uses, and says which entry it is', async () => {
    const t = terminal({ ...env(), TODO_ISSUER: second.issuer });
    const result = await t.run('doctor', '--login', '--json');
    expect(result.code, result.err).toBe(0);
    expect(JSON.parse(result.out) as Diagnosis).toMatchObject({ token: { accepted: true } });
    // The device grant was at the second provider: the page opened is its own.
    expect(t.opened).toHaveLength(1);
    expect(new URL(t.opened[0] ?? '').origin).toBe(new URL(second.issuer).origin);
    expect(result.err).toContain(
      `Signing in at ${second.issuer} (OIDC_ISSUERS[1]), where todo login signs in; set TODO_ISSUER to check another of the 2 issuers the API trusts.`,
    );
  });

  it('--login names the issuers to choose from when todo login signs in at none of them', async () => {
    const elsewhere = 'https://sso.example/realms/other';
    const t = terminal({ ...env(), TODO_ISSUER: elsewhere });
    const result = await t.run('doctor', '--login');
    expect(result.code).toBe(2);
    expect(t.opened).toEqual([]);
    expect(result.err).toBe(
      `todo doctor: --login signs in where todo login does, at ${elsewhere}, which is none of the 2 issuers the API trusts; set TODO_ISSUER to the one to check: ${first.issuer} (OIDC_ISSUERS[0]), ${second.issuer} (OIDC_ISSUERS[1])`,
    );
  });
});
