#!/usr/bin/env node
// Native attribution of cold against warm GET /me: one API process (node --perf-basic-prof,
// optionally --trace-gc) pinned to the server core; after a warm-up that fills its token cache,
// `perf record -e cpu-clock -g` of all its threads during a cold load (a new token each
// request, from a pool of 12,000 > the 10,000-entry cache), then during a warm load (one
// token), each a fixed number of requests. Prints per phase the server CPU per request
// (schedstat) and the perf.data files; `perf report -i FILE --no-children --sort dso,sym`
// reads them.
//
// Usage: node bench/tools/perf-cold.mjs [requests] [outdir] [ENV=V,…] [--node-flag …]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fire } from '../lib/load.mjs';
import { LOAD_CORE, pinSelf, ROOT } from '../lib/proc.mjs';
import { startApiProcess } from '../lib/servers.mjs';
import { startIssuer } from '../lib/tokens.mjs';

const [
  amountArg = '12000',
  outDir = mkdtempSync(join(tmpdir(), 'perf-cold-')),
  envArg = '',
  ...flags
] = process.argv.slice(2);
const amount = Number(amountArg);
mkdirSync(outDir, { recursive: true });
const env = Object.fromEntries(
  envArg
    .split(',')
    .filter(Boolean)
    .map((kv) => kv.split('=')),
);

const iss = await startIssuer();
const pool = await iss.mint(12_000);
const [warmToken] = await iss.mint(1, { first: 20_000, threads: 1 });
pinSelf(LOAD_CORE);
const spawnedAt = performance.now();
const { url, proc } = await startApiProcess({
  issuer: iss.issuer.issuer,
  dataDir: mkdtempSync(join(tmpdir(), 'perf-cold-data-')),
  nodeOptions: ['--perf-basic-prof', ...flags],
  env,
});
let next = 0;
const cold = () => ({ headers: { authorization: `Bearer ${pool[next++ % pool.length]}` } });
const warm = { authorization: `Bearer ${warmToken}` };
await fire({ url: `${url}/me`, amount: pool.length, next: cold });
await fire({ url: `${url}/me`, amount: 5000, headers: warm });
for (const phase of ['cold', 'warm', 'cold', 'warm']) {
  const file = join(outDir, `${phase}-${next}.data`);
  const perf = spawn(
    'perf',
    ['record', '-e', 'cpu-clock', '-F', '4000', '-g', '-o', file, '-p', String(proc.pid)],
    { stdio: 'ignore' },
  );
  await new Promise((r) => setTimeout(r, 300));
  const from = performance.now() - spawnedAt;
  const spec =
    phase === 'cold'
      ? { pid: proc.pid, url: `${url}/me`, amount, next: cold }
      : { pid: proc.pid, url: `${url}/me`, amount, headers: warm };
  const r = await fire(spec);
  const exited = new Promise((res) => perf.once('exit', res));
  perf.kill('SIGINT');
  await exited;
  console.log(
    `${phase} ${r.total} requests ${r.cpuUs.toFixed(1)} µs CPU/req load ${loadavg()[0].toFixed(1)} ` +
      `(${from.toFixed(0)}–${(performance.now() - spawnedAt).toFixed(0)} ms after spawn) → ${file}`,
  );
}
await proc.stop('SIGINT');
await iss.issuer.close();
// --perf-basic-prof also writes V8's log (isolate-*-v8.log) into the API's working directory.
for (const f of readdirSync(ROOT))
  if (/^isolate-0x[0-9a-f]+-\d+-v8\.log$/.test(f) && f.includes(`-${proc.pid}-`))
    rmSync(join(ROOT, f));
console.log('api log:', proc.logFile);
