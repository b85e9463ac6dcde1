// pgbench, PostgreSQL's own load generator, replaying the statements the API sent for one
// request (captured by pg-capture.mjs) at a given number of clients. The script is built from
// two captures of the same request by two different users: a parameter that is the same in
// both stays a literal; a value of the user (their subject, their default list) becomes that
// of a random user of the seeded set (the `\set u random(…)` pgbench variable); an identifier
// or instant that changes per request is generated afresh by PostgreSQL (`gen_random_uuid()`,
// the clock), so unique keys stay unique.
// Every value keeps the type PostgreSQL inferred for its parameter (from a PREPARE of the
// same statement), so the plans are those of the API's statements.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { median } from './load.mjs';
import { LOAD_CORE, pinning } from './proc.mjs';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INSTANT = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}/;

/** The pgbench binary: on PATH, else PostgreSQL's versioned bin directory; undefined if none. */
export function findPgbench() {
  if (spawnSync('pgbench', ['--version'], { stdio: 'ignore' }).status === 0) return 'pgbench';
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  for (const v of readdirSync(base).sort().reverse()) {
    const bin = join(base, v, 'bin/pgbench');
    if (existsSync(bin)) return bin;
  }
  return undefined;
}

/**
 * A string literal. pgbench reads `:name` in a script as a variable, so every colon is spelled
 * `chr(58)` (folded to a constant by the planner, like the literal itself).
 */
const literal = (text) =>
  `(${text
    .split(':')
    .map((part) => `'${part.replaceAll("'", "''")}'`)
    .join(' || chr(58) || ')})`;

/** Parameter types PostgreSQL infers for `sql` (as the API's untyped Parse lets it). */
async function parameterTypes(client, sql, count) {
  if (count === 0) return [];
  await client.query('DEALLOCATE ALL');
  await client.query(`PREPARE bench_probe AS ${sql}`);
  const { rows } = await client.query(
    `SELECT parameter_types::text[] AS types FROM pg_prepared_statements WHERE name = 'bench_probe'`,
  );
  await client.query('DEALLOCATE bench_probe');
  return rows[0].types;
}

/**
 * The pgbench script replaying one request. `a` and `b` are the statements captured for the
 * same request made by two users; `userValues` maps each value of the first user (subject,
 * default list id) to the SQL expression of the same value for seeded user `:u`; `users` is
 * the size of the seeded set.
 */
export async function buildScript(databaseUrl, { a, b, userValues, users }) {
  if (a.length !== b.length || a.some((s, i) => s.sql !== b[i].sql))
    throw new Error('the two captures of the request differ in their statements');
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const lines = [`\\set u random(0, ${users - 1})`];
  try {
    for (const [i, { sql, params }] of a.entries()) {
      if (params.some((p) => p !== null && typeof p === 'object'))
        throw new Error('binary parameters are not replayable');
      const types = await parameterTypes(client, sql, params.length);
      const values = params.map((value, k) => {
        const type = types[k] ?? 'text';
        if (value === null) return `NULL::${type}`;
        const other = b[i].params[k];
        let expr = literal(value);
        if (userValues.has(value)) expr = userValues.get(value);
        else if (value !== other && UUID.test(value)) expr = 'gen_random_uuid()';
        else if (value !== other && INSTANT.test(value))
          expr = `to_char(clock_timestamp() AT TIME ZONE 'UTC', ${literal('YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')})`;
        return `(${expr})::${type}`;
      });
      // A colon inside one of the statement's own string literals (a `to_char` format) would
      // be read as a variable too: spelled with chr(58) like the values.
      const oneLine = sql
        .replace(/\s+/g, ' ')
        .trim()
        .replace(/'(?:[^']|'')*'/g, (text) =>
          text.includes(':') ? literal(text.slice(1, -1).replaceAll("''", "'")) : text,
        );
      lines.push(`${oneLine.replace(/\$(\d+)/g, (_, n) => values[Number(n) - 1])};`);
    }
  } finally {
    await client.end();
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The pgbench protocol that matches how the API sent a request's statements: `prepared` (each
 * statement parsed once per connection) when the API ran any of them as a named prepared
 * statement, else `extended` (unnamed statements, parsed every time).
 */
export const protocolOf = (captured) => (captured.some((s) => s.named) ? 'prepared' : 'extended');

/**
 * Runs `script` for `seconds` with `clients` connections (one pgbench thread, pinned to the
 * load core like autocannon), with `protocol` (see `protocolOf`). Returns transactions per
 * second and the p50/p99 latency (ms) from its per-transaction log.
 */
export async function runPgbench(
  bin,
  { databaseUrl, script, clients, seconds, dir, tag, protocol = 'extended', rate },
) {
  const file = join(dir, `${tag}.sql`);
  writeFileSync(file, script);
  const prefix = join(dir, `${tag}-${Date.now()}`);
  const args = [
    '--no-vacuum',
    `--protocol=${protocol}`,
    `--client=${clients}`,
    '--jobs=1',
    // At least 2 s: a 1-s run (`--quick`) on a loaded machine can end before a client's first
    // transaction, and a run of none is no figure.
    `--time=${Math.max(2, Math.round(seconds))}`,
    `--file=${file}`,
    // A target rate (tx/s, Poisson arrivals), to drive the backends as slowly as another client.
    ...(rate === undefined ? [] : [`--rate=${rate}`]),
    '--log',
    `--log-prefix=${prefix}`,
    databaseUrl,
  ];
  const cmd = pinning ? 'taskset' : bin;
  const argv = pinning ? ['-c', String(LOAD_CORE), bin, ...args] : args;
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  const code = await new Promise((resolve) => child.once('exit', resolve));
  const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1]);
  const failed = Number(/number of failed transactions: (\d+)/.exec(out)?.[1] ?? 0);
  if (code !== 0 || !Number.isFinite(tps))
    throw new Error(`pgbench failed (${code}):\n${out.slice(-2000)}`);
  // Log lines: client_id transaction_no time_us script_no time_epoch time_us_fraction.
  const latencies = [];
  for (const f of readdirSync(dir).filter((x) => join(dir, x).startsWith(`${prefix}.`))) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      const us = Number(line.split(' ')[2]);
      if (Number.isFinite(us) && line) latencies.push(us / 1000);
    }
  }
  latencies.sort((x, y) => x - y);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { tps, p50: pct(0.5), p99: pct(0.99), failed, transactions: latencies.length };
}

/** Median tps and latencies of several runs. */
export function summarisePgbench(runs) {
  return {
    tps: median(runs.map((r) => r.tps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    failed: runs.reduce((n, r) => n + r.failed, 0),
  };
}
