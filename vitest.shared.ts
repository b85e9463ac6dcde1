import { fileURLToPath } from 'node:url';
import type { Alias } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/** The setup file that fixes fast-check's seed under CI (see the file). */
export const fastCheckSetup = `${root}vitest.fast-check.ts`;

/**
 * Tests run against the TypeScript sources of sibling workspaces, not their built `dist/`:
 * `@todo-sso/auth` → `packages/auth/src/index.ts`, `@todo-sso/auth/testing` →
 * `packages/auth/src/testing/index.ts`, and so on for every package.
 */
export const workspaceAliases: Alias[] = ['auth', 'idp', 'api'].flatMap((name) => [
  { find: new RegExp(`^@todo-sso/${name}$`), replacement: `${root}packages/${name}/src/index.ts` },
  {
    find: new RegExp(`^@todo-sso/${name}/(.+)$`),
    replacement: `${root}packages/${name}/src/$1/index.ts`,
  },
]);
