// Load rounds: a warm-up, then several measured rounds; figures are the median round.
//
// The load generator is wrk (C, one thread, its own process pinned to the load core) when it is
// installed, autocannon (in this Node process) otherwise or with BENCH_LOADGEN=autocannon.
// wrk's own CPU is a fraction of autocannon's and it has no event loop stalls or collector
// pauses to add to the measured latencies; figures taken with one are not comparable with
// figures taken with the other. Runs that need a per-response callback (`onResponse`) or a
// request function (`next`) always use autocannon.

import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { cpuNs, LOAD_CORE, pinning } from './proc.mjs';

/** Median of numbers (mean of the middle two for an even count). */
export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * The requests of a load that differ from one request to the next (a token pool, single-use
 * DPoP proofs), given as a list so that a load generator in another process can be handed all
 * of them: `{ headers?, method?, body? }` each, merged over the load's own. `order`:
 * - 'cycle': the list in order, wrapping; the position carries over from one run to the next
 *   (a pool larger than the API's token cache then misses it on every request of every round);
 * - 'random': a uniformly random entry each request;
 * - 'once': the list in order, each entry at most once over all runs (single-use requests);
 *   a run needs `amount` and there must be that many entries left.
 */
export function requests(list, order = 'cycle') {
  if (!['cycle', 'random', 'once'].includes(order)) throw new Error(`unknown order ${order}`);
  if (list.length === 0) throw new Error('an empty request list');
  return { list, order, cursor: 0, files: new Map() };
}

/** A `next()` over a request list (autocannon), advancing its position as wrk's runs do. */
function nextOf(source) {
  const { list, order } = source;
  if (order === 'random') return () => list[Math.floor(Math.random() * list.length)];
  if (order === 'cycle') return () => list[source.cursor++ % list.length];
  return () => {
    if (source.cursor >= list.length) throw new Error('a single-use request list ran out');
    return list[source.cursor++];
  };
}

let wrkFound;
/** wrk's version string ("debian/4.1.0-3+b2"), or undefined when it is not installed. */
export function wrkVersion() {
  if (wrkFound === undefined) {
    const r = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
    wrkFound = /^wrk (\S+)/m.exec(`${r.stdout ?? ''}${r.stderr ?? ''}`)?.[1] ?? null;
  }
  return wrkFound ?? undefined;
}

/** 'wrk' or 'autocannon': the load generator of runs that can use either. */
export function loadGenerator() {
  const wanted = process.env.BENCH_LOADGEN;
  if (wanted === 'autocannon') return 'autocannon';
  if (wanted && wanted !== 'wrk') throw new Error(`BENCH_LOADGEN=${wanted}: wrk or autocannon`);
  if (wrkVersion()) return 'wrk';
  if (wanted === 'wrk') throw new Error('BENCH_LOADGEN=wrk but wrk is not installed');
  return 'autocannon';
}

const autocannonVersion = createRequire(import.meta.url)('autocannon/package.json').version;
const used = { wrk: 0, autocannon: 0, forced: 0 };

/** Which load generator the runs so far used, for the results' header line. */
export function loadGeneratorLabel() {
  const wrk = `wrk ${wrkVersion()} (its own process, 1 thread, on the load core)`;
  const ac = `autocannon ${autocannonVersion} (in the bench's Node process)`;
  if (used.wrk && used.autocannon)
    return `${wrk}; autocannon ${autocannonVersion} for ${used.autocannon} runs${used.forced ? ` (${used.forced} needing a request function or a per-response callback)` : ''}`;
  if (used.wrk) return wrk;
  if (used.autocannon || loadGenerator() === 'autocannon') return ac;
  return wrk;
}

/**
 * The `Idempotency-Key` of a load with `freshKeys`: each request sends a key of its own instead
 * (wrk: the Lua script replaces this placeholder; autocannon: a random UUID per request).
 */
export const FRESH_KEY = '00000000-0000-4000-8000-000000000000';

/**
 * One load run. Either the same request every time (`method`, `headers`, `body`) or
 * `requests` (a list from `requests()`) whose entries are merged over them. Returns req/s,
 * latency percentiles (ms) and the status counts, so a figure made of errors is never reported
 * as throughput. With `pid` (the server process), also the server's CPU time per request and
 * its capacity: requests per second of server CPU, i.e. the throughput of one fully used core.
 * `loadCpuUs`: the load generator's own CPU per response. `amount`: exactly that many requests
 * instead of `duration` seconds. Autocannon only: `next()` returns each request's
 * headers/body/method; `onResponse(ms)` hears each response's latency as it arrives;
 * `watchLoop` reports the longest delay of the load generator's event loop and its longest
 * collector pause (NaN with wrk, which has neither). `freshKeys`: every request sends an
 * `Idempotency-Key` no other request sends (a keyed create is a new create each time).
 */
export async function fire(spec) {
  const forced = spec.onResponse !== undefined || (spec.next !== undefined && !spec.requests);
  const gen = forced ? 'autocannon' : loadGenerator();
  used[gen]++;
  if (forced && loadGenerator() === 'wrk') used.forced++;
  return gen === 'wrk' ? fireWrk(spec) : fireAutocannon(spec);
}

/** One autocannon run in this process (see fire()). */
async function fireAutocannon({
  pid,
  url,
  connections = 50,
  duration,
  amount,
  next: nextFn,
  requests: source,
  method = 'GET',
  body,
  headers = {},
  onResponse,
  watchLoop = false,
  freshKeys = false,
}) {
  if (source?.order === 'once' && amount === undefined)
    throw new Error('single-use requests need an amount');
  if (source?.order === 'once' && source.cursor + amount > source.list.length)
    throw new Error(
      `${amount} single-use requests asked, ${source.list.length - source.cursor} left`,
    );
  const given = nextFn ?? (source && nextOf(source));
  const keyed = (n) => ({ ...n, headers: { ...n?.headers, 'idempotency-key': randomUUID() } });
  const next = freshKeys ? () => keyed(given?.()) : given;
  const statuses = new Map();
  const opts = {
    url,
    connections,
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body }),
    ...(amount === undefined ? { duration } : { amount }),
    // Keep-alive, no pipelining: one request in flight per connection, like real clients.
    pipelining: 1,
    timeout: 10,
  };
  if (next) {
    opts.requests = [
      {
        setupRequest: (req) => {
          const n = next();
          return { ...req, ...n, headers: { ...req.headers, ...n.headers } };
        },
      },
    ];
  }
  const cpuBefore = pid === undefined ? Number.NaN : cpuNs(pid);
  const ownBefore = process.cpuUsage();
  const loop = watchLoop ? monitorEventLoopDelay({ resolution: 10 }) : undefined;
  let gcMaxMs = watchLoop ? 0 : Number.NaN;
  const gc = watchLoop
    ? new PerformanceObserver((list) => {
        for (const e of list.getEntries()) gcMaxMs = Math.max(gcMaxMs, e.duration);
      })
    : undefined;
  const unwatch = () => {
    loop?.disable();
    gc?.disconnect();
  };
  const instance = autocannon(opts);
  // Watched while the requests run: from the start (clients made) to the end of the duration,
  // not autocannon's set-up or its results, which no request waits for.
  if (watchLoop)
    instance.once('start', () => {
      loop.enable();
      gc.observe({ entryTypes: ['gc'] });
      if (duration !== undefined) setTimeout(unwatch, duration * 1000);
    });
  instance.on('response', (_client, statusCode, _bytes, ms) => {
    statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
    onResponse?.(ms);
  });
  const result = await instance;
  unwatch();
  const own = process.cpuUsage(ownBefore);
  const cpu = pid === undefined ? Number.NaN : (cpuNs(pid) - cpuBefore) / 1e9;
  const total = [...statuses.values()].reduce((a, b) => a + b, 0);
  const seconds = result.duration || 1;
  return {
    rps: total / seconds,
    capacity: total / cpu,
    cpuUs: (cpu * 1e6) / total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    statuses,
    total,
    // This process's CPU per response (all its threads): the load generator's own cost.
    loadCpuUs: (own.user + own.system) / total,
    // With `watchLoop`: the longest delay of this process's event loop in the round (ms), a
    // stall that every response in flight then carried.
    loopMaxMs: loop ? loop.max / 1e6 : Number.NaN,
    // With `watchLoop`: the longest pause of this process's collector in the round (ms).
    gcMaxMs,
    loadgen: 'autocannon',
  };
}

const WRK_SCRIPT = fileURLToPath(new URL('./wrk-load.lua', import.meta.url));
const wrkDir = mkdtempSync(join(tmpdir(), 'todo-sso-wrk-'));
process.once('exit', () => rmSync(wrkDir, { recursive: true, force: true }));
const staticFiles = new Map();
let fileCount = 0;

/** The raw HTTP/1.1 request wrk sends: the load's method, headers and body under `r`'s. */
function rawRequest(url, { method, headers, body }, r = {}) {
  const u = new URL(url);
  const b = r.body ?? body;
  // The header lines autocannon sends too, so that both load the API with the same requests.
  const h = new Map([
    ['host', u.host],
    ['connection', 'keep-alive'],
  ]);
  if (b !== undefined) h.set('content-type', 'application/json');
  for (const [k, v] of Object.entries({ ...headers, ...r.headers })) h.set(k.toLowerCase(), v);
  if (b !== undefined) h.set('content-length', String(Buffer.byteLength(b)));
  const head = [`${r.method ?? method} ${u.pathname}${u.search} HTTP/1.1`];
  for (const [k, v] of h) head.push(`${k}: ${v}`);
  return `${head.join('\r\n')}\r\n\r\n${b ?? ''}`;
}

/** The file of distinct requests that the Lua script loads ("<bytes>\n<request>" each). */
const fileKey = (url, load) => JSON.stringify([url, load.method, load.headers, load.body]);

function requestFile(url, load, source) {
  const key = fileKey(url, load);
  const cache = source?.files ?? staticFiles;
  let file = cache.get(key);
  if (file) return file;
  const parts = [];
  for (const r of source?.list ?? [undefined]) {
    const raw = Buffer.from(rawRequest(url, load, r));
    parts.push(Buffer.from(`${raw.length}\n`), raw);
  }
  file = join(wrkDir, `${++fileCount}.req`);
  writeFileSync(file, Buffer.concat(parts));
  cache.set(key, file);
  return file;
}

/** Percentile (0–100) of a histogram [[µs, count], …] sorted by µs, as wrk ranks it; in ms. */
function percentileMs(hist, count, p) {
  const rank = Math.round((p / 100) * count + 0.5);
  let seen = 0;
  for (const [us, n] of hist) {
    seen += n;
    if (seen >= rank) return us / 1000;
  }
  return Number.NaN;
}

/**
 * Runs wrk until `stopWhen` (given the child and its stderr lines) says so, then stops it with
 * SIGINT, which ends wrk's run at once; returns its BENCH_RESULT.
 */
function runWrk(args, { duration, amount }) {
  const argv = pinning ? ['-c', String(LOAD_CORE), 'wrk', ...args] : args;
  const child = spawn(pinning ? 'taskset' : 'wrk', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d) => {
    out += d;
  });
  const timers = [];
  const stop = () => {
    for (const t of timers) clearTimeout(t);
    if (child.exitCode !== null) return;
    child.kill('SIGINT');
    // wrk ignores SIGINT until its threads are started: a run that ends sooner is asked again.
    timers.push(setTimeout(stop, 1000));
  };
  let partial = '';
  child.stderr.setEncoding('utf8').on('data', (d) => {
    err += d;
    // Whole lines only: a chunk may end inside one.
    const lines = (partial + d).split('\n');
    partial = lines.pop();
    for (const line of lines) {
      // "ready": requests loaded, connections about to open; the duration starts here.
      if (line === 'ready' && duration !== undefined)
        timers.push(setTimeout(stop, duration * 1000));
      // Exactly `amount` responses: the run is over.
      if (line === 'done') stop();
      // Every request started: the last responses get the request timeout (10 s), no more.
      if (line === 'sent') timers.push(setTimeout(stop, 10_000));
    }
  });
  // A run of `amount` requests that stalls before starting them all ends within this bound.
  if (amount !== undefined) timers.push(setTimeout(stop, 60_000 + amount * 2));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    // 'close', not 'exit': the result line must have been read off the pipe.
    child.once('close', (code, signal) => {
      for (const t of timers) clearTimeout(t);
      const line = out.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
      if (!line) {
        reject(new Error(`wrk ended (${code ?? signal}) without a result:\n${err}\n${out}`));
        return;
      }
      resolve(JSON.parse(line.slice('BENCH_RESULT '.length)));
    });
  });
}

/** One wrk run in its own process (see fire()). */
async function fireWrk({
  pid,
  url,
  connections = 50,
  duration,
  amount,
  requests: source,
  method = 'GET',
  body,
  headers: given = {},
  freshKeys = false,
}) {
  if (source?.order === 'once' && amount === undefined)
    throw new Error('single-use requests need an amount');
  if (source?.order === 'once' && source.cursor + amount > source.list.length)
    throw new Error(
      `${amount} single-use requests asked, ${source.list.length - source.cursor} left`,
    );
  const headers = freshKeys ? { ...given, 'idempotency-key': FRESH_KEY } : given;
  const file = requestFile(url, { method, headers, body }, source);
  const order = source?.order ?? 'static';
  const start = source?.order === 'random' ? 0 : (source?.cursor ?? 0);
  const cpuBefore = pid === undefined ? Number.NaN : cpuNs(pid);
  // -t 1: one thread, on the load core; -d: longer than any run, which SIGINT ends.
  const args = ['-t', '1', '-c', String(connections), '-d', '3600', '--timeout', '10s'];
  args.push('-s', WRK_SCRIPT, url, '--', file, order, String(start), String(amount ?? 0));
  args.push(String(connections), String(Math.floor(Math.random() * 2 ** 31)));
  if (freshKeys) args.push('fresh');
  const r = await runWrk(args, { duration, amount });
  const cpu = pid === undefined ? Number.NaN : (cpuNs(pid) - cpuBefore) / 1e9;
  if (source && source.order !== 'random') source.cursor += r.issued - r.overflow;
  // A single-use list used up: its file (DPoP proofs, tens of MB in a full run) goes now.
  if (source?.order === 'once' && source.cursor >= source.list.length) {
    rmSync(file, { force: true });
    source.files.delete(fileKey(url, { method, headers, body }));
  }
  const statuses = new Map(Object.entries(r.statuses).map(([k, v]) => [Number(k), v]));
  const total = [...statuses.values()].reduce((a, b) => a + b, 0);
  const hist = r.latency.sort((a, b) => a[0] - b[0]);
  const recorded = hist.reduce((a, [, n]) => a + n, 0);
  // Every response not over the timeout is in the histogram once the correction is undone.
  if (
    total !== r.requests ||
    recorded !== r.requests - r.errors.timeout ||
    hist.some(([, n]) => n < 0)
  )
    throw new Error(
      `wrk's counts disagree: ${total} statuses, ${r.requests} responses, ${recorded} latencies`,
    );
  const seconds =
    amount !== undefined && r.lastNs > 0 ? (r.lastNs - r.firstNs) / 1e9 : r.durationUs / 1e6;
  const { connect, read, write, timeout } = r.errors;
  return {
    rps: total / seconds,
    capacity: total / cpu,
    cpuUs: (cpu * 1e6) / total,
    p50: percentileMs(hist, recorded, 50),
    p99: percentileMs(hist, recorded, 99),
    // wrk's own p99, with its correction for coordinated omission (an open-loop model).
    p99Corrected: r.p99Corrected / 1000,
    // A request started beyond `amount`, or fewer responses than asked: the run is not valid.
    errors:
      connect +
      read +
      write +
      timeout +
      r.overflow +
      (amount === undefined ? 0 : Math.max(0, amount - total)),
    statuses,
    total,
    loadCpuUs: r.cpuNs / 1e3 / total,
    loopMaxMs: Number.NaN,
    gcMaxMs: Number.NaN,
    loadgen: 'wrk',
  };
}

/**
 * Warm-up then `rounds` measured runs of every scenario in `scenarios`, interleaved round by
 * round (A B C, A B C, …) so that drift of a noisy machine hits each the same. Returns, per
 * scenario, the median req/s and latencies plus the status counts of all measured rounds.
 */
export async function measure(scenarios, { rounds, duration, warmup }) {
  for (const s of scenarios) {
    // `warmupRequests` (optional): the warm-up's own request list, e.g. every user once.
    const warm = s.warmupRequests ? { ...s, requests: s.warmupRequests } : s;
    if (s.warmupAmount) await fire({ ...warm, amount: s.warmupAmount, duration: undefined });
    else await fire({ ...warm, duration: warmup });
  }
  const runs = scenarios.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (const [i, s] of scenarios.entries()) runs[i].push(await fire({ ...s, duration }));
  }
  return scenarios.map((s, i) => {
    const statuses = new Map();
    for (const run of runs[i])
      for (const [k, v] of run.statuses) statuses.set(k, (statuses.get(k) ?? 0) + v);
    const out = {
      name: s.name,
      rps: median(runs[i].map((x) => x.rps)),
      capacity: median(runs[i].map((x) => x.capacity)),
      cpuUs: median(runs[i].map((x) => x.cpuUs)),
      p50: median(runs[i].map((x) => x.p50)),
      p99: median(runs[i].map((x) => x.p99)),
      rounds: runs[i].map((x) => Math.round(x.rps)),
      errors: runs[i].reduce((a, x) => a + x.errors, 0),
      statuses,
      total: runs[i].reduce((a, x) => a + x.total, 0),
      loadgen: [...new Set(runs[i].map((x) => x.loadgen))].join('+'),
      loadCpuUs: median(runs[i].map((x) => x.loadCpuUs)),
    };
    const expected = s.expectStatus ?? [200];
    const unexpected = [...statuses].filter(([k]) => !expected.includes(k));
    out.valid = out.errors === 0 && unexpected.length === 0 && out.total > 0;
    out.note = out.valid
      ? ''
      : out.total === 0
        ? 'no response at all'
        : `unexpected: ${unexpected.map(([k, v]) => `${v}×${k}`).join(', ')}${out.errors ? ` ${out.errors} socket errors` : ''}`;
    return out;
  });
}
