#!/usr/bin/env node
// The shared-lists page on two or more API builds side by side (SQLite): each build's API
// process on the server core with the bench's scenario (a member of 50 lists owned by others,
// one todo in each, against the owner of 20 todos in their own list), rounds of a fixed number
// of requests alternating between builds; server CPU per request (schedstat, all threads) of
// the own page, the shared page and, with WRITES=1, POST /todos/ (the write that keeps a
// list's size). Prints one line per round, the medians per build and paired differences.
//
// Usage: node bench/tools/ab-lists.mjs [rounds] [requests per round] name=ROOT[:ENV=V,…][;--flag …] …
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fire, median } from '../lib/load.mjs';
import { LOAD_CORE, pinSelf } from '../lib/proc.mjs';
import { parseBuild, startApiProcess } from '../lib/servers.mjs';
import { startIssuer } from '../lib/tokens.mjs';
import { call as callApi } from '../sections/lists.mjs';

const [roundsArg = '7', amountArg = '4000', ...builds] = process.argv.slice(2);
const rounds = Number(roundsArg);
const amount = Number(amountArg);
const writes = process.env.WRITES === '1';
if (builds.length === 0) throw new Error('name=ROOT[:ENV=V,…] expected');

const iss = await startIssuer();
const [ownToken, memberToken, ...owners] = await iss.mint(52, { first: 30_000, threads: 1 });
const memberName = 'user30001';
pinSelf(LOAD_CORE);

/** A JSON request through the API that must succeed (bench/sections/lists.mjs). */
const call = (api, token, method, path, body) =>
  callApi(api, token, method, path, body, [200, 201, 204]);

/** The bench's scenario (bench/sections/lists.mjs) in one API. */
async function setUp(api) {
  for (let i = 0; i < 20; i++)
    await call(api, ownToken, 'POST', '/todos/', { title: `Bench todo ${i}` });
  const own = await call(api, memberToken, 'POST', '/todos/', { title: 'becomes known' });
  await call(api, memberToken, 'DELETE', `/todos/${own.id}`);
  for (const [i, owner] of owners.entries()) {
    const list = await call(api, owner, 'POST', '/lists/', { name: `Shared list ${i}` });
    await call(api, owner, 'POST', `/lists/${list.id}/todos/`, { title: `Shared todo ${i}` });
    await call(api, owner, 'PUT', `/lists/${list.id}/members/${memberName}`, {
      relation: 'viewer',
    });
  }
  const page = await call(api, memberToken, 'GET', '/todos/');
  if (page.items.length !== 20) throw new Error(`the member's page has ${page.items.length} todos`);
}

const apis = [];
for (const spec of builds) {
  const { name, root, env, nodeOptions } = parseBuild(spec);
  const dataDir = mkdtempSync(join(tmpdir(), 'ab-lists-'));
  const api = await startApiProcess({ root, issuer: iss.issuer.issuer, dataDir, env, nodeOptions });
  await setUp(api);
  apis.push({ name, ...api, own: [], shared: [], write: [] });
}
const kinds = writes ? ['own', 'shared', 'write'] : ['own', 'shared'];
const spec = (a, kind) => {
  if (kind === 'write')
    return {
      pid: a.pid,
      url: `${a.url}/todos/`,
      amount: Math.round(amount / 4),
      method: 'POST',
      body: '{"title":"written"}',
      headers: { authorization: `Bearer ${owners[0]}` },
    };
  const token = kind === 'own' ? ownToken : memberToken;
  return {
    pid: a.pid,
    url: `${a.url}/todos/`,
    amount,
    headers: { authorization: `Bearer ${token}` },
  };
};
for (const a of apis)
  for (const kind of ['own', 'shared']) await fire({ ...spec(a, kind), amount: 2000 });
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? apis : [...apis].reverse();
  for (const a of order) {
    const line = [];
    for (const kind of kinds) {
      const result = await fire(spec(a, kind));
      const bad = [...result.statuses].filter(([k]) => k !== 200 && k !== 201);
      if (bad.length > 0) throw new Error(`${a.name} ${kind}: ${JSON.stringify(bad)}`);
      a[kind].push(result.cpuUs);
      line.push(`${kind} ${result.cpuUs.toFixed(1).padStart(6)}`);
    }
    const ratio = a.shared.at(-1) / a.own.at(-1);
    console.log(
      `round ${r} ${a.name.padEnd(6)} ${line.join('  ')} µs  shared/own ${ratio.toFixed(2)}  load ${loadavg()[0].toFixed(1)}`,
    );
  }
}
console.log('\nmedians (µs CPU/req) and the median of the per-round ratios');
for (const a of apis) {
  const ratios = a.shared.map((s, i) => s / a.own[i]);
  console.log(
    `${a.name.padEnd(6)} ${kinds.map((k) => `${k} ${median([...a[k]]).toFixed(1)}`).join('  ')}  shared/own ${median(ratios).toFixed(2)} (rounds ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
  );
}
const [base, ...others] = apis;
for (const o of others)
  for (const kind of kinds)
    console.log(
      `${o.name} − ${base.name} ${kind}: paired median ${median(o[kind].map((x, i) => x - base[kind][i])).toFixed(1)} µs`,
    );
for (const a of apis) await a.stop();
await iss.issuer.close();
