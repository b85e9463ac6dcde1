// The page statement alone, in process: N reads through the API's own `db.read`, timed, and
// (with PERF=1) sampled by `perf record` like the HTTP run. Usage:
// node bench/tools/page-inproc.mjs <todo.db> [reads] [perf.data]
import { spawn } from 'node:child_process';
import { openDatabase } from '../../packages/api/dist/db/database.js';
import { todoPageQueries } from '../../packages/api/dist/todos/page.js';

const [file, nArg = '20000', perfOut] = process.argv.slice(2);
const n = Number(nArg);
const db = openDatabase({ kind: 'sqlite', file });
const { issuer, subject } = await db.readFirst({
  sql: 'select member_issuer as issuer, member_sub as subject from list_members limit 1',
  parameters: [],
});
const query = todoPageQueries(db)({ listId: false, completed: false, cursor: false });
const values = {
  issuer,
  subject,
  listId: undefined,
  completed: undefined,
  at: undefined,
  id: undefined,
  limit: 21,
};
const once = () => db.readFirst(query(values));
for (let i = 0; i < 3000; i++) await once();
console.log('sql:', query(values).sql);
console.log('page bytes', (await once()).page.length);
let perf;
if (perfOut) {
  perf = spawn('perf', ['record', '-F', '3997', '-g', '-o', perfOut, '-p', String(process.pid)], {
    stdio: 'ignore',
  });
  await new Promise((r) => setTimeout(r, 500));
}
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
for (let i = 0; i < n; i++) await once();
const t = Number(process.hrtime.bigint() - t0) / 1e3 / n;
const c = process.cpuUsage(cpu0);
if (perf) {
  perf.kill('SIGINT');
  await new Promise((r) => perf.once('exit', r));
}
console.log(`${t.toFixed(1)} µs wall, ${((c.user + c.system) / n).toFixed(1)} µs CPU per read`);
await db.close();
