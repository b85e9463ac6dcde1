#!/usr/bin/env node
// The two load generators side by side on one API process over PostgreSQL: the bench's reads
// (GET /todos/, a random seeded user) and writes (POST /todos/) at 50 connections, in rounds
// alternating wrk and autocannon (A B, B A, …) so that drift of a shared machine hits both
// alike; per round the rate, p50/p99, the API's CPU per request and the load generator's.
//
// Usage: node bench/tools/ab-loadgen.mjs [rounds] [seconds]
//   needs TEST_DATABASE_URL (its own database `<name>_abload`) and wrk; USERS / TOTAL: the seed
//   (default 10,000 users, 100,000 todos).
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBenchDatabase, seedPostgres } from '../lib/db.mjs';
import { fire, median, requests, wrkVersion } from '../lib/load.mjs';
import { LOAD_CORE, pinSelf } from '../lib/proc.mjs';
import { startApiProcess } from '../lib/servers.mjs';
import { startIssuer } from '../lib/tokens.mjs';

const [roundsArg = '6', secondsArg = '3'] = process.argv.slice(2);
const rounds = Number(roundsArg);
const seconds = Number(secondsArg);
const users = Number(process.env.USERS ?? 10_000);
const total = Number(process.env.TOTAL ?? 100_000);
if (!wrkVersion()) throw new Error('wrk is not installed');

const iss = await startIssuer();
const tokens = await iss.mint(users);
pinSelf(LOAD_CORE);
const database = await createBenchDatabase('abload');
if (database.error) throw new Error(`PostgreSQL: ${database.error}`);
const api = await startApiProcess({
  issuer: iss.issuer.issuer,
  databaseUrl: database.url,
  dataDir: mkdtempSync(join(tmpdir(), 'ab-loadgen-')),
  logLevel: 'info',
});
await seedPostgres(database.url, iss.issuer.issuer, { total, users });
const perUser = tokens.map((t) => ({ headers: { authorization: `Bearer ${t}` } }));
const read = { pid: api.pid, url: `${api.url}/todos/`, requests: requests(perUser, 'random') };
const write = {
  ...read,
  method: 'POST',
  body: JSON.stringify({ title: 'Benchmark todo', description: 'written by npm run bench' }),
};
const gens = ['wrk', 'autocannon'];
const use = (g) => {
  process.env.BENCH_LOADGEN = g;
};
use('wrk');
await fire({ ...read, amount: users, requests: requests(perUser, 'once') });
for (const g of gens) {
  use(g);
  await fire({ ...read, duration: 2 });
  await fire({ ...write, duration: 2 });
}
const runs = Object.fromEntries(gens.map((g) => [g, { read: [], write: [] }]));
for (let r = 0; r < rounds; r++) {
  const order = r % 2 ? [...gens].reverse() : gens;
  const out = [];
  for (const kind of ['read', 'write'])
    for (const g of order) {
      use(g);
      const res = await fire({ ...(kind === 'read' ? read : write), duration: seconds });
      const bad = [...res.statuses].filter(([s]) => s !== (kind === 'read' ? 200 : 201));
      if (bad.length || res.errors) console.log('unexpected', g, kind, bad, res.errors);
      runs[g][kind].push(res);
      out.push(
        `${g} ${kind} ${Math.round(res.rps)}/s p99 ${res.p99.toFixed(1)}${res.p99Corrected === undefined ? '' : ` (wrk's corrected ${res.p99Corrected.toFixed(1)})`} API ${res.cpuUs.toFixed(0)} µs LG ${res.loadCpuUs.toFixed(0)} µs`,
      );
    }
  console.log(`round ${r + 1} load ${loadavg()[0].toFixed(1)}: ${out.join(' · ')}`);
}
await api.stop();
await iss.issuer.close();
const m = (xs, f) => median(xs.map(f));
for (const kind of ['read', 'write']) {
  for (const g of gens) {
    const xs = runs[g][kind];
    console.log(
      `${kind} ${g}: median ${Math.round(m(xs, (x) => x.rps))} req/s, p50 ${m(xs, (x) => x.p50).toFixed(1)} ms, p99 ${m(xs, (x) => x.p99).toFixed(1)} ms${g === 'wrk' ? ` (wrk's own, corrected for coordinated omission: ${m(xs, (x) => x.p99Corrected).toFixed(1)} ms)` : ''}, API ${m(xs, (x) => x.cpuUs).toFixed(0)} µs/req, load generator ${m(xs, (x) => x.loadCpuUs).toFixed(0)} µs/req`,
    );
  }
  const q = runs.wrk[kind].map((x, i) => x.rps / runs.autocannon[kind][i].rps);
  const p = runs.wrk[kind].map((x, i) => x.p99 / runs.autocannon[kind][i].p99);
  console.log(
    `${kind} wrk ÷ autocannon, paired by round: rate ${q.map((x) => x.toFixed(2)).join(' ')} (median ${median(q).toFixed(2)}); p99 ${p.map((x) => x.toFixed(2)).join(' ')} (median ${median(p).toFixed(2)})`,
  );
}
process.exit(0);
