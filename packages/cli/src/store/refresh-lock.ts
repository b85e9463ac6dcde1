import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  readFileSync,
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
 * Removes the lock at `path` only while it holds `stamp`, and says whether it did: a command
 * finishing its work, or taking over the lock of one that died, must never remove another
 * command's live lock, or two commands would redeem the refresh token.
 *
 * Reading the stamp and then removing by name is not enough (another command may remove the dead
 * lock and create its own in between), and neither is moving the lock aside to read it: while it
 * is aside the name is free, and a third command can create a lock there while the live one moved
 * by mistake is still held. So the lock is never moved. Every removal of a lock, by its owner or
 * by a takeover, first creates `<path>.removing-<digest of the stamp>` exclusively: of all the
 * commands removing that one lock, only one gets past, and it checks that the lock still holds the
 * stamp before it removes it. Nothing else removes a lock, and a lock is only created where there
 * is none, so the name cannot change hands between that check and the removal, whatever the number
 * of commands. A marker left by a command killed in that instant is itself taken over the same way
 * (its owner gone, or older than any removal).
 */
export function removeLockHolding(path: string, stamp: string): boolean {
  const marker = `${path}.removing-${createHash('sha256').update(stamp).digest('hex').slice(0, 16)}`;
  if (!tryCreate(marker, `${process.pid} ${randomBytes(8).toString('hex')}`)) {
    // Another command is removing this lock; or one was killed doing so, and its marker goes.
    const abandoned = staleStamp(marker, Date.now());
    if (abandoned !== undefined) removeLockHolding(marker, abandoned);
    return false;
  }
  try {
    if (readStamp(path) !== stamp) return false;
    rmSync(path, { force: true });
    return true;
  } finally {
    rmSync(marker, { force: true });
  }
}

/**
 * Runs `work` while holding `<config dir>/.refresh.lock`, so that of several `todo` commands
 * started at once only one redeems the refresh token: providers that rotate refresh tokens take
 * a second use of the old one for a replay and end the session (RFC 9700 §4.14.2). The lock
 * names its owner; it is removed only by its owner, or by another command once that owner is
 * gone. `signal` gives up the wait (the request that needs the refresh was given up).
 */
export async function withRefreshLock<T>(
  dir: string,
  work: () => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  privateDir(dir);
  const path = join(dir, '.refresh.lock');
  const stamp = `${process.pid} ${randomBytes(8).toString('hex')}`;
  const started = Date.now();
  while (!tryCreate(path, stamp)) {
    signal?.throwIfAborted();
    const dead = staleStamp(path, Date.now());
    if (dead !== undefined && removeLockHolding(path, dead)) continue;
    if (Date.now() - started > WAIT_MS)
      throw new CliError(
        'idp_error',
        `Another todo command has been renewing the session for ${WAIT_MS / 1000} s; try again (or remove ${path})`,
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  try {
    return await work();
  } finally {
    // Through the marker too: a command that took this lock for a dead one's (older than any
    // refresh) may be removing it at this moment.
    removeLockHolding(path, stamp);
  }
}
