import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { privateDir, readPrivateFile, writePrivateFile } from './private-file.js';
import type { StoredSession, TokenStore } from './types.js';

type Sessions = Record<string, StoredSession>;

const FILE = 'sessions.json';

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
    try {
      const value = JSON.parse(text) as unknown;
      return value !== null && typeof value === 'object' ? (value as Sessions) : {};
    } catch {
      return {};
    }
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
