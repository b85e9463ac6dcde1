import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

/** `git status --porcelain` of the repository, or undefined outside a git checkout. */
export function gitStatus(): string | undefined {
  const result = spawnSync('git', ['status', '--porcelain'], { cwd: repoRoot, encoding: 'utf8' });
  return result.status === 0 ? result.stdout : undefined;
}
