#!/usr/bin/env node
// The AuthZEN searches over many candidates, in process: one API instance of a built checkout
// (Fastify `inject`, a real token of the `authz:evaluate` service account) on a fresh database
// holding one list of `candidates` members, `candidates` todos and `candidates` lists of one
// member; then a subject search (the list's members), a resource search of lists and one of
// todos, `rounds` rounds of `per` searches each, every one checked to return all candidates.
// Prints wall and CPU µs per search (median of the rounds) and the load average.
//
// Usage: node bench/tools/authzen-search.mjs [candidates] [rounds] [per] [ROOT]
//   ROOT: a built checkout (default this one), to compare two builds run after run;
//   DATABASE=postgres: a database of its own on TEST_DATABASE_URL (`<name>_authzen`).
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestIssuer } from '@todo-sso/auth/testing';
import pg from 'pg';
import { createBenchDatabase, dropDatabase, TEST_DATABASE_URL } from '../lib/db.mjs';

const [nArg = '1000', roundsArg = '7', perArg = '20', rootArg] = process.argv.slice(2);
const n = Number(nArg);
const rounds = Number(roundsArg);
const per = Number(perArg);
const root = resolve(rootArg ?? fileURLToPath(new URL('../..', import.meta.url)));
const dist = (path) => import(join(root, 'packages/api/dist', path));
const { loadConfig } = await dist('config/load.js');
const { createContext } = await dist('context.js');
const { buildApp } = await dist('app.js');
const { createLogger } = await dist('http/logger.js');
const { listRepository } = await dist('lists/repository.js');
const { todoRepository } = await dist('todos/repository.js');

const postgres = process.env.DATABASE === 'postgres';
const dir = mkdtempSync(join(tmpdir(), 'authzen-search-'));
const bench = postgres ? await createBenchDatabase('authzen') : undefined;
if (bench?.error) throw new Error(`PostgreSQL: ${bench.error}`);
const database = postgres
  ? { kind: 'postgres', url: bench.url }
  : { kind: 'sqlite', file: join(dir, 'todo.db') };

const idp = await startTestIssuer({ profile: 'keycloak' });
const config = loadConfig({
  OIDC_ISSUER: idp.issuer,
  OIDC_AUDIENCE: 'todo-api',
  LOG_LEVEL: 'silent',
  RATE_LIMIT_PER_MINUTE: '10000000',
  HOST: '127.0.0.1',
  PORT: '0',
});
const context = await createContext({ ...config, database }, { logger: createLogger('silent') });
const app = await buildApp(context);
try {
  const pep = await idp.accessToken({ sub: 'pep', roles: [], permissions: ['authz:evaluate'] });
  const { db } = context;
  const lists = listRepository(db);
  const todos = todoRepository(db);
  const now = new Date();
  const owner = { issuer: idp.issuer, subject: 'owner' };
  const list = (await lists.create(owner, 'Big', now, db.kysely)).id;
  await db.kysely.transaction().execute(async (tx) => {
    for (let i = 0; i < n - 1; i++) {
      const subject = `member-${String(i).padStart(6, '0')}`;
      await lists.setMember(list, { issuer: idp.issuer, subject }, 'viewer', now, tx);
    }
    for (let i = 0; i < n; i++) await todos.create(owner, { title: `t${i}` }, now, tx, list);
    for (let i = 0; i < n - 1; i++) await lists.create(owner, `L${i}`, now, tx);
  });

  const post = (url, payload) =>
    app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${pep}` }, payload });
  const subject = { type: 'user', id: 'owner' };
  const cases = [
    [
      'subjects (list members)',
      '/access/v1/search/subject',
      {
        subject: { type: 'user' },
        action: { name: 'can_read' },
        resource: { type: 'list', id: list },
      },
    ],
    [
      'resources (lists)',
      '/access/v1/search/resource',
      { subject, action: { name: 'can_read' }, resource: { type: 'list' } },
    ],
    [
      'resources (todos)',
      '/access/v1/search/resource',
      { subject, action: { name: 'can_update' }, resource: { type: 'todo' } },
    ],
  ];
  const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
  console.log(`${root}, ${database.kind}, ${n} candidates, ${rounds} rounds of ${per}`);
  for (const [name, url, body] of cases) {
    const first = await post(url, body);
    const found = first.json().results?.length;
    // A build that pages answers up to 1,000 results a response; either way every candidate
    // up to that many must come back.
    if (first.statusCode !== 200 || found !== Math.min(n, 1000)) {
      throw new Error(`${name}: ${first.statusCode} ${first.body.slice(0, 200)}`);
    }
    const wall = [];
    const cpu = [];
    for (let r = 0; r < rounds; r++) {
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < per; i++) await post(url, body);
      const c = process.cpuUsage(c0);
      wall.push(Number(process.hrtime.bigint() - t0) / 1e3 / per);
      cpu.push((c.user + c.system) / per);
    }
    const load = loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
    console.log(
      `${name.padEnd(24)} ${found} results  wall ${median(wall).toFixed(0)} µs  CPU ${median(cpu).toFixed(0)} µs per search  (load ${load})`,
    );
  }
} finally {
  await app.close();
  await context.close();
  await idp.close();
  if (bench) {
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await dropDatabase(admin, bench.name).finally(() => admin.end());
  }
  rmSync(dir, { recursive: true, force: true });
}
