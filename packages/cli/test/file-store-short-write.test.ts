import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * A disk that fills up while the token file is written: write(2) then writes part of what it was
 * given and says how much, and only the next call fails (ENOSPC; EFBIG past the file size limit,
 * which is how this test provokes it, with `ulimit -f` in a real process). The old file must
 * stay as it was, whole, and no half-written file may take its place.
 */
const fileStore = fileURLToPath(new URL('../dist/store/file-store.js', import.meta.url));
const KEY = 'todo-cli@https://idp.example/realms/todo-app';
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'todo-short-write-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the token file when the disk fills up', () => {
  it('keeps the previous file whole when a write stops short', async () => {
    const before = `${JSON.stringify({ [KEY]: { issuer: 'i', clientId: 'c', accessToken: 'old', expiresAt: 1 } })}\n`;
    await writeFile(join(dir, 'sessions.json'), before, { mode: 0o600 });
    // Far more than the limit (1 KiB with bash, 512 bytes per block with dash: at most 2 KiB).
    const script = `
      const { FileStore } = await import(${JSON.stringify(fileStore)});
      try {
        new FileStore(process.argv[1]).save(${JSON.stringify(KEY)}, {
          issuer: 'i', clientId: 'c', accessToken: 'a'.repeat(100000), expiresAt: 2,
        });
        console.log('saved');
      } catch (e) {
        console.log('refused', e.code);
      }`;
    const { stdout } = await promisify(execFile)('sh', [
      '-c',
      'ulimit -f 2 && exec "$0" --input-type=module -e "$1" "$2"',
      process.execPath,
      script,
      dir,
    ]);
    expect(stdout.trim()).toMatch(/^refused E(FBIG|NOSPC)$/);
    expect(await readFile(join(dir, 'sessions.json'), 'utf8')).toBe(before);
    expect(await readdir(dir)).toEqual(['sessions.json']);
  });
});
