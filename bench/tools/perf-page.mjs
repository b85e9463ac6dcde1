#!/usr/bin/env node
// Native profile of GET /todos/ (page of 20, SQLite) against warm GET /me: the API runs with
// --perf-basic-prof, and `perf record` samples it (cpu-clock) over a fixed number of requests of
// each route. Usage: node bench/tools/perf-page.mjs [requests] [extra todos] [out dir]
// Prints CPU µs per request of each route and where the perf.data files are; the data
// directory (the database the page read) is kept for in-process comparisons.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fire } from '../lib/load.mjs';
import { LOAD_CORE, pinSelf, ROOT } from '../lib/proc.mjs';
import { startApiProcess } from '../lib/servers.mjs';
import { startIssuer } from '../lib/tokens.mjs';

const [requestsArg = '20000', extraArg = '0', outArg] = process.argv.slice(2);
const requests = Number(requestsArg);
const out = outArg ?? mkdtempSync(join(tmpdir(), 'todo-sso-perf-'));
mkdirSync(out, { recursive: true });
const iss = await startIssuer();
const [token] = await iss.mint(1, { first: 20_000, threads: 1 });
pinSelf(LOAD_CORE);
const dataDir = mkdtempSync(join(out, 'data-'));
const api = await startApiProcess({
  issuer: iss.issuer.issuer,
  dataDir,
  env: { NODE_OPTIONS: process.env.API_NODE_OPTIONS ?? '--perf-basic-prof' },
});
const h = { authorization: `Bearer ${token}` };
for (let i = 0; i < 20; i++)
  await fetch(`${api.url}/todos/`, {
    method: 'POST',
    headers: { ...h, 'content-type': 'application/json' },
    body: JSON.stringify({
      title: `Bench todo ${i}`,
      description: 'Seeded for the list benchmark',
    }),
  });
const extra = Number(extraArg);
if (extra > 0)
  await fire({
    url: `${api.url}/todos/`,
    headers: h,
    method: 'POST',
    body: JSON.stringify({ title: 'Benchmark todo', description: 'written by npm run bench' }),
    amount: extra,
  });
const routes = { list: `${api.url}/todos/`, me: `${api.url}/me` };
for (const url of Object.values(routes)) await fire({ url, headers: h, amount: 3000 });
const record = process.env.PERF !== '0';
for (const [name, url] of Object.entries(routes)) {
  const file = join(out, `${name}.perf.data`);
  const perf = record
    ? spawn('perf', ['record', '-F', '3997', '-g', '-o', file, '-p', String(api.pid)], {
        stdio: 'ignore',
      })
    : undefined;
  if (perf) await new Promise((r) => setTimeout(r, 500));
  const r = await fire({ pid: api.pid, url, headers: h, amount: requests });
  if (perf) {
    perf.kill('SIGINT');
    await new Promise((r) => perf.once('exit', r));
  }
  console.log(name, Math.round(r.rps), 'req/s', r.cpuUs.toFixed(1), 'µs CPU/req', [...r.statuses]);
}
await api.stop();
await iss.issuer.close();
// --perf-basic-prof also writes V8's log (isolate-*-v8.log) into the API's working directory.
for (const f of readdirSync(ROOT))
  if (/^isolate-0x[0-9a-f]+-\d+-v8\.log$/.test(f) && f.includes(`-${api.pid}-`))
    rmSync(join(ROOT, f));
console.log('out:', out, 'database:', join(dataDir, 'todo.db'));
