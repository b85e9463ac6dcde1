#!/usr/bin/env node
// Whose collection lands in which round: the auth section's figures 1–3 in several
// arrangements, on a fresh API process each (started as the bench starts it, plus
// `--trace-gc-nvp`), the arrangements alternating run by run:
//   mixed: /healthz, control, warm /me and cold /me interleaved in the same rounds (A B C D, …)
//   split: /healthz, control and warm /me interleaved (A B C, …), then cold /me in rounds of its
//          own
//   apart: cold /me in rounds of its own first, then /healthz, control and warm /me interleaved
//          on the full token cache it leaves (the auth section's arrangement)
// Per scenario, the median round's CPU µs per request (whole process and main thread alone,
// schedstat), and over all its measured rounds the mark-compacts and scavenges per 1,000
// requests and the collector's main-thread pause per request. The warm-over-/healthz ratio of
// each run is printed with the load average.
//
// Usage: node bench/tools/gc-rounds.mjs [runs per arrangement] [s per round] [rounds] [ROOT]
//   env ORDER=mixed,split (the arrangements, in the order they alternate); `life`: the
//   mixed rounds, then the todos section's (page, create, warm /me), then /healthz, control and
//   warm /me again, on one process
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fire, median, requests } from '../lib/load.mjs';
import { cpuNs, LOAD_CORE, pinSelf, ROOT, removeLogs, threadCpuNs } from '../lib/proc.mjs';
import { startApiProcess } from '../lib/servers.mjs';
import { startIssuer } from '../lib/tokens.mjs';

const [runsArg = '3', durationArg = '3', roundsArg = '5', root = ROOT] = process.argv.slice(2);
const runs = Number(runsArg);
const duration = Number(durationArg);
const rounds = Number(roundsArg);
const warmup = 2;
const order = (process.env.ORDER ?? 'mixed,split').split(',');

/** Totals of `--trace-gc-nvp` lines in `text`. */
function gcTotals(text) {
  const t = { scavenges: 0, markCompacts: 0, pauseMs: 0 };
  for (const line of text.split('\n')) {
    const m = /gc=(\w+)/.exec(line);
    if (m === null) continue;
    const pause = Number(/\bpause=([\d.]+)/.exec(line)?.[1] ?? 0);
    // `mc` a full mark-compact; `s`, `mmc` (Node 20), `ms` (Node 22 on) the young generation.
    if (m[1] === 's' || m[1] === 'mmc' || m[1] === 'ms') t.scavenges++;
    else if (m[1] === 'mc') t.markCompacts++;
    else continue;
    t.pauseMs += pause;
  }
  return t;
}

/** The GC lines `file` gained since byte `from` (the request log lines are skipped). */
function gcSince(file, from) {
  const size = statSync(file).size;
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(size - from);
  readSync(fd, buf, 0, buf.length, from);
  closeSync(fd);
  return { text: buf.toString('latin1'), size };
}

const iss = await startIssuer();
const pool = await iss.mint(12_000);
const [warmToken] = await iss.mint(1, { first: 20_000, threads: 1 });
pinSelf(LOAD_CORE);
const bearer = { authorization: `Bearer ${warmToken}` };
// The pool in order, wrapping, its position carried from one run to the next (as the bench's).
const coldRequests = requests(pool.map((t) => ({ headers: { authorization: `Bearer ${t}` } })));

async function arrangement(kind) {
  const dataDir = mkdtempSync(join(tmpdir(), 'gc-rounds-'));
  const api = await startApiProcess({
    root,
    issuer: iss.issuer.issuer,
    dataDir,
    nodeOptions: ['--trace-gc-nvp'],
  });
  const scenarios = [
    { name: 'healthz', url: `${api.url}/healthz` },
    { name: 'control', url: `${api.url}/healthz`, headers: bearer },
    { name: 'warm', url: `${api.url}/me`, headers: bearer },
    {
      name: 'cold',
      url: `${api.url}/me`,
      requests: coldRequests,
    },
  ];
  if (kind === 'life') {
    // The bench's order on one process: the auth section's rounds, the todos section's (page,
    // create and warm /me), then /healthz, control and warm /me again.
    const todo = { 'content-type': 'application/json', ...bearer };
    for (let k = 0; k < 20; k++)
      await fetch(`${api.url}/todos/`, {
        method: 'POST',
        headers: todo,
        body: JSON.stringify({ title: `todo ${k}` }),
      });
    scenarios.push(
      { name: 'list', url: `${api.url}/todos/`, headers: bearer },
      {
        name: 'create',
        url: `${api.url}/todos/`,
        method: 'POST',
        headers: bearer,
        body: JSON.stringify({ title: 'Benchmark todo', description: 'written by npm run bench' }),
        expect: 201,
      },
      { name: 'me', url: `${api.url}/me`, headers: bearer },
      { name: 'healthz2', url: `${api.url}/healthz` },
      { name: 'control2', url: `${api.url}/healthz`, headers: bearer },
      { name: 'warm2', url: `${api.url}/me`, headers: bearer },
    );
  }
  const stats = Object.fromEntries(
    scenarios.map((s) => [s.name, { cpu: [], main: [], mcs: [], n: 0, mc: 0, sc: 0, pause: 0 }]),
  );
  const one = async (s, measured) => {
    const logBefore = statSync(api.proc.logFile).size;
    const mainBefore = threadCpuNs(api.pid);
    const allBefore = cpuNs(api.pid);
    const r = await fire({ ...s, duration: measured ? duration : warmup });
    if (!measured) return;
    const all = cpuNs(api.pid) - allBefore;
    const main = threadCpuNs(api.pid) - mainBefore;
    const g = gcTotals(gcSince(api.proc.logFile, logBefore).text);
    const st = stats[s.name];
    st.cpu.push(all / 1e3 / r.total);
    st.main.push(main / 1e3 / r.total);
    st.n += r.total;
    st.mc += g.markCompacts;
    st.mcs.push(g.markCompacts);
    st.sc += g.scavenges;
    st.pause += g.pauseMs;
    if (r.errors || [...r.statuses.keys()].some((k) => k !== (s.expect ?? 200)))
      throw new Error(`${s.name}: ${JSON.stringify([...r.statuses])} ${r.errors} errors`);
  };
  const groups =
    kind === 'mixed'
      ? [scenarios]
      : kind === 'split'
        ? [scenarios.slice(0, 3), scenarios.slice(3)]
        : kind === 'apart'
          ? [scenarios.slice(3), scenarios.slice(0, 3)]
          : [scenarios.slice(0, 4), scenarios.slice(4, 7), scenarios.slice(7)];
  const load = [loadavg()[0]];
  for (const group of groups) {
    for (const s of group) await one(s, false);
    for (let r = 0; r < rounds; r++) for (const s of group) await one(s, true);
  }
  load.push(loadavg()[0]);
  await api.stop();
  rmSync(dataDir, { recursive: true, force: true });
  const cell = (name) => {
    const st = stats[name];
    return (
      `${name} ${median(st.cpu).toFixed(1)} µs (main ${median(st.main).toFixed(1)}) ` +
      `mc/1k ${((st.mc * 1000) / st.n).toFixed(2)} sc/1k ${((st.sc * 1000) / st.n).toFixed(2)} ` +
      `pause ${((st.pause * 1000) / st.n).toFixed(1)} µs`
    );
  };
  const ratio = median(stats.healthz.cpu) / median(stats.warm.cpu);
  console.log(
    `${kind.padEnd(5)} warm/healthz ${ratio.toFixed(2)}× (main thread ${(median(stats.healthz.main) / median(stats.warm.main)).toFixed(2)}×) load ${load.map((l) => l.toFixed(1)).join('→')}\n  ` +
      scenarios.map((s) => cell(s.name)).join('\n  '),
  );
  if (kind === 'life') {
    const m = (name) => median(stats[name].cpu);
    console.log(
      `  later: warm2/healthz2 ${(m('healthz2') / m('warm2')).toFixed(2)}×; todos-section me ` +
        `against the first /healthz ${(m('healthz') / m('me')).toFixed(2)}×, against the later ` +
        `${(m('healthz2') / m('me')).toFixed(2)}×`,
    );
  }
  console.log(
    `  per round µs (* a mark-compact in the round): ${scenarios.map((s) => `${s.name} [${stats[s.name].cpu.map((x, k) => `${x.toFixed(0)}${'*'.repeat(stats[s.name].mcs[k])}`).join(' ')}]`).join(' ')}`,
  );
}

for (let r = 0; r < runs; r++) for (const kind of order) await arrangement(kind);
await iss.issuer.close();
removeLogs();
process.exit(0);
