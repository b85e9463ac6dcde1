import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StoredSession, TokenStore } from './types.js';

type Sessions = Record<string, StoredSession>;

/**
 * Sessions in `<config dir>/sessions.json`, readable and writable by the user only (mode 0600,
 * directory 0700). Written to a temporary file with that mode first and renamed over the old
 * one, so the tokens are never readable by others, not even for an instant, and a crash never
 * leaves half a file.
 */
export class FileStore implements TokenStore {
  readonly kind = 'file' as const;
  readonly path: string;
  readonly description: string;

  constructor(private readonly dir: string) {
    this.path = join(dir, 'sessions.json');
    this.description = `file ${this.path} (mode 0600)`;
  }

  private read(): Sessions {
    try {
      const value = JSON.parse(readFileSync(this.path, 'utf8')) as unknown;
      return value !== null && typeof value === 'object' ? (value as Sessions) : {};
    } catch {
      return {};
    }
  }

  private write(sessions: Sessions): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(sessions, null, 2)}\n`, { mode: 0o600, flag: 'w' });
    // The mode given at creation is filtered by the umask; set it exactly.
    chmodSync(temporary, 0o600);
    renameSync(temporary, this.path);
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
    if (Object.keys(sessions).length === 0) rmSync(this.path, { force: true });
    else this.write(sessions);
    return true;
  }
}
