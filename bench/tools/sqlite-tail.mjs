#!/usr/bin/env node
// Where the tail of `GET /todos/` on SQLite at scale comes from (figure 8 without the bench): the
// bench's own seed (`seedSqlite`, 1,000,000 todos × 10,000 users by default) in one file, one
// API process per build or set of node flags, each started as the bench starts it (the build's
// production flags from its start script, then the extra ones) under `pg-tail-probe.cjs`, on the
// same file. Each process first reads every user's page once (the bench's warm-up: the token
// cache filled), then rounds of random users at 50 connections, the processes alternating round
// by round. Per round: the load generator's p50 / p99 (wrk or autocannon, as the bench), the
// API's CPU per request, its collector pauses (count, total, how many of at least 5 ms per
// 10,000 requests, the longest, by kind) and its event loop's delay (p99 and max), from the
// probe's `gc` entries and `monitorEventLoopDelay`; with `--trace-gc` among a build's flags, its
// mark-compacts as V8 printed them. The probe's pauses are wall-clock: on a busy machine a pause
// includes the time the process waited for a core.
//
// Usage: node bench/tools/sqlite-tail.mjs [rounds] [seconds] name=ROOT[:ENV=V,…][;--flag …] …
//   USERS / TOTAL (environment): the seed.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedSqlite } from '../lib/db.mjs';
import { fire, median, requests } from '../lib/load.mjs';
import { LOAD_CORE, pinSelf, ROOT, removeLogs } from '../lib/proc.mjs';
import { parseBuild, startApiProcess } from '../lib/servers.mjs';
import { startIssuer } from '../lib/tokens.mjs';

const [roundsArg = '4', secondsArg = '5', ...buildArgs] = process.argv.slice(2);
if (buildArgs.length === 0) throw new Error('name=ROOT[:ENV=V,…][;--flag …] expected');
const users = Number(process.env.USERS ?? 10_000);
const total = Number(process.env.TOTAL ?? 1_000_000);
const rounds = Number(roundsArg);
const seconds = Number(secondsArg);
const tmp = mkdtempSync(join(tmpdir(), 'sqlite-tail-'));
const dataDir = mkdtempSync(join(tmp, 'data-'));
const bearer = (t) => ({ authorization: `Bearer ${t}` });
/** GC kinds of `PerformanceEntry.detail.kind` (perf_hooks constants). */
const KIND = { 1: 'major', 2: 'minor', 4: 'incremental', 8: 'weakcb' };

const iss = await startIssuer();
const tokens = await iss.mint(users);
pinSelf(LOAD_CORE);
const builds = buildArgs.map(parseBuild);
const apis = [];
try {
  // The first process makes the file (migrations), then the bench's seed fills it.
  for (const [i, b] of builds.entries()) {
    const probeOut = join(tmp, `probe-${i}.jsonl`);
    apis.push({
      ...b,
      probeOut,
      proc: await startApiProcess({
        root: b.root,
        issuer: iss.issuer.issuer,
        dataDir,
        nodeOptions: ['-r', join(ROOT, 'bench/tools/pg-tail-probe.cjs'), ...b.nodeOptions],
        env: { ...b.env, PROBE_OUT: probeOut },
      }),
      rounds: [],
    });
    if (i === 0) {
      const took = seedSqlite(join(dataDir, 'todo.db'), iss.issuer.issuer, { total, users });
      console.log(`seeded ${total} × ${users} in ${took.toFixed(1)} s, load ${load()}`);
    }
  }
  const perUser = tokens.map((token) => ({ headers: bearer(token) }));
  for (const api of apis) {
    const url = `${api.proc.url}/todos/`;
    await fire({ url, connections: 50, amount: users, requests: requests(perUser, 'once') });
    api.read = { pid: api.proc.pid, url, connections: 50, requests: requests(perUser, 'random') };
  }
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? apis : [...apis].reverse();
    for (const api of order) {
      process.kill(api.proc.pid, 'SIGUSR2');
      const result = await fire({ ...api.read, duration: seconds });
      process.kill(api.proc.pid, 'SIGUSR2');
      await new Promise((res) => setTimeout(res, 200));
      const lines = readFileSync(api.probeOut, 'utf8').trim().split('\n');
      const round = summary(result, JSON.parse(lines[lines.length - 1]));
      api.rounds.push(round);
      console.log(`round ${r + 1} ${api.name.padEnd(8)} ${line(round)}  load ${load()}`);
    }
  }
  console.log('\nmedians over the rounds');
  for (const api of apis) {
    const m = (k) => median(api.rounds.map((x) => x[k]));
    console.log(
      `${api.name.padEnd(8)} p50 ${f(m('p50'))} p99 ${f(m('p99'))} ms; ${f(m('cpuUs'))} µs CPU/req; pauses ≥ 5 ms per 10k ${f(m('over5Per10k'))}; gc ${f(m('gcMsPerReq') * 1000)} µs/req; loop p99 ${f(m('loopP99'))} max ${f(m('loopMax'))} ms (${api.rounds.map((x) => f(x.p99)).join(', ')})`,
    );
  }
  // With --trace-gc among a build's flags: its mark-compacts as V8 printed them (whole run).
  for (const api of apis) {
    const traced = readFileSync(api.proc.proc.logFile, 'utf8').split('\n');
    const majors = traced.filter((l) => l.includes('Mark-Compact'));
    if (majors.length === 0) continue;
    const scavenges = traced.filter((l) => l.includes('Scavenge')).length;
    console.log(`${api.name}: ${majors.length} mark-compacts, ${scavenges} scavenges; the last:`);
    for (const l of majors.slice(-6)) console.log(`  ${l.trim()}`);
  }
} finally {
  for (const api of apis) await api.proc.stop();
  await iss.issuer.close();
  rmSync(tmp, { recursive: true, force: true });
  removeLogs();
}

function load() {
  return loadavg()[0].toFixed(1);
}
function f(x) {
  return Number.isFinite(x) ? x.toFixed(1) : '-';
}

/** One round's figures: the client's, and the API's collector and event loop from its probe. */
function summary(result, probe) {
  const pauses = [];
  for (let i = 0; i < probe.gc.length; i += 3)
    if (probe.gc[i] >= probe.t0) pauses.push({ ms: probe.gc[i + 1], kind: probe.gc[i + 2] });
  const over5 = pauses.filter((p) => p.ms >= 5);
  const byKind = {};
  for (const p of over5) byKind[KIND[p.kind] ?? p.kind] = (byKind[KIND[p.kind] ?? p.kind] ?? 0) + 1;
  const gcMs = pauses.reduce((a, p) => a + p.ms, 0);
  return {
    rps: result.rps,
    total: result.total,
    cpuUs: result.cpuUs,
    p50: result.p50,
    p99: result.p99,
    pauses: pauses.length,
    over5: over5.length,
    over5Per10k: (over5.length * 10_000) / result.total,
    longest: Math.max(0, ...pauses.map((p) => p.ms)),
    byKind,
    gcMsPerReq: gcMs / result.total,
    loopP99: probe.loop.p99,
    loopMax: probe.loop.max,
    statuses: [...result.statuses].map(([k, v]) => `${v}×${k}`).join(' '),
  };
}

function line(x) {
  const kinds = Object.entries(x.byKind)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  return `${x.rps.toFixed(0)} req/s ${f(x.cpuUs)} µs CPU/req; p50 ${f(x.p50)} p99 ${f(x.p99)} ms; gc ${x.pauses} pauses ${f(x.gcMsPerReq * 1000)} µs/req, ≥ 5 ms: ${x.over5} (${f(x.over5Per10k)} per 10k${kinds ? `: ${kinds}` : ''}), longest ${f(x.longest)}; loop p99 ${f(x.loopP99)} max ${f(x.loopMax)} ms; ${x.statuses}`;
}
