import { closeSync, constants, openSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../errors.js';
import { privateDir } from './private-file.js';

/** A lock older than this was left by a command that died; refreshes take seconds at most. */
const STALE_MS = 30_000;
const WAIT_MS = 20_000;

function tryCreate(path: string): boolean {
  try {
    closeSync(
      openSync(
        path,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0),
        0o600,
      ),
    );
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return false;
  }
}

function isStale(path: string, now: number): boolean {
  try {
    return now - statSync(path).mtimeMs > STALE_MS;
  } catch {
    return false;
  }
}

/**
 * Runs `work` while holding `<config dir>/.refresh.lock`, so that of several `todo` commands
 * started at once only one redeems the refresh token: providers that rotate refresh tokens take
 * a second use of the old one for a replay and end the session (RFC 9700 §4.14.2).
 */
export async function withRefreshLock<T>(dir: string, work: () => Promise<T>): Promise<T> {
  privateDir(dir);
  const path = join(dir, '.refresh.lock');
  const started = Date.now();
  while (!tryCreate(path)) {
    if (isStale(path, Date.now())) rmSync(path, { force: true });
    else if (Date.now() - started > WAIT_MS)
      throw new CliError(
        'idp_error',
        `Another todo command has been renewing the session for ${WAIT_MS / 1000} s; try again (or remove ${path})`,
      );
    else await new Promise((resolve) => setTimeout(resolve, 50));
  }
  try {
    return await work();
  } finally {
    rmSync(path, { force: true });
  }
}
