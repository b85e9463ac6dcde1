// `npm run bench -- --profile`: where a request's CPU time goes. Each hot route is loaded on an
// API process running under `--cpu-prof`; the samples taken while that route was under load
// (a time window of the one profile) are summed per package and per frame, divided by the
// requests answered in the window, and written to results/profile.md. Anything below a
// "## Findings" heading in that file is kept: the written analysis survives regeneration.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { summarise } from '../lib/cpuprofile.mjs';
import { createBenchDatabase } from '../lib/db.mjs';
import { fire } from '../lib/load.mjs';
import { ROOT, threadCpuNs } from '../lib/proc.mjs';
import { startApiProcess } from '../lib/servers.mjs';
import { fmt } from '../lib/table.mjs';
import { cycle } from './auth.mjs';
import { dpopLoad } from './dpop.mjs';
import { ensureTodos } from './todos.mjs';

/** Sampling interval (µs): finer than V8's default 1 ms, so a 50 µs request gets samples. */
const INTERVAL_US = 250;
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
const bearer = (token) => ({ authorization: `Bearer ${token}` });

/** The routes profiled on one database, in an order that keeps the listing at 20 todos. */
function routes(ctx, api, engine) {
  const h = bearer(ctx.warmToken);
  const todos = [
    { name: `GET /todos/ (page of 20), ${engine}`, url: `${api.url}/todos/`, headers: h },
    {
      name: `POST /todos/, ${engine}`,
      url: `${api.url}/todos/`,
      method: 'POST',
      headers: h,
      body: JSON.stringify({ title: 'Benchmark todo', description: 'written by npm run bench' }),
      expect: 201,
    },
  ];
  if (engine !== 'SQLite') return todos;
  return [
    { name: 'GET /healthz (the floor)', url: `${api.url}/healthz` },
    { name: 'warm GET /me (one token, cached)', url: `${api.url}/me`, headers: h },
    { name: 'cold GET /me (a new token each)', url: `${api.url}/me`, requests: cycle(ctx.pool) },
    ...todos,
    {
      name: 'warm DPoP GET /me (a new proof each)',
      // Proofs are signed before the window; a load is a fixed number of requests.
      prepare: async () => {
        const d = await dpopLoad(ctx, api);
        if (d.refused) return { skip: `the API does not accept DPoP (answered ${d.refused})` };
        const amount = Math.round(ctx.cfg.profileSeconds * 4000);
        return { warmup: await d.load(amount), load: await d.load(amount) };
      },
    },
  ];
}

/** Loads each route in turn on one profiled API process; returns the windows and counts. */
async function profileApi(ctx, engine, options) {
  const dir = join(ctx.tmp, `prof-${engine}`);
  mkdirSync(dir, { recursive: true });
  const api = await startApiProcess({
    issuer: ctx.issuer.issuer.issuer,
    dataDir: join(dir, 'data'),
    logLevel: ctx.logLevel,
    cpuProfDir: dir,
    cpuProfInterval: INTERVAL_US,
    ...options,
  });
  const windows = [];
  const skipped = [];
  try {
    await ensureTodos(api, ctx.warmToken, 20);
    for (const route of routes(ctx, api, engine)) {
      const spec = { ...route, pid: api.pid };
      const prepared = route.prepare ? await route.prepare() : undefined;
      if (prepared?.skip) {
        skipped.push(`${route.name}: ${prepared.skip}`);
        continue;
      }
      await fire(prepared?.warmup ?? { ...spec, duration: ctx.cfg.warmup });
      const from = monotonicUs();
      const main0 = threadCpuNs(api.pid);
      const r = await fire(prepared?.load ?? { ...spec, duration: ctx.cfg.profileSeconds });
      const mainUs = (threadCpuNs(api.pid) - main0) / 1000 / r.total;
      const to = monotonicUs();
      const bad = [...r.statuses].filter(([s]) => s !== (route.expect ?? 200));
      windows.push({ route: route.name, from, to, r, bad, mainUs });
    }
  } finally {
    await api.stop();
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no profile written in ${dir}`);
  // The raw profile stays for a closer look (git-ignored): node bench/tools/top-frames.mjs FILE.
  const keep = join(ROOT, 'bench/results/profiles');
  mkdirSync(keep, { recursive: true });
  copyFileSync(join(dir, file), join(keep, `${engine}.cpuprofile`));
  return {
    windows: windows.map((w) => ({ ...w, ...summarise(join(dir, file), { window: w }) })),
    skipped,
  };
}

const pct = (part, whole) => `${fmt((100 * part) / whole, 1)} %`;

/**
 * µs of main-thread CPU per request for a sum of samples: the samples' share of the busy ones
 * times the thread's CPU time per request (from schedstat). V8 samples at wall-clock intervals,
 * so on a busy machine a sample also lands while the thread waits for a core; shares survive
 * that, absolute sampled times do not.
 */
const cpuPerRequest = (w) => (us) => (us / w.busyUs) * w.mainUs;

/** One route's section of profile.md. */
function routeMarkdown(w) {
  const perReq = cpuPerRequest(w);
  const busy = w.busyUs / w.r.total;
  const lines = [
    `### ${w.route}`,
    '',
    `${fmt(w.r.total)} requests in ${fmt((w.to - w.from) / 1e6, 1)} s (${fmt(w.r.rps)} req/s under the profiler) · ` +
      `main thread CPU ${fmt(w.mainUs, 1)} µs/request (schedstat; ${fmt(busy, 1)} µs sampled busy) · process CPU ${fmt(w.r.cpuUs, 1)} µs/request (all threads)` +
      (w.bad.length
        ? ` · **unexpected statuses: ${w.bad.map(([s, n]) => `${n}×${s}`).join(', ')}**`
        : ''),
    '',
    '| suspect (innermost on the stack) | µs/request | share of busy |',
    '|---|---:|---:|',
    ...w.suspects.map((x) => `| ${x.name} | ${fmt(perReq(x.us), 1)} | ${pct(x.us, w.busyUs)} |`),
    '',
    '| package (of the frame itself) | µs/request | share of busy |',
    '|---|---:|---:|',
    ...w.packages.map((p) => `| ${p.pkg} | ${fmt(perReq(p.us), 1)} | ${pct(p.us, w.busyUs)} |`),
    '',
    '| top frames by self time | package | µs/request | share |',
    '|---|---|---:|---:|',
    ...w.frames
      .slice(0, 15)
      .map(
        (f) =>
          `| \`${f.label.replaceAll('|', '\\|')}\` | ${f.pkg} | ${fmt(perReq(f.us), 2)} | ${pct(f.us, w.busyUs)} |`,
      ),
    '',
  ];
  return lines.join('\n');
}

/** Runs the profile pass and writes `out` (keeping its "## Findings" section). */
export async function profile(ctx, log, out) {
  log('profile: API on SQLite under --cpu-prof');
  const sqlite = await profileApi(ctx, 'SQLite', {});
  const results = sqlite.windows;
  const notes = sqlite.skipped.map((s) => `Not profiled: ${s}.`);
  const db = await createBenchDatabase();
  if (db.error) notes.push(`PostgreSQL not profiled: ${db.error}`);
  else {
    log(`profile: API on PostgreSQL (${db.name}) under --cpu-prof`);
    results.push(...(await profileApi(ctx, 'PostgreSQL', { databaseUrl: db.url })).windows);
  }
  const previous = existsSync(out) ? readFileSync(out, 'utf8') : '';
  const findingsAt = previous.indexOf('\n## Findings');
  const findings = findingsAt >= 0 ? previous.slice(findingsAt + 1) : '';
  const floor = results[0].mainUs;
  const overview = [
    `| route | main-thread CPU µs/req | over ${results[0].route.split(' (')[0]} | top suspects (µs/req) |`,
    '|---|---:|---:|---|',
    ...results.map((w) => {
      const perReq = cpuPerRequest(w);
      const top = w.suspects
        .slice(0, 6)
        .map((x) => `${x.name} ${fmt(perReq(x.us), 1)}`)
        .join(', ');
      return `| ${w.route} | ${fmt(w.mainUs, 1)} | ${fmt(w.mainUs - floor, 1)} | ${top} |`;
    }),
  ];
  const text = [
    '# Where the request path spends its CPU',
    '',
    `Generated by \`npm run bench -- --profile${ctx.cfg.quick ? ' --quick' : ''}\` · ${new Date().toISOString()} · Node ${process.version} · ` +
      `API LOG_LEVEL=${ctx.logLevel} · ${ctx.cfg.profileSeconds} s per route after ${ctx.cfg.warmup} s warm-up, ` +
      `50 connections · V8 sampling every ${INTERVAL_US} µs.`,
    '',
    "Self time of the API process's main thread while one route was under load, per request: each",
    "frame's share of the samples times the main thread's CPU time per request (schedstat), so a",
    'busy machine does not inflate it (V8 samples at wall-clock intervals; a frame blocked in a',
    'system call collects samples without using CPU, so its figure is an upper bound). A native function (no script of its own) counts for the package',
    'that called it: `libsql` includes the SQLite engine, `node internals` the C++ behind `node:`',
    'modules. `(garbage collector)` and `(program)` (V8 and libuv work no JavaScript frame owns) are',
    'shown apart. "Suspects" charge each sample to the innermost frame on its stack that belongs',
    'to logging, rate limiting, metrics, headers, serialisation, validation, the SQL builder, the',
    'database driver or the token check (so a socket write made by the logger is logging); the rest',
    'goes by the package of the sampled frame (`other: node internals` is mostly HTTP parsing and',
    'socket writes). The profiler slows the process; compare routes with each other, not with the',
    'rates of `results/latest.md`.',
    ...(notes.length ? ['', ...notes] : []),
    '',
    '## Overview',
    '',
    ...overview,
    '',
    '## Per route',
    '',
    ...results.map(routeMarkdown),
    findings,
  ].join('\n');
  writeFileSync(out, `${text.trimEnd()}\n`);
  log(`profile written to ${out}`);
  return results;
}
