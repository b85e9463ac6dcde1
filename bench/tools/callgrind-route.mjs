#!/usr/bin/env node
// Instructions per request of one or more builds' API process, counted by callgrind: a number
// that the load of a shared machine does not change. Each build's API runs under
// `valgrind --tool=callgrind --instr-atstart=no` (its production node flags, SQLite, the bench's
// test issuer); per route, `warmup` requests with the instrumentation off (the JIT settles),
// then the instrumentation on for `amount` requests (every thread: main, libuv pool, V8's
// helpers) and the total divided by `amount`, apart from V8's compilers and collector (a
// long warm-up first; still, under valgrind V8 compiles for thousands of requests). Rounds alternate between builds. Routes: healthz,
// healthzb (the control: /healthz with the same bearer header), me (warm, one token), dpop (warm
// `/me` with a DPoP-bound token and a new ES256 proof each, RFC 9449, signed by this process just
// before its request), page (GET /todos/, 20 of the 40 todos the caller made), mem (warm `/me`
// with a random one of MANY tokens, default 10,000, each seen once before: the per-person caches
// at the size the bench's 10,000 users give them), pagem (GET /todos/ of a random one of MANY
// seeded users: PG=1 only). PG=1: the API on PostgreSQL instead of SQLite (a database of its
// own, `<test database>_cgroute`; MANY users × 30 todos seeded there once the first build migrated it,
// their tokens the `mem` route's), so that only the API's instructions are counted.
//
// Usage: node bench/tools/callgrind-route.mjs [rounds] [amount] [warmup] [routes,…] name=ROOT[:ENV=V,…] …
import { execFileSync, spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBenchDatabase, seedPostgres } from '../lib/db.mjs';
import { median } from '../lib/load.mjs';
import { freePort, sleep } from '../lib/proc.mjs';
import { apiNodeFlags, parseBuild } from '../lib/servers.mjs';
import { startIssuer } from '../lib/tokens.mjs';

const [
  roundsArg = '3',
  amountArg = '2000',
  warmArg = '3000',
  routesArg = 'healthz,me,page',
  ...builds
] = process.argv.slice(2);
const rounds = Number(roundsArg);
const amount = Number(amountArg);
const warmup = Number(warmArg);
const routes = routesArg.split(',');
if (builds.length === 0) throw new Error('name=ROOT[:ENV=V,…] expected');

const iss = await startIssuer();
const [token] = await iss.mint(1, { first: 30_000, threads: 1 });
const auth = { authorization: `Bearer ${token}` };
const pgUrl = process.env.PG ? (await createBenchDatabase('cgroute')).url : undefined;
const manyRoutes = routesArg.split(',').filter((r) => r === 'mem' || r === 'pagem');
// Seeded users are 0…MANY−1 (`seedPostgres`); the one-token routes' user is 30,000.
const many = manyRoutes.length
  ? (await iss.mint(Number(process.env.MANY ?? 10_000), { first: 0 })).map((t) => ({
      authorization: `Bearer ${t}`,
    }))
  : [];
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

// The DPoP route's client key, its RFC 7638 thumbprint and a token bound to it (RFC 9449 §6.1).
const b64sha256 = (text) => createHash('sha256').update(text).digest('base64url');
const b64json = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const client = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = client.publicKey.export({ format: 'jwk' });
const jkt = b64sha256(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }));
const [dpopToken] = routesArg.split(',').includes('dpop')
  ? await iss.mint(1, { first: 30_000, threads: 1, claims: { cnf: { jkt } } })
  : [''];
const proofHead = b64json({ typ: 'dpop+jwt', alg: 'ES256', jwk });
/** Each port's server nonce, once it asked for one (RFC 9449 §8). */
const nonces = new Map();

/** A new proof for `GET http://127.0.0.1:<port>/me`, signed now (RFC 9449 §4.2). */
function proofFor(port) {
  const nonce = nonces.get(port);
  const claims = {
    jti: randomUUID(),
    htm: 'GET',
    htu: `http://127.0.0.1:${port}/me`,
    iat: Math.floor(Date.now() / 1000),
    ath: b64sha256(dpopToken),
    ...(nonce ? { nonce } : {}),
  };
  const input = `${proofHead}.${b64json(claims)}`;
  const sig = sign('sha256', Buffer.from(input), {
    key: client.privateKey,
    dsaEncoding: 'ieee-p1363',
  });
  return `${input}.${sig.toString('base64url')}`;
}

function request(port, path, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, method, headers, agent, timeout: 600_000 },
      (res) => {
        const nonce = res.headers['dpop-nonce'];
        if (typeof nonce === 'string') nonces.set(port, nonce);
        let bytes = 0;
        res.on('data', (c) => {
          bytes += c.length;
        });
        res.on('end', () => resolve({ status: res.statusCode, bytes }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** `n` requests, 8 at a time; throws on any status but `ok`. */
async function fireN(port, n, spec, ok = 200) {
  let left = n;
  let bytes = 0;
  const worker = async () => {
    while (left-- > 0) {
      const headers = typeof spec.headers === 'function' ? spec.headers(port) : spec.headers;
      let res = await request(port, spec.path, { ...spec, headers });
      // A proof from before the server's start needs its nonce: asked once, then sent along.
      if (res.status === 401 && typeof spec.headers === 'function')
        res = await request(port, spec.path, { ...spec, headers: spec.headers(port) });
      if (res.status !== ok) throw new Error(`${spec.path}: ${res.status}`);
      bytes += res.bytes;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return bytes / n;
}

const SPECS = {
  healthz: { path: '/healthz' },
  // The control: /healthz carrying the same Authorization header, which it never reads.
  healthzb: { path: '/healthz', headers: auth },
  me: { path: '/me', headers: auth },
  dpop: {
    path: '/me',
    headers: (port) => ({ authorization: `DPoP ${dpopToken}`, dpop: proofFor(port) }),
  },
  page: { path: '/todos/', headers: auth },
  mem: { path: '/me', headers: () => many[Math.floor(Math.random() * many.length)] },
  pagem: { path: '/todos/', headers: () => many[Math.floor(Math.random() * many.length)] },
};

/** Every API process started, ended if this tool fails. */
const started = [];
process.on('exit', () => {
  for (const proc of started) if (proc.exitCode === null) proc.kill('SIGKILL');
});

async function startUnderCallgrind({ name, root, env, nodeOptions }) {
  const dir = mkdtempSync(join(tmpdir(), `cg-${name}-`));
  const port = await freePort();
  const proc = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      `--vgdb-prefix=${join(dir, 'vgdb')}`,
      `--callgrind-out-file=${join(dir, 'cg.out')}`,
      process.execPath,
      ...apiNodeFlags(root),
      ...nodeOptions,
      join(root, 'packages/api/dist/server.js'),
    ],
    {
      cwd: root,
      stdio: ['ignore', 'ignore', 'ignore'],
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        OIDC_ISSUER: iss.issuer.issuer,
        OIDC_AUDIENCE: 'todo-api',
        OIDC_PROVIDER: 'keycloak',
        DATA_DIR: dir,
        DATABASE_URL: pgUrl ?? '',
        LOG_LEVEL: 'info',
        RATE_LIMIT_PER_MINUTE: '999999999',
        NODE_ENV: 'production',
        ...env,
      },
    },
  );
  started.push(proc);
  for (let i = 0; ; i++) {
    try {
      if ((await request(port, '/healthz')).status === 200) break;
    } catch {}
    if (i > 600 || proc.exitCode !== null) throw new Error(`${name} did not start`);
    await sleep(500);
  }
  const body = JSON.stringify({ title: 'Benchmark todo', description: 'written by npm run bench' });
  const post = { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body };
  if (routes.includes('pagem') && started.length === 1)
    await seedPostgres(pgUrl, iss.issuer.issuer, { total: many.length * 30, users: many.length });
  // Every one of the many tokens once (each a verification, with the instrumentation off).
  if (manyRoutes.length)
    for (let i = 0; i < many.length; i += 1000)
      await fireN(port, Math.min(1000, many.length - i), {
        path: manyRoutes.includes('pagem') ? '/todos/' : '/me',
        headers: (() => {
          let j = i;
          return () => many[j++];
        })(),
      });
  if (routes.includes('page'))
    for (let i = 0; i < 40; i++) await fireN(port, 1, { path: '/todos/', ...post }, 201);
  return { name, port, proc, dir, ir: Object.fromEntries(routes.map((r) => [r, []])), bytes: {} };
}

const control = (api, ...args) =>
  execFileSync(
    'callgrind_control',
    [`--vgdb-prefix=${join(api.dir, 'vgdb')}`, ...args, String(api.proc.pid)],
    // vgdb names its pipes after $HOST, which the API's environment sets to its address.
    { encoding: 'utf8', env: { ...process.env, HOST: '127.0.0.1' } },
  );

/** V8 compiling (its tiers, the parser) and collecting garbage: work a long run amortises. */
const COMPILE =
  /compiler::|[Mm]aglev|interpreter::Bytecode|BytecodeGenerator|Parser|Scanner|baseline::|Compiler::|OptimizedCompilationJob/;
const GC = /Heap|heap::|Scaveng|Mark|Sweep|Evacuat|GC|MemoryChunk|Worklist|Marking/;

/**
 * The last dump's instructions (the file callgrind wrote for it): in all, and split by the
 * function that ran them into V8's compilers, its collector and the rest (the requests' own
 * work, which warm-up cannot change).
 */
function lastDumpIr(api) {
  const files = readdirSync(api.dir)
    .filter((f) => /^cg\.out\.\d+$/.test(f))
    .map((f) => join(api.dir, f));
  files.sort((a, b) => Number(a.split('.').at(-1)) - Number(b.split('.').at(-1)));
  const text = execFileSync(
    'callgrind_annotate',
    ['--inclusive=no', '--threshold=100', files.at(-1)],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    },
  );
  const split = { all: 0, compile: 0, gc: 0, rest: 0 };
  for (const line of text.split('\n')) {
    const m = /^\s*([\d,]+) \([ \d.]+%\)\s+(.*)$/.exec(line);
    if (!m || m[2].includes('PROGRAM TOTALS')) continue;
    const n = Number(m[1].replaceAll(',', ''));
    split.all += n;
    if (COMPILE.test(m[2])) split.compile += n;
    else if (GC.test(m[2])) split.gc += n;
    else split.rest += n;
  }
  return split;
}

async function measure(api, route) {
  const spec = SPECS[route];
  await fireN(api.port, warmup, spec);
  control(api, '--instr=on');
  control(api, '--zero');
  api.bytes[route] = await fireN(api.port, amount, spec);
  control(api, `--dump=${route}`);
  control(api, '--instr=off');
  const split = lastDumpIr(api);
  for (const k of Object.keys(split)) split[k] /= amount;
  return split;
}

const k = (n) => `${(n / 1000).toFixed(1)} k`;
const apis = [];
for (const spec of builds) apis.push(await startUnderCallgrind(parseBuild(spec)));
// The first warm-up, long: under valgrind V8 keeps compiling for thousands of requests.
const first = Number(process.env.FIRST_WARMUP ?? 10_000);
for (const api of apis) for (const r of routes) await fireN(api.port, first, SPECS[r]);
for (let n = 0; n < rounds; n++) {
  const order = n % 2 === 0 ? apis : [...apis].reverse();
  for (const api of order) {
    const line = [];
    for (const r of routes) {
      const ir = await measure(api, r);
      api.ir[r].push(ir);
      line.push(`${r} ${k(ir.rest)} (all ${k(ir.all)}, compile ${k(ir.compile)}, gc ${k(ir.gc)})`);
    }
    console.log(
      `round ${n} ${api.name.padEnd(6)} ${line.join('  ')}  load ${loadavg()[0].toFixed(1)}`,
    );
  }
}
console.log(
  "\nmedians, instructions per request (all threads) outside V8's compilers and collector; in all",
);
for (const a of apis)
  console.log(
    `${a.name.padEnd(6)} ${routes.map((r) => `${r} ${k(median(a.ir[r].map((x) => x.rest)))}; ${k(median(a.ir[r].map((x) => x.all)))} (${a.bytes[r].toFixed(0)} B)`).join('  ')}`,
  );
const [base, ...others] = apis;
for (const o of others)
  console.log(
    `${o.name} − ${base.name}, paired median: ${routes.map((r) => `${r} ${k(median(o.ir[r].map((x, i) => x.rest - base.ir[r][i].rest)))}`).join('  ')}`,
  );
for (const a of apis) {
  a.proc.kill('SIGINT');
  await new Promise((r) => a.proc.once('exit', r));
  if (process.env.KEEP) console.log(`${a.name}: dumps kept in ${a.dir}`);
  else rmSync(a.dir, { recursive: true, force: true });
}
await iss.issuer.close();
process.exit(0);
