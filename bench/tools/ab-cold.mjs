#!/usr/bin/env node
// Cold and warm GET /me on two or more API builds side by side: each build's API process pinned
// to the server core, rounds of a fixed number of requests alternating between builds, server
// CPU per request (schedstat, all threads) and, with `perf` installed, instructions per request
// (`perf stat -e instructions -p <pid>` around each round). Cold requests cycle a pool of
// 12,000 distinct tokens (larger than the 10,000-entry token cache), so every one is a miss.
//
// Usage: node bench/tools/ab-cold.mjs [rounds] [requests per round] name=ROOT[:ENV=V,…][;--flag …] …
//   ROOT: a checkout with `npm run build` done (its packages/api/dist/server.js runs, with the
//   node flags of its packages/api start script); ENV=V: extra environment for that API process
//   (e.g. LOG_LEVEL=warn); --flag: node flags after those (e.g. --max-semi-space-size=16).
// Prints one line per round and the medians per build; paired differences against the first.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fire, median } from '../lib/load.mjs';
import { LOAD_CORE, pinSelf } from '../lib/proc.mjs';
import { parseBuild, startApiProcess } from '../lib/servers.mjs';
import { startIssuer } from '../lib/tokens.mjs';

const [roundsArg = '7', amountArg = '6000', ...builds] = process.argv.slice(2);
const rounds = Number(roundsArg);
const amount = Number(amountArg);
if (builds.length === 0) throw new Error('name=ROOT[:ENV=V,…] expected');

function startApi(root, issuer, env, nodeOptions) {
  const dataDir = mkdtempSync(join(tmpdir(), 'ab-cold-'));
  return startApiProcess({ root, issuer, dataDir, env, nodeOptions });
}

/** Instructions (and other events) of `pid` while `work` runs; undefined without perf. */
async function counted(pid, work) {
  const out = join(tmpdir(), `ab-perf-${pid}-${Date.now()}`);
  const perf = spawn(
    'perf',
    ['stat', '-x,', '-e', 'instructions,cache-misses,page-faults', '-o', out, '-p', String(pid)],
    { stdio: 'ignore' },
  );
  await new Promise((r) => setTimeout(r, 100));
  const result = await work();
  const exited = new Promise((r) => perf.once('exit', r));
  perf.kill('SIGINT');
  await exited;
  const events = {};
  try {
    for (const line of readFileSync(out, 'utf8').split('\n')) {
      const f = line.split(',');
      if (f.length > 3 && /^\d+$/.test(f[0])) events[f[2]] = Number(f[0]);
    }
    rmSync(out, { force: true });
  } catch {}
  return { result, events };
}

const iss = await startIssuer();
const pool = await iss.mint(12_000);
const [warmToken] = await iss.mint(1, { first: 20_000, threads: 1 });
pinSelf(LOAD_CORE);
const apis = [];
for (const spec of builds) {
  const { name, root, env, nodeOptions } = parseBuild(spec);
  apis.push({
    name,
    ...(await startApi(root, iss.issuer.issuer, env, nodeOptions)),
    cold: [],
    warm: [],
    next: 0,
  });
}
// Each API process walks the pool in its own order from the start: with one cursor shared by
// all, a process could be handed the very tokens it answered last (all cache hits) in a round.
const coldFor = (a) => () => ({
  headers: { authorization: `Bearer ${pool[a.next++ % pool.length]}` },
});
const warm = { authorization: `Bearer ${warmToken}` };
// Warm-up: every build answers the whole pool once (its cache full, its code optimised).
for (const a of apis) {
  await fire({ url: `${a.url}/me`, amount: pool.length, next: coldFor(a) });
  await fire({ url: `${a.url}/me`, amount: 2000, headers: warm });
}
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? apis : [...apis].reverse();
  for (const a of order) {
    for (const kind of ['cold', 'warm']) {
      const spec =
        kind === 'cold'
          ? { pid: a.pid, url: `${a.url}/me`, amount, next: coldFor(a) }
          : { pid: a.pid, url: `${a.url}/me`, amount, headers: warm };
      const { result, events } = await counted(a.pid, () => fire(spec));
      const bad = [...result.statuses].filter(([k]) => k !== 200);
      if (bad.length > 0) throw new Error(`${a.name} ${kind}: ${JSON.stringify(bad)}`);
      const per = (e) => (events[e] === undefined ? Number.NaN : events[e] / result.total);
      a[kind].push({
        us: result.cpuUs,
        insn: per('instructions'),
        miss: per('cache-misses'),
        pf: per('page-faults'),
      });
      console.log(
        `round ${r} ${a.name.padEnd(8)} ${kind} ${result.cpuUs.toFixed(1).padStart(7)} µs ` +
          `${(per('instructions') / 1e3).toFixed(0).padStart(6)} k insn ${per('cache-misses').toFixed(0).padStart(5)} miss ` +
          `${per('page-faults').toFixed(2)} pf  load ${loadavg()[0].toFixed(1)}`,
      );
    }
  }
}
const fmt = (v, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '—');
console.log('\nmedians (µs CPU/req, k instructions/req, cache misses/req, page faults/req)');
for (const a of apis)
  for (const kind of ['cold', 'warm']) {
    const m = (f) => median(a[kind].map((x) => x[f]));
    console.log(
      `${a.name.padEnd(8)} ${kind} ${fmt(m('us'))} µs  ${fmt(m('insn') / 1e3, 0)} k insn  ${fmt(m('miss'), 0)} miss  ${fmt(m('pf'), 2)} pf`,
    );
  }
const [base, ...others] = apis;
for (const o of others)
  for (const kind of ['cold', 'warm']) {
    const d = (f) => median(o[kind].map((x, i) => x[f] - base[kind][i][f]));
    console.log(
      `${o.name} − ${base.name} ${kind}: paired median ${fmt(d('us'))} µs, ${fmt(d('insn') / 1e3, 0)} k insn`,
    );
  }
for (const a of apis) await a.proc.stop('SIGINT');
await iss.issuer.close();
