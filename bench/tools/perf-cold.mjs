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
import { mkdirSync, mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fire } from '../lib/load.mjs';
import {
  freePort,
  LOAD_CORE,
  pinSelf,
  ROOT,
  SERVER_CORE,
  spawnNode,
  waitForHttp,
} from '../lib/proc.mjs';
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
const port = await freePort();
const spawnedAt = performance.now();
const proc = spawnNode([join(ROOT, 'packages/api/dist/server.js')], {
  core: SERVER_CORE,
  nodeOptions: ['--perf-basic-prof', ...flags],
  env: {
    HOST: '127.0.0.1',
    PORT: String(port),
    OIDC_ISSUER: iss.issuer.issuer,
    OIDC_AUDIENCE: 'todo-api',
    OIDC_PROVIDER: 'keycloak',
    OIDC_VERIFY: 'jwt',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'perf-cold-data-')),
    DATABASE_URL: '',
    LOG_LEVEL: 'info',
    RATE_LIMIT_PER_MINUTE: '999999999',
    NODE_ENV: 'production',
    ...env,
  },
});
const url = `http://127.0.0.1:${port}`;
await waitForHttp(`${url}/healthz`, proc);
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
console.log('api log:', proc.logFile);
