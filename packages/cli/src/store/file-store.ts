import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../errors.js';
import { privateDir, readPrivateFile, writePrivateFile } from './private-file.js';
import type { StoredSession, TokenStore } from './types.js';

type Sessions = Record<string, StoredSession>;

const FILE = 'sessions.json';

/**
 * A `sessions.json` that is not a JSON object. It is neither read as empty (the next save would
 * drop every session it holds) nor overwritten: the command stops and says what to do.
 */
export class UnreadableSessionsFile extends CliError {
  constructor(
    readonly store: FileStore,
    readonly why: string,
  ) {
    super(
      'usage',
      `${store.path} cannot be read (${why}); nothing in it was changed. It may hold other sessions: move it aside (or remove it if nothing in it is needed), then run todo login; todo logout sets it aside for you.`,
    );
  }
}

/**
 * Sessions in `<config dir>/sessions.json`, readable and writable by the user only (mode 0600,
 * directory 0700, see `writePrivateFile`). A token file that is a link, another user's, or
 * readable by others is refused rather than used.
 */
export class FileStore implements TokenStore {
  readonly kind = 'file' as const;
  readonly path: string;
  readonly description: string;

  constructor(private readonly dir: string) {
    this.path = join(dir, FILE);
    this.description = `file ${this.path} (mode 0600)`;
  }

  private read(): Sessions {
    const text = readPrivateFile(this.dir, FILE);
    if (text === undefined) return {};
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new UnreadableSessionsFile(this, 'it is not JSON');
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw new UnreadableSessionsFile(this, 'it is not a JSON object');
    return value as Sessions;
  }

  /**
   * Moves an unreadable `sessions.json` aside, to `sessions.json.unreadable-<time>` in the same
   * 0700 folder (a rename keeps its mode, 0600 as `readPrivateFile` checked), and returns where.
   */
  setAside(now: number): string {
    privateDir(this.dir);
    const aside = `${this.path}.unreadable-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
    renameSync(this.path, aside);
    return aside;
  }

  private write(sessions: Sessions): void {
    writePrivateFile(this.dir, FILE, `${JSON.stringify(sessions, null, 2)}\n`);
  }

  load(key: string): StoredSession | undefined {
    return this.read()[key];
  }

  save(key: string, session: StoredSession): void {
    this.write({ ...this.read(), [key]: session });
  }

  remove(key: string): boolean {
    const sessions = this.read();
    if (!(key in sessions)) return false;
    delete sessions[key];
    if (Object.keys(sessions).length === 0) {
      privateDir(this.dir);
      rmSync(this.path, { force: true });
    } else this.write(sessions);
    return true;
  }
}
