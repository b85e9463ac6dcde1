#!/usr/bin/env node
// Where the tail of `GET /todos/` on PostgreSQL at scale comes from: the bench's own sequence
// (`sections/postgres.mjs`, `atScale`: seeded database, every user once, then rounds of API reads,
// pgbench reads, API writes, pgbench writes) with one API process under `pg-tail-probe.cjs`.
// Per read round it prints the client's latencies (autocannon, as the figure), the server's
// (request start → response end), the wait for a pooled connection and the hold, the queue, the
// collector's pauses, the event loop's delay in the API and in this load generator, how the
// slow requests cluster in time, and PostgreSQL's autovacuum and checkpoints during the round.
//
// Usage: node bench/tools/pg-tail.mjs [rounds] [seconds] [ROOT] [--node-flag …]
//   USERS / TOTAL (environment): the seed (default 10,000 users, 1,000,000 todos as in the
//   bench); NO_PGBENCH=1: API rounds only; NICE: a niceness for this load generator, the API
//   and its database backends after the warm-up (as in ab-pg.mjs). ROOT: a build (default this checkout); node flags after
//   it are added after the build's production flags (e.g. --max-semi-space-size=16).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import pg from 'pg';
import {
  createBenchDatabase,
  dropDatabase,
  seededListId,
  seedPostgres,
  TEST_DATABASE_URL,
} from '../lib/db.mjs';
import { fire } from '../lib/load.mjs';
import { buildScript, findPgbench, protocolOf, runPgbench } from '../lib/pgbench.mjs';
import { LOAD_CORE, pinSelf, ROOT, removeLogs } from '../lib/proc.mjs';
import { startApiProcess } from '../lib/servers.mjs';
import { startIssuer, subjectOf } from '../lib/tokens.mjs';
import { capture } from '../sections/postgres.mjs';

const [roundsArg = '5', secondsArg = '3', rootArg = ROOT, ...flags] = process.argv.slice(2);
const users = Number(process.env.USERS ?? 10_000);
const total = Number(process.env.TOTAL ?? 1_000_000);
const tmp = mkdtempSync(join(tmpdir(), 'pg-tail-'));
const probeOut = join(tmp, 'probe.jsonl');
const bearer = (t) => ({ authorization: `Bearer ${t}` });

const iss = await startIssuer();
const tokens = await iss.mint(users);
pinSelf(LOAD_CORE);
const db = await createBenchDatabase('pgtail');
if (db.error) throw new Error(`PostgreSQL: ${db.error}`);
const api = await startApiProcess({
  root: rootArg,
  issuer: iss.issuer.issuer,
  databaseUrl: db.url,
  dataDir: mkdtempSync(join(tmp, 'api-')),
  nodeOptions: ['-r', join(ROOT, 'bench/tools/pg-tail-probe.cjs'), ...flags],
  env: { PROBE_OUT: probeOut },
});
const admin = new pg.Client({ connectionString: db.url });
try {
  await admin.connect();
  await run();
} finally {
  await admin.end();
  await api.stop();
  await iss.issuer.close();
  const owner = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await owner.connect();
  await dropDatabase(owner, db.name);
  await owner.end();
  rmSync(tmp, { recursive: true, force: true });
  removeLogs();
}

async function run() {
  const seeded = await seedPostgres(db.url, iss.issuer.issuer, { total, users });
  console.log(`seeded ${total} × ${users} in ${seeded.toFixed(1)} s, load ${loadavg()[0]}`);
  const pgb = process.env.NO_PGBENCH ? undefined : await pgbenchOf();
  const read = { pid: api.pid, url: `${api.url}/todos/`, connections: 50 };
  read.next = () => ({ headers: bearer(tokens[Math.floor(Math.random() * users)]) });
  const write = {
    ...read,
    method: 'POST',
    body: JSON.stringify({ title: 'Benchmark todo', description: 'written by npm run bench' }),
  };
  let w = 0;
  await fire({ ...read, amount: users, next: () => ({ headers: bearer(tokens[w++]) }) });
  await fire({ ...write, duration: 2 });
  await pgb?.('read', 2);
  await pgb?.('write', 2);
  await renice();
  for (let r = 0; r < Number(roundsArg); r++) {
    await probedRound(r, read);
    await pgb?.('read', Number(secondsArg));
    await fire({ ...write, duration: Number(secondsArg) });
    await pgb?.('write', Number(secondsArg));
  }
  // With --trace-gc among the node flags: the API's mark-compacts, as V8 printed them.
  const traced = readFileSync(api.proc.logFile, 'utf8').split('\n');
  for (const line of traced.filter((l) => l.includes('Mark-Compact')).slice(-12)) console.log(line);
  const scavenges = traced.filter((l) => l.includes('Scavenge'));
  if (scavenges.length) console.log(`${scavenges.length} scavenges; last: ${scavenges.at(-1)}`);
  // With --trace-gc-nvp: what the scavenges of the rounds (the second half of them) kept.
  const nvp = traced.filter((l) => / gc=s /.test(l));
  const field = (l, k) => Number(new RegExp(` ${k}=([\\d.]+)`).exec(l)?.[1]);
  const later = nvp.slice(nvp.length >> 1);
  if (later.length)
    console.log(
      `${later.length} scavenges: pause ${dist(later.map((l) => field(l, 'pause')))} ms; copied KB ${dist(later.map((l) => field(l, 'semi_space_copied') / 1024))}; promoted KB ${dist(later.map((l) => field(l, 'promoted') / 1024))}`,
    );
}

/** The bench's pgbench scripts for this database (statements captured off the wire). */
async function pgbenchOf() {
  const bin = findPgbench();
  if (!bin) return undefined;
  const ctx = { issuer: iss, pool: tokens, tmp, logLevel: 'info' };
  const captured = await capture(ctx, db);
  const userValues = new Map([
    [subjectOf(0), `('00000000-0000-4000-8000-' || lpad(:u::text, 12, '0'))`],
    [seededListId(0), `('00000000-0000-4000-9000-' || lpad(:u::text, 12, '0'))`],
  ]);
  const scripts = {};
  for (const kind of ['read', 'write'])
    scripts[kind] = await buildScript(db.url, { ...captured[kind], userValues, users });
  const protocol = protocolOf(captured.read.a);
  return async (kind, seconds) => {
    const running = runPgbench(bin, {
      databaseUrl: db.url,
      script: scripts[kind],
      protocol: kind === 'read' ? protocol : protocolOf(captured.write.a),
      clients: 10,
      seconds,
      dir: tmp,
      tag: kind,
    });
    // The backends' CPU per transaction in the middle of the round (pgbench's connections).
    await new Promise((r) => setTimeout(r, 500));
    const before = await pgbenchBackends();
    await new Promise((r) => setTimeout(r, (seconds - 1) * 1000));
    const after = await pgbenchBackends();
    const res = await running;
    const cpu = [...after].reduce((a, [pid, [ms]]) => a + ms - (before.get(pid)?.[0] ?? ms), 0);
    const perTx = (1e3 * cpu) / (res.tps * (seconds - 1));
    console.log(
      `  pgbench ${kind}: ${res.tps.toFixed(0)} tx/s p50 ${res.p50} p99 ${res.p99}; backends ${perTx.toFixed(0)} µs CPU/tx (${((cpu / ((seconds - 1) * 1e3)) * 100).toFixed(0)} % of a core)`,
    );
  };
}

/** CPU time and time waiting for a CPU (run queue) of every thread of `pid` so far, in ms. */
function sched(pid) {
  let cpu = 0;
  let wait = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const [run, queued] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ');
      cpu += Number(run) / 1e6;
      wait += Number(queued) / 1e6;
    } catch {
      // thread ended
    }
  }
  return [cpu, wait];
}

/** CPU and run-queue wait (ms) of this load generator, the API and the database's backends. */
async function schedAll() {
  const { rows } = await admin.query(
    'select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
  );
  const backends = rows
    .map((r) => sched(r.pid))
    .reduce((a, b) => [a[0] + b[0], a[1] + b[1]], [0, 0]);
  return { load: sched(process.pid), api: sched(api.pid), backends };
}

/** CPU and run-queue wait (ms) of each backend of pgbench's connections, by pid. */
async function pgbenchBackends() {
  const { rows } = await admin.query(
    `select pid from pg_stat_activity where datname = current_database() and application_name = 'pgbench'`,
  );
  return new Map(rows.map((r) => [r.pid, sched(r.pid)]));
}

/** NICE (environment) for every thread of this process, the API and the database's backends. */
async function renice() {
  if (!process.env.NICE) return;
  const { rows } = await admin.query(
    'select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
  );
  const tids = [process.pid, api.pid].flatMap((pid) => readdirSync(`/proc/${pid}/task`));
  for (const id of [...tids, ...rows.map((r) => String(r.pid))])
    spawnSync('renice', ['-n', process.env.NICE, '-p', id], { stdio: 'ignore' });
}

/** PostgreSQL's background work on this database while `work` runs, sampled every 100 ms. */
async function backgroundDuring(work) {
  const seen = new Set();
  const sample = async () => {
    const { rows } = await admin.query(
      `select backend_type, coalesce(query, '') as query from pg_stat_activity
        where backend_type in ('autovacuum worker', 'checkpointer') and state <> 'idle'
           or (backend_type = 'autovacuum worker')`,
    );
    for (const row of rows) if (row.query) seen.add(`${row.backend_type}: ${row.query}`);
  };
  const before = (await admin.query('select * from pg_stat_bgwriter')).rows[0];
  let busy = true;
  const sampling = (async () => {
    while (busy) {
      await sample();
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const result = await work();
  busy = false;
  await sampling;
  const after = (await admin.query('select * from pg_stat_bgwriter')).rows[0];
  const checkpoints =
    after.checkpoints_timed +
    after.checkpoints_req -
    before.checkpoints_timed -
    before.checkpoints_req;
  const written = Number(after.buffers_checkpoint) - Number(before.buffers_checkpoint);
  return { result, vacuum: [...seen], checkpoints, written };
}

/** One read round as the bench's, probed on both sides. */
async function probedRound(r, read) {
  const client = [];
  const start = performance.timeOrigin + performance.now();
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const gcs = [];
  const gc = new PerformanceObserver((l) => {
    for (const e of l.getEntries())
      gcs.push(performance.timeOrigin + e.startTime - start, e.duration);
  });
  gc.observe({ entryTypes: ['gc'] });
  loop.enable();
  const schedBefore = await schedAll();
  process.kill(api.pid, 'SIGUSR2');
  const { result, vacuum, checkpoints, written } = await backgroundDuring(() =>
    fire({
      ...read,
      duration: Number(secondsArg),
      onResponse: (ms) => client.push(performance.timeOrigin + performance.now() - start, ms),
    }),
  );
  process.kill(api.pid, 'SIGUSR2');
  const schedAfter = await schedAll();
  const busy = Object.entries(schedAfter).map(([who, [cpu, wait]]) => {
    const [cpu0, wait0] = schedBefore[who];
    return `${who} ${((1e3 * (cpu - cpu0)) / result.total).toFixed(0)} µs CPU/req (${(((cpu - cpu0) / (Number(secondsArg) * 1e3)) * 100).toFixed(0)} % of a core), ${(wait - wait0).toFixed(0)} ms waiting for a CPU`;
  });
  loop.disable();
  gc.disconnect();
  await new Promise((res) => setTimeout(res, 200));
  const lines = readFileSync(probeOut, 'utf8').trim().split('\n');
  const probe = JSON.parse(lines[lines.length - 1]);
  report(r, { result, client, probe, start, loop, gcs, vacuum, checkpoints, written });
  console.log(`  ${busy.join('; ')}`);
}

function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? Number.NaN;
}
/** Field `i` of every record of `n` fields in a flat array. */
function every(flat, n, i) {
  return flat.filter((_, k) => k % n === i);
}
function f(x) {
  return Number.isFinite(x) ? x.toFixed(1) : '-';
}
function dist(xs) {
  return `p50 ${f(pct(xs, 0.5))} p99 ${f(pct(xs, 0.99))} max ${f(pct(xs, 1))}`;
}

/** Where the slow responses (≥ the round's p99) arrived: 100 ms windows, most populated first. */
function clustering(client) {
  const at = every(client, 2, 0);
  const ms = every(client, 2, 1);
  const p99 = pct(ms, 0.99);
  const slow = at.filter((_, i) => ms[i] >= p99);
  const bins = new Map();
  for (const t of slow) bins.set(Math.floor(t / 100), (bins.get(Math.floor(t / 100)) ?? 0) + 1);
  const top = [...bins].sort((a, b) => b[1] - a[1]).slice(0, 4);
  return `${slow.length} responses ≥ p99 in ${bins.size} windows of 100 ms; most at ${top
    .map(([b, n]) => `${b / 10}s:${n}`)
    .join(' ')}`;
}

/** Pauses of at least 5 ms (flat [start, ms] pairs) that overlap [from, to]. */
function overlaps(pauses, from, to) {
  for (let i = 0; i < pauses.length; i += 2)
    if (pauses[i + 1] >= 5 && pauses[i] < to && pauses[i] + pauses[i + 1] > from) return true;
  return false;
}

/**
 * How many responses (all, and those ≥ the round's p99) were in flight while the API or this
 * load generator paused for its collector (≥ 5 ms): if the pauses make the tail, the slow ones
 * overlap them far more often than the rest.
 */
function attribution(client, apiPauses, loadPauses) {
  const at = every(client, 2, 0);
  const ms = every(client, 2, 1);
  const p99 = pct(ms, 0.99);
  const count = { all: [0, 0, 0], slow: [0, 0, 0] };
  for (let i = 0; i < at.length; i++) {
    const api = overlaps(apiPauses, at[i] - ms[i], at[i]);
    const load = overlaps(loadPauses, at[i] - ms[i], at[i]);
    for (const k of ms[i] >= p99 ? ['all', 'slow'] : ['all']) {
      count[k][0] += 1;
      if (api) count[k][1] += 1;
      if (load) count[k][2] += 1;
    }
  }
  const share = ([n, api, load]) =>
    `${n}: ${((100 * api) / n).toFixed(0)} % over an API pause, ${((100 * load) / n).toFixed(0)} % over a load-generator pause`;
  return `in flight during a collector pause ≥ 5 ms: all ${share(count.all)}; ≥ p99 ${share(count.slow)}`;
}

function report(r, { result, client, probe, start, loop, gcs, vacuum, checkpoints, written }) {
  const rel = (t) => (probe.origin + t - start) / 1000;
  const pauses = [];
  for (let i = 0; i < probe.gc.length; i += 3)
    if (probe.gc[i + 1] >= 5 && probe.gc[i] >= probe.t0)
      pauses.push(`${f(probe.gc[i + 1])}ms@${rel(probe.gc[i]).toFixed(2)}s(k${probe.gc[i + 2]})`);
  const gcTotal = every(probe.gc, 3, 1).reduce((a, b) => a + b, 0);
  console.log(
    `round ${r + 1} load ${loadavg()[0].toFixed(1)}: ${result.rps.toFixed(0)} req/s ${result.cpuUs.toFixed(0)} µs CPU/req; autocannon p50 ${result.p50} p99 ${result.p99}`,
  );
  console.log(`  client ms        ${dist(every(client, 2, 1))}`);
  console.log(`  server ms        ${dist(every(probe.req, 2, 1))}`);
  console.log(`  pool wait ms     ${dist(every(probe.wait, 3, 1))}`);
  console.log(`  queue at connect ${dist(every(probe.wait, 3, 2))}`);
  console.log(`  hold ms          ${dist(every(probe.hold, 2, 1))}`);
  console.log(
    `  API gc: ${probe.gc.length / 3} pauses, ${f(gcTotal)} ms; ≥ 5 ms: ${pauses.join(' ') || 'none'}`,
  );
  console.log(
    `  API loop delay ms p99 ${f(probe.loop.p99)} max ${f(probe.loop.max)}; load generator p99 ${f(loop.percentile(99) / 1e6)} max ${f(loop.max / 1e6)}, its gc max ${f(Math.max(0, ...every(gcs, 2, 1)))} ms`,
  );
  const apiPauses = [];
  for (let i = 0; i < probe.gc.length; i += 3)
    apiPauses.push(probe.origin + probe.gc[i] - start, probe.gc[i + 1]);
  console.log(`  ${attribution(client, apiPauses, gcs)}`);
  console.log(`  slow: ${clustering(client)}`);
  console.log(
    `  PostgreSQL: ${checkpoints} checkpoints, ${written} buffers written by the checkpointer; ${vacuum.join(' | ') || 'no autovacuum'}`,
  );
}
