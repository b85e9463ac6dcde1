#!/usr/bin/env node
// `npm run bench`: todo-sso measured on this machine, every ratio taken within one run.
//
//   npm run bench                     full run (≈ 10 minutes on 2 cores)
//   npm run bench -- --quick          short smoke variant (≈ 5 minutes, smaller seed)
//   npm run bench -- --only=auth,todos   some sections: verify, auth, todos, anchor, dpop, lists, garbage, scale
//                                        (SQLite), postgres (4, 8 and pgbench), introspect, stack
//   npm run bench -- --check          exit 1 when a figure is invalid (errors, wrong statuses)
//   npm run bench -- --cpu-prof=DIR   write --cpu-prof profiles of the API processes to DIR
//   npm run bench -- --profile        instead of the figures: each hot route under load on a
//                                     profiled API, summarised in results/profile.md
//   npm run bench -- --log-level=warn API log level (default info, the production default)
//
// Plain ESM JavaScript on purpose: it runs with `node` alone (no build step, no loader) and
// drives the built servers (`packages/*/dist`) in child processes exactly as they run in
// production. The server under test is pinned to core 1, the load generator (wrk in its own
// process when installed, else autocannon in this one; BENCH_LOADGEN=autocannon forces it) to
// core 0.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { seedSqlite } from './lib/db.mjs';
import { loadGeneratorLabel } from './lib/load.mjs';
import { cores, LOAD_CORE, pinning, pinSelf, ROOT, removeLogs, SERVER_CORE } from './lib/proc.mjs';
import { startApiProcess } from './lib/servers.mjs';
import { Table } from './lib/table.mjs';
import { malformedTokens, startIssuer } from './lib/tokens.mjs';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    check: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    profile: { type: 'boolean', default: false },
    'log-level': { type: 'string', default: 'info' },
    out: { type: 'string' },
  },
});

const SECTIONS = [
  'verify',
  'auth',
  'todos',
  'anchor',
  'dpop',
  'lists',
  'garbage',
  'scale',
  'postgres',
  'introspect',
  'stack',
];
const only = new Set(args.only ? args.only.split(',') : SECTIONS);
const wants = (s) => only.has(s);

const cfg = args.quick
  ? {
      quick: true,
      rounds: 3,
      duration: 1,
      warmup: 0.5,
      verifySeconds: 0.4,
      pool: 10_500,
      introspectTokens: 150,
      idleMs: 2000,
      profileSeconds: 2,
      scale: { total: 100_000, users: 10_000 },
    }
  : {
      rounds: 5,
      duration: 3,
      warmup: 2,
      verifySeconds: 1,
      pool: 12_000,
      introspectTokens: 600,
      idleMs: 5000,
      profileSeconds: 6,
      scale: { total: 1_000_000, users: 10_000 },
    };

const t0 = performance.now();
const log = (msg) =>
  process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${msg}\n`);
const table = new Table();
const tmp = mkdtempSync(join(tmpdir(), 'todo-sso-bench-'));

log('building the server packages (tsc -b)');
const build = spawnSync('npx', ['tsc', '-b'], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) process.exit(1);

log(`minting ${cfg.pool.toLocaleString('en-US')} tokens`);
const issuer = await startIssuer();
const pool = await issuer.mint(cfg.pool);
const [warmToken] = await issuer.mint(1, { first: 20_000, threads: 1 });
// From here on this process (load generator, test issuer) stays on its own core.
pinSelf(LOAD_CORE);
const ctx = {
  cfg,
  tmp,
  issuer,
  pool,
  warmToken,
  logLevel: args['log-level'],
  randomKid: issuer.randomKidTokens(20_000),
  malformed: malformedTokens(6_000),
};
const cpuProf = (name) => (args['cpu-prof'] ? join(args['cpu-prof'], name) : undefined);
ctx.cpuProf = cpuProf;

/** Runs a section; its failure is an invalid row in the results, not the end of the run. */
async function guarded(section, name, fn) {
  try {
    await fn();
  } catch (error) {
    log(`${name} failed: ${error.stack}`);
    table.add(section, `${name}: the section failed`, 'n/a', {
      target: 'its targets',
      valid: false,
      note: error.message,
    });
  }
}

const auth = await import('./sections/auth.mjs');
const todos = await import('./sections/todos.mjs');

if (args.profile) {
  try {
    await (await import('./sections/profile.mjs')).profile(
      ctx,
      log,
      args.out ?? join(ROOT, 'bench/results', args.quick ? 'profile-quick.md' : 'profile.md'),
    );
  } finally {
    await issuer.issuer.close();
    rmSync(tmp, { recursive: true, force: true });
    removeLogs();
  }
  process.exit(0);
}

try {
  let raw = Number.NaN;
  if (wants('verify') || wants('auth')) {
    log('in-process verification rates (raw crypto, authenticate cold/warm, jose)');
    raw = (await auth.verificationRates(ctx, table)).raw;
  }
  if (['auth', 'todos', 'anchor', 'dpop', 'lists', 'garbage', 'scale'].some(wants)) {
    const dataDir = mkdtempSync(join(tmp, 'api-sqlite-'));
    const api = await startApiProcess({
      issuer: issuer.issuer.issuer,
      dataDir,
      logLevel: ctx.logLevel,
      cpuProfDir: cpuProf('sqlite'),
    });
    try {
      if (wants('auth')) {
        log('HTTP: baseline, warm and cold auth');
        await auth.httpAuth(ctx, table, api, raw);
      }
      if (wants('todos')) {
        log('HTTP: todos on SQLite');
        await todos.todoWork(ctx, table, api, 'SQLite');
      }
      if (wants('anchor')) {
        log('HTTP: the Node anchor (Express + express-oauth2-jwt-bearer) beside the API');
        await guarded('A', 'Node anchor', () =>
          import('./sections/anchor.mjs').then((m) => m.anchor(ctx, table, api)),
        );
      }
      if (wants('dpop')) {
        log('HTTP: DPoP warm request beside Bearer; raw ES256 verify');
        await guarded('D', 'DPoP', () =>
          import('./sections/dpop.mjs').then((m) => m.dpop(ctx, table, api)),
        );
      }
      if (wants('lists')) {
        log('HTTP: shared lists and AuthZEN evaluations');
        await guarded('L', 'shared lists and AuthZEN', () =>
          import('./sections/lists.mjs').then((m) => m.lists(ctx, table, api)),
        );
      }
      if (wants('garbage')) {
        log('HTTP: garbage flood');
        await auth.garbageFlood(ctx, table, api);
      }
      if (wants('scale')) {
        log(`scale on SQLite: seeding ${cfg.scale.total.toLocaleString('en-US')} todos`);
        await guarded('8', 'scale on SQLite', () =>
          todos.scale(ctx, table, api, 'SQLite', async () =>
            seedSqlite(join(dataDir, 'todo.db'), issuer.issuer.issuer, cfg.scale),
          ),
        );
      }
    } finally {
      await api.stop();
    }
  }
  if (wants('postgres')) {
    await guarded('P', 'PostgreSQL', () =>
      import('./sections/postgres.mjs').then((m) => m.postgres(ctx, table, log)),
    );
  }
  if (wants('introspect')) {
    log('introspection mode against the dev IdP');
    await (await import('./sections/introspect.mjs')).introspection(ctx, table);
  }
  if (wants('stack')) {
    log('npm start: time to ready and idle RSS');
    await (await import('./sections/stack.mjs')).stack(ctx, table);
  }
} finally {
  await issuer.issuer.close();
  rmSync(tmp, { recursive: true, force: true });
  removeLogs();
}

const seconds = (performance.now() - t0) / 1000;
const header = [
  `# todo-sso benchmark${args.quick ? ' (--quick)' : ''}`,
  '',
  `${new Date().toISOString()} · Node ${process.version} · ${cpus()[0]?.model ?? 'cpu'} × ${cores} · ` +
    (pinning
      ? `server pinned to core ${SERVER_CORE}, load generator to core ${LOAD_CORE}`
      : 'no CPU pinning') +
    ` · load generator ${loadGeneratorLabel()}, 50 connections, warm-up ${cfg.warmup} s, median of ${cfg.rounds} × ${cfg.duration} s · ` +
    `API LOG_LEVEL=${ctx.logLevel}, rate limit lifted · run took ${seconds.toFixed(0)} s`,
  '',
  '"per core" = requests ÷ CPU seconds the server process used in the same round (all its threads,',
  'from /proc/<pid>/task/*/schedstat): the throughput of one fully used core, which other load on',
  'this shared machine does not distort. Targets that compare rates are judged on it; the wall-clock',
  'req/s is printed beside. In-process rates are calls per CPU second of their process.',
  '',
  '"#": 1–8 the figures of the first rounds (8: at scale); A the Node anchor (Express +',
  'express-oauth2-jwt-bearer); P PostgreSQL against pgbench; D DPoP; L shared lists and AuthZEN.',
].join('\n');
const markdown = table.markdown(header);
process.stdout.write(`\n${markdown}`);
if (!args.only) {
  const out = args.out ?? join(ROOT, 'bench/results', args.quick ? 'quick.md' : 'latest.md');
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, markdown);
  log(`written to ${out}`);
}
if (args.check && table.rows.some((r) => r.status === 'invalid')) process.exit(1);
process.exit(0);
