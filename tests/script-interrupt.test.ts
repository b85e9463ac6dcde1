/**
 * `scripts/production-check.mjs` starts the API, the IdP and the web server in process groups of
 * their own (so it can end each with what it started in turn). Interrupted, it must end them and
 * remove its temporary files: a terminal's Ctrl-C reaches only its own process group, and the
 * script's `finally` never runs when a signal ends the process. This runs the script's own
 * handler (scripts/lib/process-groups.mjs) with real process groups and a real signal.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const moduleUrl = pathToFileURL(join(root, 'scripts/lib/process-groups.mjs')).href;

/**
 * Whether any live process of group `pgid` is still there (Linux `/proc`): a zombie, ended and
 * waiting for its new parent to reap it, is not running anything.
 */
function groupAlive(pgid: number): boolean {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses.
    const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(group) === pgid && state !== 'Z' && state !== 'X') return true;
  }
  return false;
}

describe('a script that started servers, interrupted', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'on %s ends every process group it started and removes its files',
    async (signal) => {
      const dir = mkdtempSync(join(tmpdir(), 'todo-sso-interrupt-'));
      const work = join(dir, 'work');
      const driver = join(dir, 'driver.mjs');
      // As production-check.mjs does: a server (here a shell that ignores SIGTERM and has a
      // child of its own) started detached, a work directory, the handler installed.
      writeFileSync(
        driver,
        `import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { endGroupsOnSignal } from ${JSON.stringify(moduleUrl)};
const work = ${JSON.stringify(work)};
mkdirSync(work);
const children = [];
endGroupsOnSignal(children, () => rmSync(work, { recursive: true, force: true }), { graceMs: 300 });
for (let i = 0; i < 2; i++) {
  const child = spawn('sh', ['-c', 'trap "" TERM; sleep 300 & wait'], { detached: true, stdio: 'ignore' });
  children.push({ child });
}
process.stdout.write(JSON.stringify(children.map(({ child }) => child.pid)) + '\\n');
setInterval(() => {}, 1000);
`,
      );
      const script = spawn(process.execPath, [driver], { stdio: ['ignore', 'pipe', 'inherit'] });
      let groups: number[] = [];
      try {
        const line = await new Promise<string>((done, fail) => {
          script.stdout.once('data', (chunk: Buffer) => done(chunk.toString()));
          script.once('exit', () => fail(new Error('the driver exited before starting')));
        });
        groups = JSON.parse(line.split('\n')[0] ?? '[]') as number[];
        expect(groups).toHaveLength(2);
        expect(groups.every(groupAlive)).toBe(true);
        expect(existsSync(work)).toBe(true);
        const exited = new Promise<number | null>((done) => script.once('exit', done));
        script.kill(signal);
        expect(await exited).toBe(128 + (signal === 'SIGTERM' ? 15 : 2));
        // SIGKILL is delivered a moment after the script's exit; the killed processes still have
        // to be scheduled to exit and be reaped, which a loaded machine can delay: up to 10 s
        // (a bound on a hang, not the time it takes).
        for (let i = 0; i < 200 && groups.some(groupAlive); i++) await sleep(50);
        expect(groups.filter(groupAlive)).toEqual([]);
        expect(existsSync(work)).toBe(false);
      } finally {
        for (const pgid of groups.filter(groupAlive)) process.kill(-pgid, 'SIGKILL');
        script.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      }
    },
    20_000,
  );
});
