#!/usr/bin/env node
// Figure 2 of two or more builds side by side: /healthz, /healthz carrying the warm token
// (control) and warm GET /me, each build's API process pinned to the server core, rounds of a
// fixed number of requests per route alternating between builds (the builds' order reversed
// every other round), server CPU µs per request (schedstat, all threads). Per build the median
// of each route and of the per-round ratio /healthz ÷ warm /me; paired differences against the
// first build.
//
// Usage: node bench/tools/ab-warm.mjs [rounds] [requests per route and round] name=ROOT[:ENV=V,…][;--flag …] …
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fire, median } from '../lib/load.mjs';
import { LOAD_CORE, pinSelf, removeLogs } from '../lib/proc.mjs';
import { parseBuild, startApiProcess } from '../lib/servers.mjs';
import { startIssuer } from '../lib/tokens.mjs';

const [roundsArg = '9', amountArg = '20000', ...builds] = process.argv.slice(2);
const rounds = Number(roundsArg);
const amount = Number(amountArg);
if (builds.length === 0) throw new Error('name=ROOT[:ENV=V,…] expected');

const iss = await startIssuer();
const [warmToken] = await iss.mint(1, { first: 20_000, threads: 1 });
pinSelf(LOAD_CORE);
const bearer = { authorization: `Bearer ${warmToken}` };
const ROUTES = ['healthz', 'control', 'warm'];
const apis = [];
for (const spec of builds) {
  const { name, root, env, nodeOptions } = parseBuild(spec);
  const dataDir = mkdtempSync(join(tmpdir(), 'ab-warm-'));
  const api = await startApiProcess({ root, issuer: iss.issuer.issuer, dataDir, env, nodeOptions });
  apis.push({ name, ...api, dataDir, us: { healthz: [], control: [], warm: [] }, ratio: [] });
}
const specOf = (a, route) =>
  route === 'healthz'
    ? { pid: a.pid, url: `${a.url}/healthz` }
    : route === 'control'
      ? { pid: a.pid, url: `${a.url}/healthz`, headers: bearer }
      : { pid: a.pid, url: `${a.url}/me`, headers: bearer };
for (const a of apis) for (const r of ROUTES) await fire({ ...specOf(a, r), amount });
for (let n = 0; n < rounds; n++) {
  const order = n % 2 === 0 ? apis : [...apis].reverse();
  for (const a of order) {
    const line = [];
    for (const r of ROUTES) {
      const res = await fire({ ...specOf(a, r), amount });
      const bad = [...res.statuses].filter(([k]) => k !== 200);
      if (bad.length > 0 || res.errors) throw new Error(`${a.name} ${r}: ${JSON.stringify(bad)}`);
      a.us[r].push(res.cpuUs);
      line.push(`${r} ${res.cpuUs.toFixed(1)}`);
    }
    a.ratio.push(a.us.healthz.at(-1) / a.us.warm.at(-1));
    console.log(
      `round ${n} ${a.name.padEnd(6)} ${line.join('  ')} µs  ratio ${a.ratio.at(-1).toFixed(2)}  load ${loadavg()[0].toFixed(1)}`,
    );
  }
}
console.log('\nmedians (CPU µs per request; ratio = /healthz ÷ warm /me per round)');
for (const a of apis)
  console.log(
    `${a.name.padEnd(6)} ${ROUTES.map((r) => `${r} ${median(a.us[r]).toFixed(1)}`).join('  ')}  ratio ${median(a.ratio).toFixed(3)}`,
  );
const [base, ...others] = apis;
for (const o of others)
  console.log(
    `${o.name} − ${base.name}: paired median ${ROUTES.map((r) => `${r} ${median(o.us[r].map((x, i) => x - base.us[r][i])).toFixed(1)}`).join('  ')} µs, ratio ${median(o.ratio.map((x, i) => x - base.ratio[i])).toFixed(3)}`,
  );
for (const a of apis) {
  await a.proc.stop('SIGINT');
  rmSync(a.dataDir, { recursive: true, force: true });
}
await iss.issuer.close();
removeLogs();
process.exit(0);
