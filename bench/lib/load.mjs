// autocannon rounds: a warm-up, then several measured rounds; figures are the median round.
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { cpuNs } from './proc.mjs';

/** Median of numbers (mean of the middle two for an even count). */
export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * One autocannon run. `next()` (optional) returns the headers/body/method of each request, so
 * every request can carry a different token. Returns req/s, latency percentiles (ms) and the
 * status counts, so a figure made of errors is never reported as throughput. With `pid` (the
 * server process), also the server's CPU time per request and its capacity: requests per
 * second of server CPU, i.e. the throughput of one fully used core. `onResponse(ms)`, if
 * given, hears each response's latency as it arrives; `watchLoop` also reports the longest
 * delay of the load generator's own event loop and its longest collector pause.
 */
export async function fire({
  pid,
  url,
  connections = 50,
  duration,
  amount,
  next,
  method = 'GET',
  body,
  headers = {},
  onResponse,
  watchLoop = false,
}) {
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
  };
}

/**
 * Warm-up then `rounds` measured runs of every scenario in `scenarios`, interleaved round by
 * round (A B C, A B C, …) so that drift of a noisy machine hits each the same. Returns, per
 * scenario, the median req/s and latencies plus the status counts of all measured rounds.
 */
export async function measure(scenarios, { rounds, duration, warmup }) {
  for (const s of scenarios) {
    if (s.warmupAmount) await fire({ ...s, amount: s.warmupAmount, duration: undefined });
    else await fire({ ...s, duration: warmup });
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
