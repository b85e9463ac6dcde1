// Child processes of the benchmark: each server under test runs in a process of its own,
// pinned to one core with `taskset` when the machine has it, so the load generator (pinned to
// the other core) never competes with the server it measures.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const hasTaskset = spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;
/** Cores of the machine, counted before this process pins itself to one of them. */
export const cores = availableParallelism();

/** Cores used: the server under test on SERVER_CORE, the load generator on LOAD_CORE. */
export const SERVER_CORE = cores > 1 ? 1 : 0;
export const LOAD_CORE = 0;
export const pinning = hasTaskset && cores > 1;

/** Pins this process (every thread) to `core`; no-op without taskset. */
export function pinSelf(core) {
  if (!pinning) return;
  spawnSync('taskset', ['-apc', String(core), String(process.pid)], { stdio: 'ignore' });
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Spawns `node args…` pinned to `core` (or unpinned when `core` is undefined). Output goes to a
 * file, never to a pipe: a pipe drained by this busy load generator would block the server's
 * synchronous log writes and show up as its latency. The file's tail explains failures.
 */
const logRoot = mkdtempSync(join(tmpdir(), 'todo-sso-bench-logs-'));
let logCount = 0;

/** Removes the output files of every child process (end of run). */
export function removeLogs() {
  rmSync(logRoot, { recursive: true, force: true });
}

export function spawnNode(args, { env = {}, core, cwd = ROOT, nodeOptions = [] } = {}) {
  const argv = [...nodeOptions, ...args];
  const useTaskset = pinning && core !== undefined;
  const logFile = join(logRoot, `${++logCount}.log`);
  const fd = openSync(logFile, 'w');
  const child = spawn(
    useTaskset ? 'taskset' : process.execPath,
    useTaskset ? ['-c', String(core), process.execPath, ...argv] : argv,
    { cwd, env: { ...process.env, ...env }, stdio: ['ignore', fd, fd] },
  );
  closeSync(fd);
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const output = () => {
    try {
      return readFileSync(logFile, 'utf8').slice(-4000);
    } catch {
      return '';
    }
  };
  return {
    child,
    pid: child.pid,
    exited,
    output,
    logFile,
    async stop(signal = 'SIGTERM', timeoutMs = 8000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `url` until it answers 2xx, the process exits, or `timeoutMs` passes. */
export async function waitForHttp(url, proc, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  proc?.exited.then(() => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(`process exited before ${url} answered:\n${proc.output()}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${proc?.output() ?? ''}`);
}

/** PIDs of `pid` and all its descendants, from /proc. */
export function processTree(pid) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Field 4 (ppid) follows the parenthesised command, which may contain spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  const out = [];
  const walk = (p) => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

/** Resident set size of one process in bytes (VmRSS), 0 when it is gone. */
export function rssOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return kb * 1024;
  } catch {
    return 0;
  }
}

/** Command name of a process, for the RSS breakdown. */
export function commOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * CPU time a process has used so far, in nanoseconds, summed over all its threads (main, libuv
 * pool, GC helpers) from /proc/<pid>/task/<tid>/schedstat. Dividing a round's share by its
 * request count gives the server's CPU cost per request, which other load on a shared machine
 * does not distort the way wall-clock throughput is distorted.
 */
export function cpuNs(pid) {
  let total = 0;
  let tasks;
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return Number.NaN;
  }
  for (const tid of tasks) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // thread ended
    }
  }
  return total;
}

/** CPU time of one thread (`tid`, the main thread when it equals `pid`) so far, in ns. */
export function threadCpuNs(pid, tid = pid) {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return Number.NaN;
  }
}
