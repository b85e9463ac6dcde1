#!/usr/bin/env node
// The SQLite page statement of `GET /todos/` against rewrites of it, in instructions per read
// counted by callgrind: each variant runs in a process of its own under valgrind twice, for
// `base` and for `base + reads` reads, and the difference of the totals is divided by `reads`
// (start-up, migrations and warm-up cancel out). The data: one person with `todos` todos in their
// default list (the `POST` rounds' title and description, every third done), read through the
// API's own `db.readFirst` with the page of 20's values. Every variant but the cost-only ones
// (`count`, `unordered`) must give the same text as the API's statement, or the tool stops.
//
// Usage: node bench/tools/page-sql-variants.mjs [variants,…|all] [reads] [todos]
//        node bench/tools/page-sql-variants.mjs --run <variant> <reads> <todos>   (one process)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../packages/api/dist/db/database.js';
import { migrateToLatest } from '../../packages/api/dist/db/migrate.js';
import { todoPageQueries } from '../../packages/api/dist/todos/page.js';
import { todoRepository } from '../../packages/api/dist/todos/repository.js';

const VARIANTS = ['api', 'concat', 'concat-quoted', 'one-list', 'unordered', 'count'];
const BASE_READS = 200;

/** The variants' SQL and values, from the API's own statement for the page of 20. */
function variants(api, owner) {
  const page = api.sql.slice('select '.length, api.sql.indexOf(' as "page"'));
  const from = api.sql.slice(api.sql.indexOf(', count(*) as "count" from'));
  const newestFirst = 'order by p.created_at desc, p.id desc';
  // Each todo as text joined with `||`, strings through `json_quote` (the same escaping as
  // `json_object`), the ids and timestamps quoted as they are or through `json_quote` too.
  const concat = (q) =>
    `'{"items":[' || coalesce(group_concat('{"id":' || ${q('p.id')} || ',"listId":' || ${q('p.list_id')}
    || ',"title":' || json_quote(p.title) || ',"description":' || json_quote(p.description)
    || ',"completed":' || iif(p.completed, 'true', 'false') || ',"createdAt":' || ${q('p.created_at')}
    || ',"updatedAt":' || ${q('p.updated_at')} || ',"version":' || p.version || '}', ',' ${newestFirst}), '') || '],"nextCursor":null}'`;
  // The person's one list read directly when they are a member of exactly one, the API's plan
  // otherwise: both arms in one statement, each behind a test of the membership count.
  const single = `(select min(m1.list_id) = max(m1.list_id) from list_members as m1
    where m1.member_issuer = ?1 and m1.member_sub = ?2)`;
  let n = 0;
  const general = from
    .slice(from.indexOf('from (') + 'from ('.length, from.lastIndexOf(') as "p"'))
    .replace(/= \?/g, () => (n++ % 2 === 0 ? '= ?1' : '= ?2'))
    .replace(/limit \?/g, 'limit ?3')
    .replace(/offset \? - 1/g, 'offset ?3 - 1')
    .replace(/"m"\."list_large" = ([01])/g, `"m"."list_large" = $1 and ${single} <> 1`);
  const oneList = `select ${page} as "page", count(*) as "count" from (select * from (select
    t.id, t.list_id, t.title, t.description, t.completed, t.created_at, t.updated_at, t.version
    from todos as t where t.list_id = (select m.list_id from list_members as m
    where m.member_issuer = ?1 and m.member_sub = ?2) and ${single} = 1
    order by t.created_at desc, t.id desc limit ?3) union all select * from (${general})) as p`;
  const same = api.parameters;
  return {
    api: { sql: api.sql, parameters: same },
    concat: {
      sql: `select ${concat((c) => `'"' || ${c} || '"'`)} as "page"${from}`,
      parameters: same,
    },
    'concat-quoted': {
      sql: `select ${concat((c) => `json_quote(${c})`)} as "page"${from}`,
      parameters: same,
    },
    'one-list': { sql: oneList, parameters: [owner.issuer, owner.subject, 21] },
    unordered: {
      sql: `select ${page.replace(newestFirst, '')} as "page"${from}`,
      parameters: same,
    },
    count: { sql: `select count(*) as "page"${from}`, parameters: same },
  };
}

/** One process: `reads` reads of `variant` after the set-up and 300 reads of warm-up. */
async function run(variant, reads, todos) {
  const dir = mkdtempSync(join(tmpdir(), 'page-sql-'));
  const db = openDatabase({ kind: 'sqlite', file: join(dir, 'todo.db') });
  try {
    await migrateToLatest(db);
    const owner = { issuer: 'https://issuer.example/realms/bench', subject: 'page-sql-variants' };
    const repo = todoRepository(db);
    const input = { title: 'Benchmark todo', description: 'written by npm run bench' };
    for (let i = 0; i < todos; i++)
      await repo.create(
        owner,
        { ...input, completed: i % 3 === 0 },
        new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
      );
    const shape = { listId: false, completed: false, cursor: false };
    const api = todoPageQueries(db)(shape)({ ...owner, limit: 21 });
    const query = variants(api, owner)[variant];
    if (query === undefined) throw new Error(`unknown variant ${variant}`);
    const expected = (await db.readFirst(api)).page;
    const got = (await db.readFirst(query)).page;
    // The page is a BLOB (a `Buffer`) from the API's statement, text from the rewrites.
    if (
      !['count', 'unordered'].includes(variant) &&
      !Buffer.from(got).equals(Buffer.from(expected))
    )
      throw new Error(`${variant} differs from the API's page`);
    for (let i = 0; i < 300; i++) await db.readFirst(query);
    for (let i = 0; i < reads; i++) await db.readFirst(query);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Instructions of one process under callgrind, every thread. */
function instructions(variant, reads, todos) {
  const dir = mkdtempSync(join(tmpdir(), 'page-sql-cg-'));
  const out = join(dir, 'cg.out');
  try {
    const self = fileURLToPath(import.meta.url);
    execFileSync(
      'valgrind',
      [
        '-q',
        '--tool=callgrind',
        `--callgrind-out-file=${out}`,
        process.execPath,
        self,
        '--run',
        variant,
        String(reads),
        String(todos),
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const totals = readFileSync(out, 'utf8').match(/^(?:summary|totals): (\d+)/m);
    if (totals === null) throw new Error('no totals in the callgrind output');
    return Number(totals[1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
if (args[0] === '--run') {
  await run(args[1], Number(args[2]), Number(args[3]));
} else {
  const [list = 'all', readsArg = '1500', todosArg = '40'] = args;
  const reads = Number(readsArg);
  const todos = Number(todosArg);
  console.log(
    `load ${loadavg()[0].toFixed(1)}; ${todos} todos; ${reads} reads counted per variant`,
  );
  for (const variant of list === 'all' ? VARIANTS : list.split(',')) {
    const few = instructions(variant, BASE_READS, todos);
    const many = instructions(variant, BASE_READS + reads, todos);
    console.log(`${variant}: ${((many - few) / reads / 1000).toFixed(1)} k instructions per read`);
  }
}
