#!/usr/bin/env node
// GET /todos/ on PostgreSQL for one user against many, in one API process on one seeded
// database: what the API's CPU per read owes to the number of people it serves (per-person
// caches, the token cache, the collector) and what to the rate it runs at. Rounds alternate
// `one` (every request the same seeded user's token), `tokens` (a random one of USERS/2 − 1
// distinct tokens of that same user: the API's per-token work and state, the database's work
// that of `one`) and `many` (a random one of the first USERS/2 seeded users' tokens, as section
// P loads its USERS; halves, so that both pools fit the API's token cache of 10,000 together);
// with WRITES=1 a round of creates by random users runs before each read round, as section P
// interleaves them. KINDS (default `one,tokens,many`) may also name `slow`: `one` at SLOW_CONNS
// connections (default 4), the same requests at a lower rate. Per round: the rate, the API's CPU per
// request (schedstat, all threads), its main thread's, PostgreSQL's backends' CPU per request
// and the load average. The API is pinned to the server core, the load generator (wrk when
// installed) to the load core, as in the bench.
//
// Usage: node bench/tools/pg-users.mjs [rounds] [seconds] [ROOT]
//   USERS / TOTAL (environment): the seed (default 10,000 users, 1,000,000 todos);
//   CONNS: HTTP connections (default 50); CPU_PROF=DIR: the API with --cpu-prof into DIR;
//   NICE: a niceness for every thread of this process (and so of wrk, started from it), the API
//   and the database's backends (e.g. -10, as root), so that on a shared machine they run as on
//   a quiet one while other work waits.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBenchDatabase, seedPostgres } from '../lib/db.mjs';
import { fire, median, requests } from '../lib/load.mjs';
import { backendsCpu } from '../lib/pg-cpu.mjs';
import { LOAD_CORE, pinSelf, threadCpuNs } from '../lib/proc.mjs';
import { startApiProcess } from '../lib/servers.mjs';
import { benchUser, startIssuer } from '../lib/tokens.mjs';

const [roundsArg = '6', secondsArg = '3', root] = process.argv.slice(2);
const rounds = Number(roundsArg);
const seconds = Number(secondsArg);
const users = Number(process.env.USERS ?? 10_000);
const total = Number(process.env.TOTAL ?? 1_000_000);
const connections = Number(process.env.CONNS ?? 50);

const iss = await startIssuer();
const half = Math.floor(users / 2);
const tokens = await iss.mint(half);
const user0 = benchUser(0);
const sameUser = await iss.mint(half - 1, {
  first: users,
  claims: {
    sub: user0.sub,
    preferred_username: user0.username,
    email: user0.email,
    name: user0.name,
  },
});
pinSelf(LOAD_CORE);
const database = await createBenchDatabase('pgusers');
if (database.error) throw new Error(`PostgreSQL: ${database.error}`);
const api = await startApiProcess({
  ...(root ? { root } : {}),
  issuer: iss.issuer.issuer,
  databaseUrl: database.url,
  dataDir: mkdtempSync(join(tmpdir(), 'pg-users-')),
  cpuProfDir: process.env.CPU_PROF,
});
const started = Date.now();
await seedPostgres(database.url, iss.issuer.issuer, { total, users });
console.log(
  `seeded ${total} todos × ${users} users in ${((Date.now() - started) / 1e3).toFixed(1)} s`,
);
const perUser = tokens.map((t) => ({ headers: { authorization: `Bearer ${t}` } }));
const url = `${api.url}/todos/`;
const perToken = sameUser.map((t) => ({ headers: { authorization: `Bearer ${t}` } }));
const loads = {
  one: { pid: api.pid, url, connections, requests: requests([perUser[0]], 'cycle') },
  tokens: { pid: api.pid, url, connections, requests: requests(perToken, 'random') },
  // `one` at fewer connections: the same requests at a lower rate.
  slow: {
    pid: api.pid,
    url,
    connections: Number(process.env.SLOW_CONNS ?? 4),
    requests: requests([perUser[0]], 'cycle'),
  },
  many: { pid: api.pid, url, connections, requests: requests(perUser, 'random') },
};
const write = {
  pid: api.pid,
  url,
  connections,
  requests: requests(perUser, 'random'),
  method: 'POST',
  body: JSON.stringify({ title: 'Benchmark todo', description: 'written by npm run bench' }),
};
// Every user and token once (the token cache, the default lists), then each load once.
for (const list of [perUser, perToken])
  await fire({
    pid: api.pid,
    url,
    connections,
    amount: list.length,
    requests: requests(list, 'once'),
  });
for (const load of Object.values(loads)) await fire({ ...load, duration: 2 });
const cpu = await backendsCpu(database.url);
if (process.env.NICE) {
  const backends = [...(await cpu.snapshot()).keys()].map(String);
  const tids = [process.pid, api.pid].flatMap((pid) => readdirSync(`/proc/${pid}/task`));
  for (const id of [...tids, ...backends])
    spawnSync('renice', ['-n', process.env.NICE, '-p', id], { stdio: 'ignore' });
}
const kinds = (process.env.KINDS ?? 'one,tokens,many').split(',');
const runs = Object.fromEntries(kinds.map((k) => [k, []]));
for (let r = 0; r < rounds; r++) {
  // Each kind first, middle and last in turn.
  const order = kinds.map((_, i) => kinds[(i + r) % kinds.length]);
  const out = [];
  for (const kind of order) {
    if (process.env.WRITES) await fire({ ...write, duration: seconds });
    const before = await cpu.snapshot();
    const mainBefore = threadCpuNs(api.pid);
    const res = await fire({ ...loads[kind], duration: seconds });
    const n = res.total;
    res.mainUs = (threadCpuNs(api.pid) - mainBefore) / 1e3 / n;
    res.dbUs = cpu.spent(before, await cpu.snapshot()) / 1e3 / n;
    const bad = [...res.statuses].filter(([s]) => s !== 200);
    if (bad.length || res.errors) console.log('unexpected', kind, bad, res.errors);
    runs[kind].push(res);
    out.push(
      `${kind} ${Math.round(res.rps)} req/s API ${res.cpuUs.toFixed(0)} µs (main ${res.mainUs.toFixed(0)}) backends ${res.dbUs.toFixed(0)} µs`,
    );
  }
  console.log(`round ${r + 1} load ${loadavg()[0].toFixed(1)}: ${out.join(' · ')}`);
}
const m = (list, key) => median(list.map((x) => x[key]));
for (const kind of kinds)
  console.log(
    `${kind}: median ${Math.round(m(runs[kind], 'rps'))} req/s, API ${m(runs[kind], 'cpuUs').toFixed(0)} µs (main ${m(runs[kind], 'mainUs').toFixed(0)}), backends ${m(runs[kind], 'dbUs').toFixed(0)} µs per read`,
  );
for (const kind of kinds.slice(1)) {
  const d = runs[kinds[0]].map((x, i) => runs[kind][i].cpuUs - x.cpuUs);
  console.log(
    `${kind} − ${kinds[0]}, API CPU µs per read, paired: ${d.map((x) => x.toFixed(0)).join(' ')} (median ${median(d).toFixed(0)})`,
  );
}
await cpu.close();
await api.stop();
await iss.issuer.close();
process.exit(0);
