import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offlineDoctor } from './support/offline-doctor.js';

/**
 * `npm run doctor` in an environment with a misspelt variable (TRUSTED_PROXIES for TRUST_PROXY):
 * the API would read it as unset and say so at start (config/variable-names.ts), and the doctor
 * prints the same warning, in its text and in `--json`. The provider is never reached (every
 * fetch fails here): the warning does not depend on it.
 */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'todo-doctor-misspelt-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const doctor = (env: Record<string, string>, ...args: string[]) => offlineDoctor(dir, env, ...args);

describe('todo doctor and a misspelt variable', () => {
  it('prints the warning the API prints at start, naming both variables', async () => {
    const expected =
      'TRUSTED_PROXIES is set, but the API reads no variable of that name, and TRUST_PROXY is not set: if TRUST_PROXY is meant, rename TRUSTED_PROXIES to TRUST_PROXY';
    const text = await doctor({ TRUSTED_PROXIES: '1' });
    expect(text.out).toContain(`warning: ${expected}`);
    const json = JSON.parse((await doctor({ TRUSTED_PROXIES: '1' }, '--json')).out);
    expect(json.warnings).toEqual([expect.stringContaining(expected)]);
    const right = await doctor({ TRUST_PROXY: '1' });
    expect(right.out).not.toContain('warning:');
  });
});
