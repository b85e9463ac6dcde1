// PostgreSQL: the API's figures (figure 4 on a small database; reads and writes at scale, the
// seeded 1M-todo database) and PostgreSQL against its own limit: pgbench replaying the very
// statements the API sends for a page and for a new todo (captured off the wire), with as many
// clients as the API's pool has connections, in rounds interleaved with the API's.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { createBenchDatabase, seededListId, seedPostgres } from '../lib/db.mjs';
import { fire, median, requests } from '../lib/load.mjs';
import { startCaptureProxy } from '../lib/pg-capture.mjs';
import { backendsCpu } from '../lib/pg-cpu.mjs';
import {
  buildScript,
  findPgbench,
  protocolOf,
  runPgbench,
  summarisePgbench,
} from '../lib/pgbench.mjs';
import { startApiProcess } from '../lib/servers.mjs';
import { fmt } from '../lib/table.mjs';
import { subjectOf } from '../lib/tokens.mjs';
import { throughput } from './auth.mjs';
import { expectFullPage, todoWork } from './todos.mjs';

/** The API's PostgreSQL pool size (`POOL_SIZE` in packages/api/src/db/postgres-pool.ts). */
const POOL = 10;
const bearer = (token) => ({ authorization: `Bearer ${token}` });
const NEW_TODO = JSON.stringify({
  title: 'Benchmark todo',
  description: 'written by npm run bench',
});

/** Statements of one GET /todos/ and one POST /todos/ by users 0 and 1 of the token pool. */
export async function capture(ctx, db) {
  const url = new URL(db.url);
  const proxy = await startCaptureProxy({ host: url.hostname, port: Number(url.port || 5432) });
  const viaProxy = new URL(db.url);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  const api = await startApiProcess({
    issuer: ctx.issuer.issuer.issuer,
    databaseUrl: viaProxy.toString(),
    dataDir: mkdtempSync(join(ctx.tmp, 'api-capture-')),
    logLevel: ctx.logLevel,
  });
  const get = async (token) => {
    const res = await fetch(`${api.url}/todos/`, { headers: bearer(token) });
    if (res.status !== 200) throw new Error(`capture: GET /todos/ → ${res.status}`);
    await res.arrayBuffer();
  };
  const post = async (token) => {
    const res = await fetch(`${api.url}/todos/`, {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: NEW_TODO,
    });
    if (res.status !== 201) throw new Error(`capture: POST /todos/ → ${res.status}`);
    await res.arrayBuffer();
  };
  const recorded = async (fn) => {
    proxy.take();
    proxy.state.recording = true;
    await fn();
    proxy.state.recording = false;
    return proxy.take();
  };
  try {
    const [a, b] = ctx.pool;
    // First requests of a user may do one-time work (owner profile); the second is captured.
    for (const t of [a, b]) {
      await get(t);
      await post(t);
    }
    return {
      read: { a: await recorded(() => get(a)), b: await recorded(() => get(b)) },
      write: { a: await recorded(() => post(a)), b: await recorded(() => post(b)) },
    };
  } finally {
    await api.stop();
    await proxy.close();
  }
}

const lat = (r) => `p50 ${fmt(r.p50, 1)} ms, p99 ${fmt(r.p99, 1)} ms`;

export async function postgres(ctx, table, log) {
  const db = await createBenchDatabase();
  if (db.error) {
    table.skip('4', 'GET/POST /todos/, PostgreSQL', `PostgreSQL unreachable: ${db.error}`);
    table.skip(
      '8',
      'GET /todos/ p99 at scale, PostgreSQL',
      'PostgreSQL unreachable',
      'p99 ≤ 15 ms',
    );
    for (const what of ['reads', 'writes'])
      table.unmeasured(
        'P',
        `API ${what} ÷ pgbench, PostgreSQL`,
        '≥ 0.50×',
        'PostgreSQL unreachable',
      );
    return;
  }
  const api = await startApiProcess({
    issuer: ctx.issuer.issuer.issuer,
    databaseUrl: db.url,
    dataDir: mkdtempSync(join(ctx.tmp, 'api-pg-')),
    logLevel: ctx.logLevel,
    cpuProfDir: ctx.cpuProf?.('postgres'),
  });
  try {
    log('HTTP: todos on PostgreSQL');
    await todoWork(ctx, table, api, 'PostgreSQL');
    const { total, users } = ctx.cfg.scale;
    log(`PostgreSQL: seeding ${total.toLocaleString('en-US')} todos`);
    const seeded = await seedPostgres(db.url, ctx.issuer.issuer.issuer, ctx.cfg.scale);
    // Captured on the seeded database, by seeded users: their default lists exist already.
    log(`PostgreSQL: capturing the API's statements`);
    const captured = await capture(ctx, db);
    await atScale(ctx, table, api, db, captured, { total, users, seeded }, log);
  } finally {
    await api.stop();
  }
}

/** Reads and writes at scale, API and pgbench in interleaved rounds. */
async function atScale(ctx, table, api, db, captured, { total, users, seeded }, log) {
  const bin = findPgbench();
  const dir = join(ctx.tmp, 'pgbench');
  mkdirSync(dir, { recursive: true });
  // Values of captured user 0 and the same values of seeded user :u (see seedPostgres).
  const userValues = new Map([
    [subjectOf(0), `('00000000-0000-4000-8000-' || lpad(:u::text, 12, '0'))`],
    [seededListId(0), `('00000000-0000-4000-9000-' || lpad(:u::text, 12, '0'))`],
  ]);
  const scripts = {};
  const protocols = {};
  for (const kind of ['read', 'write']) {
    scripts[kind] = await buildScript(db.url, { ...captured[kind], userValues, users });
    protocols[kind] = protocolOf(captured[kind].a);
  }
  table.appendix(
    'pgbench scripts (the statements the API sent, captured off the wire)',
    `-- GET /todos/ (pgbench --protocol=${protocols.read})\n${scripts.read}\n-- POST /todos/ (pgbench --protocol=${protocols.write})\n${scripts.write}`,
  );
  const tokens = ctx.pool.slice(0, users);
  await expectFullPage(api, tokens[users - 1], Math.min(20, Math.floor(total / users)));
  const perUser = tokens.map((token) => ({ headers: bearer(token) }));
  const randomUser = requests(perUser, 'random');
  const read = { pid: api.pid, url: `${api.url}/todos/`, connections: 50, requests: randomUser };
  const write = { ...read, method: 'POST', body: NEW_TODO, expectStatus: [201] };
  // The same create with an `Idempotency-Key` of its own per request (as the web app sends).
  const keyedWrite = { ...write, freshKeys: true };
  const { rounds, duration, warmup } = ctx.cfg;
  const pgb = (kind, seconds, rate) =>
    runPgbench(bin, {
      databaseUrl: db.url,
      script: scripts[kind],
      protocol: protocols[kind],
      clients: POOL,
      seconds,
      dir,
      tag: kind,
      rate,
    });
  // Warm-up: every user once (fills the token cache), then each load once.
  await fire({ ...read, amount: users, requests: requests(perUser, 'once') });
  await fire({ ...write, duration: warmup });
  if (bin) {
    await pgb('read', warmup);
    await pgb('write', warmup);
  }
  log(`PostgreSQL at scale: API and pgbench, ${rounds} rounds`);
  const runs = { read: [], write: [], keyedWrite: [], pgRead: [], pgReadPaced: [], pgWrite: [] };
  const cpu = await backendsCpu(db.url);
  // Each round also measures what it cost PostgreSQL's backends (they share the two cores).
  const apiRound = async (load) => {
    const before = await cpu.snapshot();
    const res = await fire({ ...load, duration, watchLoop: true });
    res.dbCpuUs = cpu.spent(before, await cpu.snapshot()) / 1e3 / res.total;
    return res;
  };
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  /** Backends of pgbench runs before this one (still listed for a moment after it ends). */
  const pgbenchSeen = new Set();
  const pgbenchRound = async (kind, rate) => {
    const running = pgb(kind, duration, rate);
    if (duration < 2) return running;
    // pgbench's connections exist only while it runs: their CPU over its middle seconds.
    await sleep(500);
    const before = await cpu.snapshot({ pgbench: true });
    for (const pid of before.keys()) if (pgbenchSeen.has(pid)) before.delete(pid);
    for (const pid of before.keys()) pgbenchSeen.add(pid);
    await sleep((duration - 1) * 1000);
    const spent = cpu.spent(before, await cpu.snapshot({ pgbench: true }));
    const res = await running;
    return { ...res, dbCpuUs: spent / 1e3 / (res.tps * (duration - 1)) };
  };
  try {
    for (let r = 0; r < rounds; r++) {
      runs.read.push(await apiRound(read));
      if (bin) runs.pgRead.push(await pgbenchRound('read'));
      // The same statements driven at the API's rate of this round: what a backend costs per
      // statement depends on how often it is woken, so this is the like-for-like figure for
      // the backends' CPU per API read (measured in rounds of 2 s or more only, as the others).
      const apiRate = Math.round(runs.read.at(-1).rps);
      if (bin && apiRate > 0 && duration >= 2)
        runs.pgReadPaced.push(await pgbenchRound('read', apiRate));
      runs.write.push(await apiRound(write));
      if (bin) runs.pgWrite.push(await pgbenchRound('write'));
      runs.keyedWrite.push(await apiRound(keyedWrite));
    }
  } finally {
    await cpu.close();
  }
  const sum = (xs, expected) => {
    const bad = xs.reduce(
      (n, x) =>
        n +
        x.errors +
        [...x.statuses].filter(([s]) => s !== expected).reduce((m, [, v]) => m + v, 0),
      0,
    );
    return {
      rps: median(xs.map((x) => x.rps)),
      capacity: median(xs.map((x) => x.capacity)),
      cpuUs: median(xs.map((x) => x.cpuUs)),
      p50: median(xs.map((x) => x.p50)),
      p99: median(xs.map((x) => x.p99)),
      dbCpuUs: median(xs.map((x) => x.dbCpuUs)),
      loadCpuUs: median(xs.map((x) => x.loadCpuUs)),
      loopMaxMs: median(xs.map((x) => x.loopMaxMs)),
      gcMaxMs: median(xs.map((x) => x.gcMaxMs)),
      loadgen: [...new Set(xs.map((x) => x.loadgen))].join('+'),
      valid: bad === 0,
      note: bad ? `${bad} errors or unexpected statuses` : '',
    };
  };
  const scale = `${fmt(total)} todos × ${fmt(users)} users`;
  const figures = [
    ['reads', 'GET /todos/ (page of 20, a random user)', sum(runs.read, 200), runs.pgRead],
    ['writes', 'POST /todos/ (a random user)', sum(runs.write, 201), runs.pgWrite],
  ];
  const keyed = sum(runs.keyedWrite, 201);
  for (const [what, label, r, pgRuns] of figures) {
    // wrk has no event loop or collector to stall the responses in flight.
    const stalls =
      r.loadgen === 'wrk'
        ? "load generator's loop delay and collector pause n/a (wrk)"
        : `load generator's longest loop delay ${fmt(r.loopMaxMs, 1)} ms, collector pause ${fmt(r.gcMaxMs, 1)} ms (median round)`;
    const floor = `queueing floor 50 × CPU/req = ${fmt((50 * r.cpuUs) / 1000, 1)} ms; ${stalls}`;
    if (what === 'reads')
      table.add(
        '8',
        `GET /todos/ p50 / p99 at 50 conns, ${scale}, PostgreSQL`,
        `${fmt(r.p50, 1)} / ${fmt(r.p99, 1)} ms`,
        {
          target: 'p99 ≤ 15 ms',
          met: r.p99 <= 15,
          valid: r.valid,
          note: `${throughput(r)}; ${floor}; seeded in ${fmt(seeded, 1)} s ${r.note}`,
        },
      );
    else
      table.add('P', `${label}, ${scale}, PostgreSQL`, throughput(r), {
        valid: r.valid,
        note: `${lat(r)}; ${floor} ${r.note}`,
      });
    if (!bin) {
      table.unmeasured('P', `API ${what} ÷ pgbench, PostgreSQL`, '≥ 0.50×', 'pgbench not found');
      continue;
    }
    const p = summarisePgbench(pgRuns);
    table.add(
      'P',
      `pgbench: the API's statements for ${label}, ${POOL} clients`,
      `${fmt(p.tps)} tx/s`,
      {
        valid: p.failed === 0,
        note: `${lat(p)}; --protocol=${protocols[what === 'reads' ? 'read' : 'write']}; floor ${POOL} clients ÷ rate = ${fmt((1000 * POOL) / p.tps, 2)} ms${p.failed ? `; ${p.failed} failed` : ''}`,
      },
    );
    const ratio = r.rps / p.tps;
    const pgCpu = median(pgRuns.map((x) => x.dbCpuUs ?? Number.NaN));
    const paced = what === 'reads' ? pacedNote(runs.pgReadPaced) : '';
    const cores = `CPU per request: API ${fmt(r.cpuUs)} µs, PostgreSQL's backends ${fmt(r.dbCpuUs)} µs, load generator (${r.loadgen}) ${fmt(r.loadCpuUs)} µs; per pgbench transaction: backends ${Number.isFinite(pgCpu) ? `${fmt(pgCpu)} µs` : 'not measured (rounds under 2 s)'}${paced}`;
    table.add(
      'P',
      `API ${what} ÷ pgbench, PostgreSQL, ${scale}`,
      `${fmt(ratio, 2)}× (${fmt(r.rps)} req/s vs ${fmt(p.tps)} tx/s)`,
      {
        target: '≥ 0.50×',
        met: ratio >= 0.5,
        valid: r.valid && p.failed === 0,
        note: `API ${lat(r)}; pgbench ${lat(p)}; both at ${POOL} database connections; ${cores}`,
      },
    );
  }
  const plainWrites = figures[1][2];
  keyedWrites(table, keyed, plainWrites, bin ? summarisePgbench(runs.pgWrite) : undefined, scale);
}

/** The backends' CPU per pgbench read transaction when pgbench ran at the API's rate. */
function pacedNote(paced) {
  const cpuUs = median(paced.map((x) => x.dbCpuUs ?? Number.NaN));
  if (!Number.isFinite(cpuUs)) return '';
  return `, ${fmt(cpuUs)} µs with pgbench held to the API's rate (${fmt(median(paced.map((x) => x.tps)))} tx/s)`;
}

/**
 * Beside the writes: the same create with an `Idempotency-Key` (a new key per request), in the
 * same rounds, read against the plain create's pgbench rounds (context: the target is on plain
 * creates, whose statements pgbench replays).
 */
function keyedWrites(table, keyed, plain, p, scale) {
  table.add(
    'P',
    `POST /todos/ with Idempotency-Key (a random user), ${scale}, PostgreSQL`,
    throughput(keyed),
    {
      valid: keyed.valid,
      note: `${lat(keyed)}; ${p ? `${fmt(keyed.rps / p.tps, 2)}× the plain create's pgbench rate` : 'pgbench not found'}; CPU per request: API ${fmt(keyed.cpuUs)} µs (plain ${fmt(plain.cpuUs)}), PostgreSQL's backends ${fmt(keyed.dbCpuUs)} µs (plain ${fmt(plain.dbCpuUs)}) ${keyed.note}`,
    },
  );
}
