#!/usr/bin/env node
// GET and POST /todos/ on PostgreSQL for two or more API builds side by side: one seeded
// database (its own, `<test database>_abpg`), one API process per build pinned to the server
// core, rounds of reads then writes at 50 HTTP connections alternating between builds; per
// round the rate and the server's CPU per request (schedstat, all threads).
//
// Usage: node bench/tools/ab-pg.mjs [rounds] [seconds] name=ROOT[:ENV=V,…][;--node-flag …] …
//   ROOT: a checkout with `npm run build` done; USERS / TOTAL (environment): the seed
//   (default 2,000 users, 100,000 todos); PERF_DIR: `perf record -g` (cpu-clock) of each
//   build's first read and write round into that directory (start the builds with
//   NODE_OPTIONS=--perf-basic-prof for JavaScript frames); NICE: a niceness for every thread
//   of this load generator, the API processes and their PostgreSQL backends (e.g. -10, as root), so that on a
//   shared machine they run as on a quiet one while other work waits; PROBE=1: SIGUSR2 to the
//   API process before and after each round (for a preload that reports per round).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createBenchDatabase, seedPostgres } from '../lib/db.mjs';
import { fire, median } from '../lib/load.mjs';
import { LOAD_CORE, pinSelf } from '../lib/proc.mjs';
import { parseBuild, startApiProcess } from '../lib/servers.mjs';
import { startIssuer } from '../lib/tokens.mjs';

const [roundsArg = '6', secondsArg = '3', ...builds] = process.argv.slice(2);
const rounds = Number(roundsArg);
const seconds = Number(secondsArg);
const users = Number(process.env.USERS ?? 2000);
const total = Number(process.env.TOTAL ?? 100_000);
if (builds.length === 0) throw new Error('name=ROOT[:ENV=V,…] expected');

const iss = await startIssuer();
const tokens = await iss.mint(users);
pinSelf(LOAD_CORE);
const database = await createBenchDatabase('abpg');
if (database.error) throw new Error(`PostgreSQL: ${database.error}`);
const databaseUrl = database.url;
const apis = [];
for (const spec of builds) {
  const { name, root, env, nodeOptions } = parseBuild(spec);
  const api = await startApiProcess({
    root,
    issuer: iss.issuer.issuer,
    databaseUrl,
    dataDir: mkdtempSync(join(tmpdir(), 'ab-pg-')),
    env,
    nodeOptions,
  });
  apis.push({ name, api, read: [], write: [] });
  if (apis.length === 1) await seedPostgres(databaseUrl, iss.issuer.issuer, { total, users });
}
const bearer = (t) => ({ authorization: `Bearer ${t}` });
const randomUser = () => ({ headers: bearer(tokens[Math.floor(Math.random() * users)]) });
const body = JSON.stringify({ title: 'Benchmark todo', description: 'written by npm run bench' });
const loads = (api) => ({
  read: { pid: api.pid, url: `${api.url}/todos/`, next: randomUser },
  write: {
    pid: api.pid,
    url: `${api.url}/todos/`,
    next: randomUser,
    method: 'POST',
    body,
  },
});
/** Sets NICE on every thread of the API processes and of the database's backends. */
async function renice() {
  if (!process.env.NICE) return;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  const { rows } = await admin.query(
    'select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
  );
  await admin.end();
  const tids = [process.pid, ...apis.map(({ api }) => api.pid)].flatMap((pid) =>
    readdirSync(`/proc/${pid}/task`),
  );
  for (const id of [...tids, ...rows.map((r) => String(r.pid))])
    spawnSync('renice', ['-n', process.env.NICE, '-p', id], { stdio: 'ignore' });
}
for (const { api } of apis) {
  let w = 0;
  await fire({
    url: `${api.url}/todos/`,
    amount: users,
    next: () => ({ headers: bearer(tokens[w++]) }),
  });
  await fire({ ...loads(api).write, duration: 2 });
  await fire({ ...loads(api).read, duration: 2 });
}
/** `work()`, under `perf record` of `pid` into `file` when PERF_DIR is set. */
async function recorded(pid, file, work) {
  if (!process.env.PERF_DIR) return work();
  const perf = spawn(
    'perf',
    ['record', '-F', '2999', '-g', '-o', join(process.env.PERF_DIR, file), '-p', String(pid)],
    { stdio: 'ignore' },
  );
  await new Promise((r) => setTimeout(r, 300));
  const result = await work();
  const exited = new Promise((r) => perf.once('exit', r));
  perf.kill('SIGINT');
  await exited;
  return result;
}
await renice();
const line = (r) => `${Math.round(r.rps)} req/s ${r.cpuUs.toFixed(0)} µs`;
for (let r = 0; r < rounds; r++) {
  const order = r % 2 ? [...apis].reverse() : apis;
  const out = [];
  for (const kind of ['read', 'write'])
    for (const a of order) {
      const signal = () => process.env.PROBE && process.kill(a.api.pid, 'SIGUSR2');
      const work = async () => {
        signal();
        const res = await fire({ ...loads(a.api)[kind], duration: seconds });
        signal();
        return res;
      };
      const res =
        r === 0 ? await recorded(a.api.pid, `${a.name}-${kind}.perf.data`, work) : await work();
      const bad = [...res.statuses].filter(([s]) => s !== (kind === 'read' ? 200 : 201));
      if (bad.length || res.errors) console.log('unexpected', a.name, kind, bad, res.errors);
      a[kind].push(res);
      out.push(`${a.name} ${kind} ${line(res)}`);
    }
  console.log(`round ${r + 1} load ${loadavg()[0].toFixed(1)}: ${out.join(' · ')}`);
}
for (const a of apis)
  for (const kind of ['read', 'write'])
    console.log(
      `${a.name} ${kind}: median ${Math.round(median(a[kind].map((x) => x.rps)))} req/s, ${median(a[kind].map((x) => x.cpuUs)).toFixed(0)} µs CPU/req, p50 ${median(a[kind].map((x) => x.p50))} ms p99 ${median(a[kind].map((x) => x.p99))} ms`,
    );
if (apis.length > 1)
  for (const kind of ['read', 'write']) {
    const d = apis[0][kind].map((x, i) => apis[1][kind][i].cpuUs - x.cpuUs);
    const q = apis[0][kind].map((x, i) => apis[1][kind][i].rps / x.rps);
    console.log(
      `${kind} ${apis[1].name}−${apis[0].name}: CPU µs paired ${d.map((x) => x.toFixed(0)).join(' ')} (median ${median(d).toFixed(0)}); rate ratio median ${median(q).toFixed(2)}`,
    );
  }
for (const a of apis) await a.api.stop();
await iss.issuer.close();
