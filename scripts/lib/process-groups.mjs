// Process groups a script starts (`spawn(…, { detached: true })`: each server with the processes
// it starts in turn), and their end when the script is interrupted.
import { constants } from 'node:os';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Sends `signal` to each started process group; one already gone is skipped. */
export function signalGroups(children, signal) {
  for (const { child } of children) {
    if (child.pid === undefined) continue;
    try {
      process.kill(-child.pid, signal);
    } catch {}
  }
}

/**
 * On SIGINT, SIGTERM or SIGHUP (Ctrl-C, `kill`, a closed terminal) ends every process group in
 * `children` (entries `{ child }`, read when the signal comes, so later ones count too): SIGTERM,
 * then SIGKILL after `graceMs` for what is still there; then runs `cleanup` (removing temporary
 * files) and exits with 128 + the signal's number, as the shell reports a process it ended.
 * Without this a script's own exit on a signal leaves the servers it started in the background,
 * in groups of their own that no terminal signal reaches. A signal that comes while the script
 * waits for a synchronous child (`spawnSync`) is handled once that child returns.
 */
export function endGroupsOnSignal(children, cleanup, { graceMs = 3_000 } = {}) {
  let stopping = false;
  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    signalGroups(children, 'SIGTERM');
    const running = children.filter(
      ({ child }) => child.exitCode === null && child.signalCode === null,
    );
    await Promise.race([
      Promise.all(running.map(({ child }) => new Promise((done) => child.once('exit', done)))),
      new Promise((done) => setTimeout(done, graceMs).unref()),
    ]);
    // A group outlives its leader when the leader (npm) exits first: end what remains of it.
    signalGroups(children, 'SIGKILL');
    try {
      cleanup();
    } finally {
      process.stdout.write(`stopped by ${signal}: the processes started here are ended\n`);
      process.exit(128 + (constants.signals[signal] ?? 0));
    }
  };
  for (const signal of SIGNALS) process.on(signal, stop);
}
