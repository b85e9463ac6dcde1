import { randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../errors.js';
import { privateDir } from './private-file.js';

/** A lock older than this was left by a command that died; refreshes take seconds at most. */
const STALE_MS = 60_000;
const WAIT_MS = 20_000;

/** Creates the lock holding `stamp` (this process's pid and a nonce); false when it exists. */
function tryCreate(path: string, stamp: string): boolean {
  let fd: number;
  try {
    fd = openSync(
      path,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0),
      0o600,
    );
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return false;
  }
  try {
    writeSync(fd, stamp);
  } finally {
    closeSync(fd);
  }
  return true;
}

function readStamp(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Whether the process `pid` (on this machine) is gone. */
function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * A lock left behind: its owner was killed (Ctrl-C during a refresh runs no `finally`), or, for a
 * folder shared between machines where the pid says nothing, it is older than any refresh.
 */
function isStale(path: string, now: number): boolean {
  try {
    if (now - statSync(path).mtimeMs > STALE_MS) return true;
  } catch {
    return false;
  }
  const pid = Number((readStamp(path) ?? '').split(' ')[0]);
  return Number.isInteger(pid) && pid > 0 && isGone(pid);
}

/**
 * Runs `work` while holding `<config dir>/.refresh.lock`, so that of several `todo` commands
 * started at once only one redeems the refresh token: providers that rotate refresh tokens take
 * a second use of the old one for a replay and end the session (RFC 9700 §4.14.2). The lock
 * names its owner; it is removed only by its owner, or by another command once that owner is
 * gone.
 */
export async function withRefreshLock<T>(dir: string, work: () => Promise<T>): Promise<T> {
  privateDir(dir);
  const path = join(dir, '.refresh.lock');
  const stamp = `${process.pid} ${randomBytes(8).toString('hex')}`;
  const started = Date.now();
  while (!tryCreate(path, stamp)) {
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
    if (readStamp(path) === stamp) rmSync(path, { force: true });
  }
}
