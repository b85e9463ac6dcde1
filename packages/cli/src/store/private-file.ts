import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../errors.js';

/** The user this process runs as; undefined where the platform has no uids (Windows). */
const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;

function refuse(path: string, why: string): never {
  throw new CliError(
    'usage',
    `Refusing to use ${path}: ${why}. Remove it (or set TODO_CONFIG_DIR to a folder of your own).`,
  );
}

/**
 * Makes `dir` a folder only this user can enter and write (0700), creating it when missing. A
 * folder of someone else's is refused: whoever can write to it can plant links where tokens are
 * written or swap the token file for one of their own.
 */
export function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const info = statSync(dir);
  if (!info.isDirectory()) refuse(dir, 'it is not a folder');
  if (uid === undefined) return;
  if (info.uid !== uid) refuse(dir, 'the folder belongs to another user');
  if ((info.mode & 0o077) !== 0) {
    // Our own folder, created looser by something else (or by an older version): tighten it.
    fchmodDir(dir);
  }
}

function fchmodDir(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fchmodSync(fd, 0o700);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads `dir/name` when it is a regular file (not a link) of this user's that nobody else can
 * read or write; undefined when there is none. Anything else is refused, not read: a planted
 * file would make this user's commands run in someone else's session.
 */
export function readPrivateFile(dir: string, name: string): string | undefined {
  const path = join(dir, name);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') refuse(path, 'it is not a regular file (a symbolic link)');
    throw e;
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) refuse(path, 'it is not a regular file');
    if (uid !== undefined && info.uid !== uid) refuse(path, 'it belongs to another user');
    if (uid !== undefined && (info.mode & 0o077) !== 0)
      refuse(path, `others can read or change it (mode ${(info.mode & 0o777).toString(8)})`);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `dir/name` atomically with mode 0600 in a 0700 folder: a new temporary file with an
 * unpredictable name, created exclusively (O_EXCL never follows a link), then renamed over the
 * old file, so the content is never readable by others, not even for an instant, a crash never
 * leaves half a file, and nothing is written through a link someone placed. write(2) may write
 * less than it was given when the disk fills up (the next call fails with ENOSPC or EFBIG), so
 * the bytes are written until all are, and flushed to the disk before the rename replaces the
 * old file: a short file is never renamed into place.
 */
export function writePrivateFile(dir: string, name: string, text: string): void {
  privateDir(dir);
  const temporary = join(dir, `.${name}.${randomBytes(8).toString('hex')}.tmp`);
  const fd = openSync(
    temporary,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0),
    0o600,
  );
  try {
    try {
      // The mode given at creation is filtered by the umask; set it exactly.
      fchmodSync(fd, 0o600);
      const bytes = Buffer.from(text, 'utf8');
      for (let done = 0; done < bytes.length; )
        done += writeSync(fd, bytes, done, bytes.length - done);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, join(dir, name));
  } catch (e) {
    rmSync(temporary, { force: true });
    throw e;
  }
}
