import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * `git status --porcelain` of the repository, or undefined outside a git checkout; limited to
 * the paths in `E2E_GIT_PATHS` (space-separated) when set, as `npm test` does while Vitest runs
 * beside the end-to-end run (it checks the whole tree itself once both have ended).
 */
export function gitStatus(): string | undefined {
  const paths = (process.env.E2E_GIT_PATHS ?? '').split(' ').filter((p) => p !== '');
  const result = spawnSync('git', ['status', '--porcelain', '--', ...paths], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  return result.status === 0 ? result.stdout : undefined;
}
