/**
 * scripts/test-report.mjs: the failures `npm test` names in its last lines, read from the JSON
 * reports of real Vitest and Playwright runs over a few made-up tests in a temporary folder.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listed, playwrightOutcomes, vitestFailures } from '../scripts/test-report.mjs';
import { ROOT } from './docs/readme-tables.js';

const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);
const playwrightModule = pathToFileURL(join(ROOT, 'node_modules/@playwright/test/index.mjs'));

describe('the failures named at the end of npm test', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'test-report-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names each failed Vitest test with its file, its assertion and where it failed, and a file that cannot load', () => {
    writeFileSync(
      join(dir, 'sums.test.ts'),
      `import { expect, it } from 'vitest';
it('adds', () => expect(1 + 1).toBe(2));
it('adds wrongly', () => expect(1 + 1).toBe(3));\n`,
    );
    writeFileSync(join(dir, 'broken.test.ts'), `import 'no-such-package-here';\n`);
    const json = join(dir, 'vitest.json');
    const run = spawnSync(
      bin('vitest'),
      ['run', '--root', dir, '--reporter=json', `--outputFile.json=${json}`],
      { cwd: dir, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } },
    );
    expect(run.status).toBe(1);
    const failures = vitestFailures(JSON.parse(readFileSync(json, 'utf8')), `${dir}/`);
    expect(failures.map((f) => f.name).sort()).toEqual([
      'broken.test.ts',
      'sums.test.ts › adds wrongly',
    ]);
    const wrong = failures.find((f) => f.name.endsWith('adds wrongly'));
    expect(wrong?.message).toMatch(
      /^AssertionError: expected 2 to be 3 .* · at .*sums\.test\.ts:3:/,
    );
    expect(wrong?.message).not.toContain('node_modules');
    expect(failures.find((f) => f.name === 'broken.test.ts')?.message).toContain(
      'no-such-package-here',
    );
  });

  it('names a Playwright test that failed for good as failed and one that passed on its retry as flaky', () => {
    writeFileSync(
      join(dir, 'playwright.config.mjs'),
      `export default { testDir: '.', testMatch: '*.e2e.mjs', retries: 1, workers: 1 };\n`,
    );
    writeFileSync(
      join(dir, 'steps.e2e.mjs'),
      `import { expect, test } from '${playwrightModule.href}';
test('passes', () => expect(1).toBe(1));
test('passes on its retry', ({}, info) => expect(info.retry).toBe(1));
test.describe('a group', () => {
  // Not retried: one failure is enough here, and a retry would start one more worker.
  test.describe.configure({ retries: 0 });
  test('never passes', () => expect('a').toBe('b'));
});\n`,
    );
    const json = join(dir, 'playwright.json');
    const run = spawnSync(bin('playwright'), ['test', '-c', dir, '--reporter=json'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, FORCE_COLOR: '0', PLAYWRIGHT_JSON_OUTPUT_NAME: json },
    });
    expect(run.status).toBe(1);
    const { failed, flaky } = playwrightOutcomes(JSON.parse(readFileSync(json, 'utf8')));
    expect(failed).toEqual([
      {
        name: 'steps.e2e.mjs › a group › never passes (line 7)',
        message: expect.stringMatching(/toBe\(expected\).* · Expected: "b" · Received: "a"$/),
      },
    ]);
    expect(flaky.map((f) => f.name)).toEqual(['steps.e2e.mjs › passes on its retry (line 3)']);
    expect(listed('Failed (Playwright)', failed)).toMatch(
      /^\nFailed \(Playwright\)\n {2}- steps\.e2e\.mjs › a group › never passes \(line 7\)\n {6}Error: /,
    );
    expect(listed('Nothing', [])).toBe('');
  });
});
