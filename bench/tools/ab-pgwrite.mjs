#!/usr/bin/env node
// POST /todos/ on PostgreSQL of two or more API builds side by side, each round followed by
// pgbench replaying the API's own write statements (captured off the wire, as the bench's
// section P does), so that every build's rate is also read against the pgbench round next to
// it. One seeded database (`<test database>_abpgw`), one API process per build pinned to the
// server core, the bench's load (wrk when installed: 50 connections, a random seeded user per
// request), rounds alternating the order of the builds.
//
// Usage: node bench/tools/ab-pgwrite.mjs [rounds] [seconds] name=ROOT[:ENV=V,…][;--flag …] …
//   ROOT: a checkout with `npm run build` done (the statements are captured from the first
//   build); USERS / TOTAL (environment): the seed (default 10,000 users, 200,000 todos);
//   READS=1: a read round per build as well (GET /todos/, no pgbench).
// Per round: each build's req/s, its API CPU µs per write (schedstat, all threads), the
// backends' CPU µs per write, and its rate ÷ that round's pgbench rate. At the end, medians,
// and the paired differences of every build against the first.
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBenchDatabase, seededListId, seedPostgres } from '../lib/db.mjs';
import { fire, loadGeneratorLabel, median, requests } from '../lib/load.mjs';
import { backendsCpu } from '../lib/pg-cpu.mjs';
import { buildScript, findPgbench, protocolOf, runPgbench } from '../lib/pgbench.mjs';
import { LOAD_CORE, pinSelf } from '../lib/proc.mjs';
import { parseBuild, startApiProcess } from '../lib/servers.mjs';
import { startIssuer, subjectOf } from '../lib/tokens.mjs';
import { capture } from '../sections/postgres.mjs';

const [roundsArg = '6', secondsArg = '3', ...builds] = process.argv.slice(2);
const rounds = Number(roundsArg);
const seconds = Number(secondsArg);
const users = Number(process.env.USERS ?? 10_000);
const total = Number(process.env.TOTAL ?? 200_000);
if (builds.length === 0) throw new Error('name=ROOT[:ENV=V,…] expected');

const tmp = mkdtempSync(join(tmpdir(), 'ab-pgwrite-'));
const iss = await startIssuer();
const tokens = await iss.mint(users);
pinSelf(LOAD_CORE);
const database = await createBenchDatabase('abpgw');
if (database.error) throw new Error(`PostgreSQL: ${database.error}`);
const apis = [];
for (const spec of builds) {
  const { name, root, env, nodeOptions } = parseBuild(spec);
  const api = await startApiProcess({
    root,
    issuer: iss.issuer.issuer,
    databaseUrl: database.url,
    dataDir: mkdtempSync(join(tmp, 'api-')),
    env,
    nodeOptions,
  });
  apis.push({ name, root, api, write: [], read: [] });
  if (apis.length === 1) await seedPostgres(database.url, iss.issuer.issuer, { total, users });
}

// The API processes are stopped however the run ends (a failed capture included).
try {
  // pgbench's script: the first build's statements for a new todo, as section P builds it.
  const captured = await capture({ issuer: iss, tmp, logLevel: 'info', pool: tokens }, database);
  const bin = findPgbench();
  if (!bin) throw new Error('pgbench not found');
  const dir = join(tmp, 'pgbench');
  mkdirSync(dir, { recursive: true });
  const userValues = new Map([
    [subjectOf(0), `('00000000-0000-4000-8000-' || lpad(:u::text, 12, '0'))`],
    [seededListId(0), `('00000000-0000-4000-9000-' || lpad(:u::text, 12, '0'))`],
  ]);
  const script = await buildScript(database.url, { ...captured.write, userValues, users });
  const protocol = protocolOf(captured.write.a);
  const pgb = (s) =>
    runPgbench(bin, {
      databaseUrl: database.url,
      script,
      protocol,
      clients: 10,
      seconds: s,
      dir,
      tag: 'write',
    });

  const perUser = tokens.map((token) => ({ headers: { authorization: `Bearer ${token}` } }));
  const loads = (api) => {
    const read = {
      pid: api.pid,
      url: `${api.url}/todos/`,
      connections: 50,
      requests: requests(perUser, 'random'),
    };
    const body = JSON.stringify({
      title: 'Benchmark todo',
      description: 'written by npm run bench',
    });
    return { read, write: { ...read, method: 'POST', body, expectStatus: [201] } };
  };
  const backends = await backendsCpu(database.url);
  // A backend that started during a round (a pool that closed its idle connections while the
  // other builds ran opens new ones) counts from zero.
  const cpu = {
    snapshot: backends.snapshot,
    spent: (before, after) =>
      backends.spent(new Map([...after.keys()].map((pid) => [pid, before.get(pid) ?? 0])), after),
  };
  /** CPU ns of a process's main thread (the event loop), from its schedstat. */
  const mainNs = (pid) =>
    Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]);
  for (const { api } of apis) {
    await fire({ ...loads(api).read, amount: users, requests: requests(perUser, 'once') });
    await fire({ ...loads(api).write, duration: 2 });
  }
  await pgb(2);

  const line = (r) =>
    `${Math.round(r.rps)}/s ${r.cpuUs.toFixed(0)} (main ${r.mainUs.toFixed(0)}) µs db ${r.dbCpuUs.toFixed(0)} µs ${r.ratio?.toFixed(3) ?? ''}`;
  const pgRuns = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [...apis].reverse() : apis;
    const results = [];
    for (const a of order) {
      for (const kind of process.env.READS ? ['read', 'write'] : ['write']) {
        const before = await cpu.snapshot();
        const main = mainNs(a.api.pid);
        const res = await fire({ ...loads(a.api)[kind], duration: seconds });
        res.mainUs = (mainNs(a.api.pid) - main) / 1e3 / res.total;
        res.dbCpuUs = cpu.spent(before, await cpu.snapshot()) / 1e3 / res.total;
        const bad = [...res.statuses].filter(([s]) => s !== (kind === 'read' ? 200 : 201));
        if (bad.length || res.errors) console.log('unexpected', a.name, kind, bad, res.errors);
        a[kind].push(res);
        results.push([a, kind, res]);
      }
    }
    const p = await pgb(seconds);
    pgRuns.push(p);
    for (const [, kind, res] of results) if (kind === 'write') res.ratio = res.rps / p.tps;
    console.log(
      `round ${r + 1} load ${loadavg()[0].toFixed(1)}: ${results.map(([a, k, res]) => `${a.name} ${k} ${line(res)}`).join(' · ')} · pgbench ${Math.round(p.tps)} tx/s`,
    );
  }
  await backends.close();
  console.log(`load generator: ${loadGeneratorLabel()}`);
  console.log(`pgbench: median ${Math.round(median(pgRuns.map((p) => p.tps)))} tx/s`);
  const m = (xs, f) => median(xs.map(f));
  for (const a of apis)
    for (const kind of process.env.READS ? ['read', 'write'] : ['write'])
      console.log(
        `${a.name} ${kind}: median ${Math.round(m(a[kind], (x) => x.rps))} req/s, ${m(a[kind], (x) => x.cpuUs).toFixed(0)} µs API CPU (main thread ${m(a[kind], (x) => x.mainUs).toFixed(0)}), ${m(a[kind], (x) => x.dbCpuUs).toFixed(0)} µs backends, p50 ${m(a[kind], (x) => x.p50)} ms, p99 ${m(a[kind], (x) => x.p99)} ms${kind === 'write' ? `, ÷ pgbench ${m(a.write, (x) => x.ratio).toFixed(3)}` : ''}`,
      );
  for (const b of apis.slice(1)) {
    const a = apis[0];
    const d = a.write.map((x, i) => b.write[i].cpuUs - x.cpuUs);
    const q = a.write.map((x, i) => b.write[i].rps / x.rps);
    console.log(
      `write ${b.name}−${a.name}: CPU µs paired ${d.map((x) => x.toFixed(0)).join(' ')} (median ${median(d).toFixed(0)}); rate ratio ${q.map((x) => x.toFixed(2)).join(' ')} (median ${median(q).toFixed(2)})`,
    );
  }
} finally {
  for (const a of apis) await a.api.stop();
  await iss.issuer.close();
}
