/**
 * Provider differences live in the profile modules (`packages/auth/src/profiles/`,
 * `packages/idp/src/profiles/`) as data and hooks; everywhere else they are lookups. A comparison
 * of a profile name, or a `case` on one, outside those modules is a branch that came back.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeFiles, packageDirs, ROOT } from './source-files.js';

const NAMES = ['keycloak', 'authentik', 'generic'].join('|');
/** `=== 'keycloak'`, `!== 'authentik'`, `'generic' ==`, `case 'keycloak':`, either quote. */
const BRANCH = new RegExp(
  [
    `[!=]==?\\s*(['"\`])(?:${NAMES})\\1`,
    `(['"\`])(?:${NAMES})\\2\\s*[!=]==?`,
    `\\bcase\\s+(['"\`])(?:${NAMES})\\3\\s*:`,
  ].join('|'),
);

/** Where profile names may be compared: the profile modules (and this file's samples). */
const SELF = 'tests/architecture/profile-branches.test.ts';
const inProfileModule = (path: string) => path === SELF || /(^|\/)profiles\//.test(path);

function offenders(files: readonly string[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    if (inProfileModule(file)) continue;
    const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
    lines.forEach((line, index) => {
      if (BRANCH.test(line)) found.push(`${file}:${index + 1}: ${line.trim()}`);
    });
  }
  return found;
}

describe('provider profile branches', () => {
  it('recognises each form of a profile branch', () => {
    const branches = [
      "if (profile === 'keycloak') x();",
      "if (layout.profile !== 'authentik') return;",
      'const generic = name == "generic";',
      "if ('keycloak' === profile) x();",
      "  case 'authentik':",
    ];
    for (const line of branches) expect(BRANCH.test(line), line).toBe(true);
    for (const line of ["profile: 'keycloak',", "providerProfile('generic')", "x = 'authentik';"]) {
      expect(BRANCH.test(line), line).toBe(false);
    }
  });

  it('finds none outside the profile modules', () => {
    const roots = [
      ...packageDirs().flatMap((pkg) => [`${pkg}/src`, `${pkg}/test`, `${pkg}/e2e`]),
      'tests',
      'bench',
      'scripts',
    ];
    const files = roots.flatMap(codeFiles);
    // The walk reaches the dev IdP's and the verifier's sources.
    expect(files).toContain('packages/idp/src/provider.ts');
    expect(files).toContain('packages/auth/src/index.ts');
    expect(offenders(files)).toEqual([]);
  });
});
