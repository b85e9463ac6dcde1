import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
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
 * The stamp of a lock left behind, undefined while its owner may still hold it: its owner was
 * killed (Ctrl-C during a refresh runs no `finally`), or, for a folder shared between machines
 * where the pid says nothing, it is older than any refresh.
 */
function staleStamp(path: string, now: number): string | undefined {
  // Its age and its stamp from one open file: read by name twice, they could be two locks'.
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch {
    return undefined;
  }
  let mtimeMs: number;
  let stamp: string;
  try {
    mtimeMs = fstatSync(fd).mtimeMs;
    stamp = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  if (now - mtimeMs > STALE_MS) return stamp;
  const pid = Number(stamp.split(' ')[0]);
  return Number.isInteger(pid) && pid > 0 && isGone(pid) ? stamp : undefined;
}

/**
 * Removes the lock at `path` only if it is still the one holding `dead`. Between reading a dead
 * lock and removing it, another command may have taken it over and created its own: removing by
 * name would delete that live lock, and two commands would redeem the refresh token. So the
 * lock is first moved aside (a rename is atomic, one command gets it), read there, and removed
 * only if it is the dead one; a live lock moved by mistake is linked back under its name. Left
 * open: a third command creating a lock in the instant between the move and the link back.
 */
export function removeDeadLock(path: string, dead: string): void {
  const aside = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // already taken over
    throw e;
  }
  if (readStamp(aside) === dead) {
    rmSync(aside, { force: true });
    return;
  }
  try {
    linkSync(aside, path);
  } catch (e) {
    // EEXIST: another command has created a lock since; it holds the name now. A file system
    // without hard links gets the lock back by a rename instead.
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
      renameSync(aside, path);
      return;
    }
  }
  rmSync(aside, { force: true });
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
    const dead = staleStamp(path, Date.now());
    if (dead !== undefined) removeDeadLock(path, dead);
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
