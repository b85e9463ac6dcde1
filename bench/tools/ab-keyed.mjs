#!/usr/bin/env node
// Plain against keyed creates (`POST /todos/` without and with an `Idempotency-Key`, a fresh
// UUID per request) of one or more API builds side by side, on SQLite and on PostgreSQL: one API
// process per build and engine (PostgreSQL: one database shared by the builds; SQLite: a data
// directory each), a user of its own per build, `n` creates one after the other (one in flight:
// the latency of a create, as a person's browser sends them) per build and kind, in rounds
// alternating the order of the builds and of the kinds.
//
// Usage: node bench/tools/ab-keyed.mjs [rounds] [n] name=ROOT[:ENV=V,…][;--flag …] …
//   ROOT: a checkout with `npm run build` done. ENGINES=sqlite,postgres (default both).
//   ROUTE=list: `POST /lists/{id}/todos/` into a list of the build's user instead.
// Per round and build, plain and keyed: µs per create (wall, mean and median of `n`, the
// client's own cost included), the API's CPU µs per create (schedstat, all threads) and on
// PostgreSQL its backends'. At the end: medians, keyed − plain per build, and every build's
// paired difference against the first.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBenchDatabase } from '../lib/db.mjs';
import { median } from '../lib/load.mjs';
import { backendsCpu } from '../lib/pg-cpu.mjs';
import { cpuNs, LOAD_CORE, pinSelf } from '../lib/proc.mjs';
import { parseBuild, startApiProcess } from '../lib/servers.mjs';
import { startIssuer } from '../lib/tokens.mjs';

const [roundsArg = '8', nArg = '300', ...builds] = process.argv.slice(2);
const rounds = Number(roundsArg);
const n = Number(nArg);
const engines = (process.env.ENGINES ?? 'sqlite,postgres').split(',');
if (builds.length === 0) throw new Error('name=ROOT[:ENV=V,…] expected');

const tmp = mkdtempSync(join(tmpdir(), 'ab-keyed-'));
const iss = await startIssuer();
const tokens = await iss.mint(builds.length);
pinSelf(LOAD_CORE);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const fmt = (v) => (Number.isFinite(v) ? v.toFixed(0).padStart(6) : '     -');
const show = (x) => `${fmt(x.wall)} ${fmt(x.p50)} (${fmt(x.cpu)}, ${fmt(x.db)})`;

/**
 * `n` creates one after the other; wall, API CPU and (on PostgreSQL, `backends`) the database
 * backends' CPU µs per create.
 */
async function creates(api, token, keyed, backends, path = '/todos/') {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const body = JSON.stringify({ title: 'Benchmark todo', description: 'written by ab-keyed' });
  const pg0 = await backends?.snapshot();
  const cpu0 = cpuNs(api.pid);
  const t0 = process.hrtime.bigint();
  const each = [];
  for (let i = 0; i < n; i += 1) {
    const started = process.hrtime.bigint();
    const res = await fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: keyed ? { ...headers, 'idempotency-key': randomUUID() } : headers,
      body,
    });
    if (res.status !== 201) throw new Error(`POST ${path} → ${res.status}: ${await res.text()}`);
    if (keyed && res.headers.get('idempotent-replayed')) throw new Error('a fresh key replayed');
    await res.arrayBuffer();
    each.push(Number(process.hrtime.bigint() - started) / 1000);
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1000 / n;
  const cpu = (cpuNs(api.pid) - cpu0) / 1000 / n;
  const db = pg0 ? backends.spent(pg0, await backends.snapshot()) / 1000 / n : Number.NaN;
  return { wall, p50: median(each), cpu, db };
}

/** The route of the creates: `/todos/`, or with ROUTE=list a new list's `/lists/{id}/todos/`. */
async function pathOf(api, token) {
  if (process.env.ROUTE !== 'list') return '/todos/';
  const res = await fetch(`${api.url}/lists/`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'ab-keyed' }),
  });
  if (res.status !== 201) throw new Error(`POST /lists/ → ${res.status}: ${await res.text()}`);
  return `/lists/${(await res.json()).id}/todos/`;
}

for (const engine of engines) {
  const database = engine === 'postgres' ? await createBenchDatabase('abkeyed') : undefined;
  if (database?.error) throw new Error(`PostgreSQL: ${database.error}`);
  const apis = [];
  let backends;
  try {
    for (const spec of builds) {
      const { name, root, env, nodeOptions } = parseBuild(spec);
      const api = await startApiProcess({
        root,
        issuer: iss.issuer.issuer,
        databaseUrl: database?.url,
        dataDir: mkdtempSync(join(tmp, 'api-')),
        env,
        nodeOptions,
        logLevel: 'warn',
      });
      const token = tokens[apis.length];
      apis.push({
        name,
        api,
        token,
        path: await pathOf(api, token),
        runs: { plain: [], keyed: [] },
      });
    }
    backends = database && (await backendsCpu(database.url));
    console.log(
      `\n${engine}, POST ${process.env.ROUTE === 'list' ? '/lists/{id}/todos/' : '/todos/'}: ${rounds} rounds × ${n} sequential creates per build and kind`,
    );
    console.log(`load average at start: ${load()}`);
    // Warm-up: the default list, the token cache, JIT, prepared statements.
    for (const a of apis)
      for (const keyed of [false, true]) await creates(a.api, a.token, keyed, backends, a.path);
    console.log('round build     plain µs: mean p50 (CPU, DB)  keyed µs: mean p50 (CPU, DB)  load');
    for (let r = 0; r < rounds; r += 1) {
      const order = r % 2 === 0 ? apis : [...apis].reverse();
      const kinds = r % 4 < 2 ? [false, true] : [true, false];
      for (const a of order) {
        const got = {};
        for (const keyed of kinds)
          got[keyed ? 'keyed' : 'plain'] = await creates(a.api, a.token, keyed, backends, a.path);
        a.runs.plain.push(got.plain);
        a.runs.keyed.push(got.keyed);
        console.log(
          `${String(r + 1).padStart(5)} ${a.name.padEnd(8)} ${show(got.plain)}  ${show(got.keyed)}   ${load()}`,
        );
      }
    }
    console.log(`\n${engine}, medians over ${rounds} rounds (load average at end: ${load()})`);
    console.log(
      'build     plain µs: mean p50 (CPU, DB)  keyed µs: mean p50 (CPU, DB)  keyed − plain, median of paired rounds',
    );
    for (const a of apis) {
      const m = (kind) =>
        Object.fromEntries(
          ['wall', 'p50', 'cpu', 'db'].map((w) => [w, median(a.runs[kind].map((x) => x[w]))]),
        );
      const d = (w) => median(a.runs.keyed.map((k, i) => k[w] - a.runs.plain[i][w]));
      console.log(
        `${a.name.padEnd(8)} ${show(m('plain'))}  ${show(m('keyed'))}   ${show({ wall: d('wall'), p50: d('p50'), cpu: d('cpu'), db: d('db') })}`,
      );
    }
    const [first, ...others] = apis;
    for (const b of others)
      for (const kind of ['plain', 'keyed']) {
        const paired = b.runs[kind].map((x, i) => x.wall - first.runs[kind][i].wall);
        const p50 = b.runs[kind].map((x, i) => x.p50 - first.runs[kind][i].p50);
        const cpu = b.runs[kind].map((x, i) => x.cpu - first.runs[kind][i].cpu);
        const db = b.runs[kind].map((x, i) => x.db - first.runs[kind][i].db);
        console.log(
          `${b.name} − ${first.name}, ${kind}: ${fmt(median(paired))} µs wall (mean), ${fmt(median(p50))} µs p50, ${fmt(median(cpu))} µs API CPU, ${fmt(median(db))} µs DB CPU (median of paired rounds)`,
        );
      }
  } finally {
    await backends?.close();
    for (const a of apis) await a.api.stop();
  }
}
await iss.issuer.close?.();
process.exit(0);
