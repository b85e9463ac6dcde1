#!/usr/bin/env node
// The page of 20 of `GET /todos/` in process, two or more builds side by side: each build's own
// repository (`listJson`, the statement and the body) on one SQLite file seeded once (one person,
// `todos` todos in their default list, the `POST` rounds' title and description, every third
// done), rounds of `per` pages alternating between the builds, CPU µs per page from
// `process.cpuUsage`; paired differences against the first build. Every build must give the same
// bytes, or the tool stops. `one` mode: `per` pages of the first build only, for callgrind
// (`valgrind --tool=callgrind node bench/tools/page-ab.mjs one …` at two values of `per`).
//
// Usage: node bench/tools/page-ab.mjs [ab|one] [rounds] [per] [todos] DIST[,DIST…]
//        DIST: a built `packages/api/dist` (of this checkout, another worktree, or a copy of it
//        under this checkout's `node_modules/` so that its imports resolve)
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const [mode = 'ab', roundsArg = '21', perArg = '1000', todosArg = '40', distsArg = ''] =
  process.argv.slice(2);
const dists = (distsArg || 'packages/api/dist').split(',').map((d) => resolve(d));
const builds = [];
for (const dist of dists)
  builds.push({
    dist,
    database: await import(`${dist}/db/database.js`),
    migrate: await import(`${dist}/db/migrate.js`),
    repository: await import(`${dist}/todos/repository.js`),
  });
const owner = { issuer: 'https://issuer.example/realms/bench', subject: 'page-ab' };
const dir = mkdtempSync(join(tmpdir(), 'page-ab-'));
const file = join(dir, 'todo.db');
const seed = builds[0].database.openDatabase({ kind: 'sqlite', file });
await builds[0].migrate.migrateToLatest(seed);
const input = { title: 'Benchmark todo', description: 'written by npm run bench' };
const seeding = builds[0].repository.todoRepository(seed);
for (let i = 0; i < Number(todosArg); i++)
  await seeding.create(
    owner,
    { ...input, completed: i % 3 === 0 },
    new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
  );
await seed.close();
const runs = builds.map((b) => {
  const db = b.database.openDatabase({ kind: 'sqlite', file });
  return { db, todos: b.repository.todoRepository(db) };
});
const options = { limit: 20 };
const first = Buffer.from(await runs[0].todos.listJson(owner, options));
for (const [i, run] of runs.entries())
  if (!Buffer.from(await run.todos.listJson(owner, options)).equals(first))
    throw new Error(`${dists[i]} gives other bytes than ${dists[0]}`);
const per = Number(perArg);
try {
  if (mode === 'one') {
    for (let i = 0; i < 300 + per; i++) await runs[0].todos.listJson(owner, options);
  } else {
    console.log(`load ${loadavg()[0].toFixed(1)}; ${todosArg} todos; rounds of ${per} pages`);
    const cpu = runs.map(() => []);
    for (const run of runs) for (let i = 0; i < 2000; i++) await run.todos.listJson(owner, options);
    for (let round = 0; round < Number(roundsArg); round++)
      for (let k = 0; k < runs.length; k++) {
        const j = (round + k) % runs.length;
        const start = process.cpuUsage();
        for (let i = 0; i < per; i++) await runs[j].todos.listJson(owner, options);
        const used = process.cpuUsage(start);
        cpu[j].push((used.user + used.system) / per);
      }
    const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
    for (const [j, dist] of dists.entries()) {
      const paired = cpu[j].map((v, i) => v - (cpu[0][i] ?? 0));
      const lower = paired.filter((d) => d < 0).length;
      console.log(
        `${dist}: median ${median(cpu[j]).toFixed(1)} µs per page, best ${Math.min(...cpu[j]).toFixed(1)}` +
          (j === 0
            ? ''
            : `; paired against the first ${median(paired).toFixed(1)} µs, lower in ${lower} of ${paired.length}`),
      );
    }
  }
} finally {
  for (const run of runs) await run.db.close();
  rmSync(dir, { recursive: true, force: true });
}
