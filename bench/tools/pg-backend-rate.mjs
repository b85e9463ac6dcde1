#!/usr/bin/env node
// PostgreSQL backends' CPU per transaction against the rate pgbench drives them at: the same
// script at 10 clients, back to back (`max`) and throttled (`pgbench -R`), rounds alternating
// the order. Answers whether a backend that waits longer between statements spends more per
// statement (the API's backends run at the API's rate, a third of pgbench's unthrottled one).
// pgbench is pinned to the load core as in the bench; the backends are not pinned.
//
// Usage: node bench/tools/pg-backend-rate.mjs DATABASE_URL SCRIPT [rate|max …]
//   SCRIPT: a pgbench script (e.g. the API's read from results/latest.md, "pgbench scripts",
//   with the database's issuer); ROUNDS (environment, default 3); 6-s runs, CPU taken over
//   4 s from 1.5 s in (every connection open).
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import pg from 'pg';
import { median } from '../lib/load.mjs';
import { cpuNs, LOAD_CORE } from '../lib/proc.mjs';

const [url, script, ...rateArgs] = process.argv.slice(2);
if (!url || !script) throw new Error('DATABASE_URL SCRIPT [rate|max …] expected');
const rates = (rateArgs.length ? rateArgs : ['max', '2000']).map((r) =>
  r === 'max' ? undefined : Number(r),
);
const admin = new pg.Client({ connectionString: url });
await admin.connect();
const pgbenchPids = async () =>
  (
    await admin.query(
      `select pid from pg_stat_activity where datname = current_database() and application_name = 'pgbench'`,
    )
  ).rows.map((r) => r.pid);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function run(rate) {
  const bench = ['-n', '-M', 'prepared', '-c', '10', '-j', '1', '-T', '6', '-f', script];
  const args = ['-c', String(LOAD_CORE), 'pgbench', ...bench, ...(rate ? ['-R', `${rate}`] : [])];
  const child = spawn('taskset', [...args, url], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  const closed = new Promise((resolve) => child.on('close', resolve));
  await sleep(1500);
  const pids = await pgbenchPids();
  const before = pids.map(cpuNs);
  const from = performance.now();
  await sleep(4000);
  const after = pids.map(cpuNs);
  const seconds = (performance.now() - from) / 1000;
  await closed;
  const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1]);
  const ns = after.reduce((sum, x, i) => sum + x - before[i], 0);
  return { tps, us: ns / 1e3 / (tps * seconds), backends: pids.length };
}

const results = new Map();
for (let round = 0; round < Number(process.env.ROUNDS ?? 3); round++) {
  for (const rate of round % 2 ? [...rates].reverse() : rates) {
    const r = await run(rate);
    const name = rate === undefined ? 'max' : String(rate);
    results.set(name, [...(results.get(name) ?? []), r.us]);
    console.log(
      `round ${round + 1} load ${loadavg()[0].toFixed(1)}: ${name}: ${Math.round(r.tps)} tx/s, backends ${r.us.toFixed(0)} µs CPU per transaction (${r.backends} backends)`,
    );
  }
}
for (const [name, us] of results)
  console.log(`${name}: median ${median(us).toFixed(0)} µs of backend CPU per transaction`);
await admin.end();
