// Experiment: GET /todos/ on SQLite before and after many POSTs by the same user.
import { mkdtempSync } from 'node:fs';
import Libsql from 'libsql';
import { fire } from '../lib/load.mjs';
import { pinSelf } from '../lib/proc.mjs';
import { startApiProcess } from '../lib/servers.mjs';
import { startIssuer } from '../lib/tokens.mjs';

const iss = await startIssuer();
const [tok] = await iss.mint(1, { first: 20000, threads: 1 });
pinSelf(0);
const dataDir = mkdtempSync('/tmp/bx-');
const api = await startApiProcess({ issuer: iss.issuer.issuer, dataDir, logLevel: 'info' });
const h = { authorization: `Bearer ${tok}` };
for (let i = 0; i < 20; i++)
  await fetch(`${api.url}/todos/`, {
    method: 'POST',
    headers: { ...h, 'content-type': 'application/json' },
    body: '{"title":"x"}',
  });
const get = async (label) => {
  const r = await fire({ url: `${api.url}/todos/`, headers: h, duration: 3 });
  console.log(label, Math.round(r.rps), r.p50, r.p99);
};
await get('GET 20 todos');
await get('GET 20 todos');
const p = await fire({
  url: `${api.url}/todos/`,
  headers: h,
  method: 'POST',
  body: '{"title":"y"}',
  duration: 3,
});
console.log('POST', Math.round(p.rps), p.p50, p.p99, [...p.statuses]);
await get('GET after POSTs');
await get('GET after POSTs');
const db = new Libsql(`${dataDir}/todo.db`);
console.log(
  db
    .prepare(
      'EXPLAIN QUERY PLAN select * from todos where owner_issuer = ? and owner_sub = ? order by created_at desc, id desc limit 21',
    )
    .all('a', 'b'),
);
console.log(
  db
    .prepare(
      'EXPLAIN QUERY PLAN select * from todos where owner_issuer = ? and owner_sub = ? and completed = ? order by created_at desc, id desc limit 21',
    )
    .all('a', 'b', 0),
);
console.log(db.pragma('synchronous'), db.pragma('journal_mode'));
db.close();
await api.stop();
await iss.issuer.close();
