import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * A takeover of a dead refresh lock races any number of other commands. Here the lock was
 * already taken over and is held, live, by this process; separate processes keep trying to take
 * over the dead lock they read a moment before (the lock code as built, `dist/`), and others keep
 * trying to create the lock, as a command starting does. No process may ever create it: the live
 * lock must not be given up, not even for an instant. Real processes, real file system.
 */
const lockModule = fileURLToPath(new URL('../dist/store/refresh-lock.js', import.meta.url));
const RUN_MS = 1_500;

const TAKER = `
const { removeLockHolding } = await import(process.env.LOCK_MODULE);
const until = Date.now() + Number(process.env.RUN_MS);
let n = 0;
while (Date.now() < until) { removeLockHolding(process.env.LOCK, process.env.DEAD); n += 1; }
console.log('takeovers ' + n);
`;

const THIRD = `
const fs = await import('node:fs');
const until = Date.now() + Number(process.env.RUN_MS);
while (Date.now() < until) {
  try {
    const fd = fs.openSync(process.env.LOCK, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
    fs.writeSync(fd, process.pid + ' third');
    fs.closeSync(fd);
    console.log('created');
    break;
  } catch (e) {
    if (e.code !== 'EEXIST') throw e;
  }
}
`;

function node(script: string, env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, ...env },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return new Promise((resolve) => child.on('close', () => resolve(out)));
}

describe('taking over a dead refresh lock while other commands start', () => {
  it('never gives up a live lock that replaced the dead one, however many commands race', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'todo-lock-third-'));
    const path = join(dir, '.refresh.lock');
    const live = `${process.pid} fedcba9876543210`;
    await writeFile(path, live, { mode: 0o600 });
    const env = {
      LOCK_MODULE: lockModule,
      LOCK: path,
      DEAD: '999999999 0123456789abcdef',
      RUN_MS: String(RUN_MS),
    };
    const outputs = await Promise.all([
      node(TAKER, env),
      node(TAKER, env),
      node(THIRD, env),
      node(THIRD, env),
    ]);
    const [takerA, takerB, ...thirds] = outputs;
    // The takers ran (each a great many takeovers), and no third command ever got in: before,
    // the live lock was moved aside to be read, and a command starting in that instant created
    // its own, so two commands held the lock.
    expect(takerA).toMatch(/^takeovers [1-9]\d*\n$/);
    expect(takerB).toMatch(/^takeovers [1-9]\d*\n$/);
    expect(thirds).toEqual(['', '']);
    expect(await readFile(path, 'utf8')).toBe(live);
    expect(await readdir(dir)).toEqual(['.refresh.lock']);
    await rm(dir, { recursive: true, force: true });
  });
});
