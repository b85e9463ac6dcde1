#!/usr/bin/env node
// How a write's transaction is put on the wire, and what each way costs PostgreSQL's backend
// and the client: one connection, the same audit-row insert (a named prepared statement) as a
// transaction of its own, written back to back in rounds alternating the ways:
//   batch-unnamed: `BEGIN` parsed unnamed in the statement's batch, then `COMMIT` as a simple
//                  query (the API before this change);
//   batch-named:   `BEGIN` a named statement parsed once per connection, in the statement's
//                  batch, then `COMMIT` a named statement too (Bind/Execute/Sync);
//   batch-named-simple-commit: named `BEGIN`, `COMMIT` as a simple query;
//   three:         `BEGIN`, the statement and `COMMIT` each its own round trip (pgbench's way).
// Per round: the backend's CPU µs per transaction (its schedstat) and the client's (this
// process). Usage: node bench/tools/pg-write-wire.mjs [rounds] [transactions per round]
// (TEST_DATABASE_URL; a table of its own, `wire_probe`, created and dropped).
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import pg from 'pg';
import { TEST_DATABASE_URL } from '../lib/db.mjs';
import { median } from '../lib/load.mjs';

const [roundsArg = '5', nArg = '2000'] = process.argv.slice(2);
const rounds = Number(roundsArg);
const n = Number(nArg);

const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
await client.connect();
await client.query('drop table if exists wire_probe');
await client.query(
  'create table wire_probe (id uuid primary key, at timestamptz not null, action text not null, resource text)',
);
const backend = (await client.query('select pg_backend_pid() as pid')).rows[0].pid;
const backendNs = () => Number(readFileSync(`/proc/${backend}/schedstat`, 'utf8').split(' ')[0]);
const clientNs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1e3;
};

const STATEMENT = 'insert into wire_probe (id, at, action, resource) values ($1, $2, $3, $4)';
const values = () => [crypto.randomUUID(), new Date().toISOString(), 'todo.create', 'todo:x'];

class Batch extends pg.Query {
  constructor(beginName, text, vals, done) {
    super(text, vals, done);
    this.beginName = beginName;
    this.name = 'wire_stmt';
  }
  requiresPreparation() {
    return true;
  }
  prepare(connection) {
    if (this.beginName === undefined) connection.parse({ text: 'BEGIN' });
    else if (!connection.submittedNamedStatements[this.beginName]) {
      connection.parse({ name: this.beginName, text: 'BEGIN' });
      connection.submittedNamedStatements[this.beginName] = 'BEGIN';
    }
    connection.bind({ statement: this.beginName });
    connection.execute({});
    super.prepare(connection);
  }
}
const batch = (beginName) =>
  new Promise((resolve, reject) =>
    client.query(new Batch(beginName, STATEMENT, values(), (e, r) => (e ? reject(e) : resolve(r)))),
  );
const ways = {
  'batch-unnamed': async () => {
    await batch(undefined);
    await client.query('COMMIT');
  },
  'batch-named': async () => {
    await batch('wire_begin');
    await client.query({ name: 'wire_commit', text: 'COMMIT' });
  },
  'batch-named-simple-commit': async () => {
    await batch('wire_begin');
    await client.query('COMMIT');
  },
  three: async () => {
    await client.query({ name: 'wire_begin3', text: 'BEGIN' });
    await client.query({ name: 'wire_stmt', text: STATEMENT, values: values() });
    await client.query({ name: 'wire_commit', text: 'COMMIT' });
  },
};
const results = Object.fromEntries(Object.keys(ways).map((k) => [k, { db: [], js: [], ms: [] }]));
for (const way of Object.values(ways)) for (let i = 0; i < 200; i++) await way();
for (let r = 0; r < rounds; r++) {
  const names = Object.keys(ways);
  if (r % 2) names.reverse();
  const out = [];
  for (const name of names) {
    const [db0, js0, t0] = [backendNs(), clientNs(), performance.now()];
    for (let i = 0; i < n; i++) await ways[name]();
    const res = results[name];
    res.db.push((backendNs() - db0) / 1e3 / n);
    res.js.push((clientNs() - js0) / 1e3 / n);
    res.ms.push((performance.now() - t0) / n);
    out.push(`${name} db ${res.db.at(-1).toFixed(1)} js ${res.js.at(-1).toFixed(1)} µs`);
  }
  console.log(`round ${r + 1} load ${loadavg()[0].toFixed(1)}: ${out.join(' · ')}`);
}
for (const [name, res] of Object.entries(results))
  console.log(
    `${name}: backend ${median(res.db).toFixed(1)} µs, client ${median(res.js).toFixed(1)} µs, ${median(res.ms).toFixed(3)} ms per transaction (medians)`,
  );
await client.query('drop table wire_probe');
await client.end();
