// Figures 4 and 8: real work on the todo routes, and GET /todos/ over a million rows.
import { measure, requests } from '../lib/load.mjs';
import { fmt } from '../lib/table.mjs';
import { throughput } from './auth.mjs';

const bearer = (token) => ({ authorization: `Bearer ${token}` });

/** Gives the warm user exactly `count` todos (through the API) and checks the listing size. */
export async function ensureTodos(api, token, count) {
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${api.url}/todos/`, {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: JSON.stringify({
        title: `Bench todo ${i}`,
        description: 'Seeded for the list benchmark',
      }),
    });
    if (res.status !== 201) throw new Error(`POST /todos/ → ${res.status}: ${await res.text()}`);
  }
  const res = await fetch(`${api.url}/todos/`, { headers: bearer(token) });
  const page = await res.json();
  if (page.items?.length !== count)
    throw new Error(`GET /todos/ listed ${page.items?.length} todos`);
}

/**
 * Figure 4 on one database: GET /todos/ (20 todos) and POST /todos/, plain and with an
 * `Idempotency-Key` (a key of its own per request, as the web app sends with every create: a
 * new create each time, never a replay), in the same rounds. On SQLite also the warm GET /me in
 * the same rounds: a page of 20 todos is judged against it.
 */
export async function todoWork(ctx, table, api, label) {
  await ensureTodos(api, ctx.warmToken, 20);
  const withMe = label === 'SQLite';
  const [list, create, keyed, me] = await measure(
    [
      { name: 'list', pid: api.pid, url: `${api.url}/todos/`, headers: bearer(ctx.warmToken) },
      {
        name: 'create',
        pid: api.pid,
        url: `${api.url}/todos/`,
        method: 'POST',
        headers: bearer(ctx.warmToken),
        body: JSON.stringify({ title: 'Benchmark todo', description: 'written by npm run bench' }),
        expectStatus: [201],
      },
      {
        name: 'keyed create',
        pid: api.pid,
        url: `${api.url}/todos/`,
        method: 'POST',
        headers: bearer(ctx.warmToken),
        body: JSON.stringify({ title: 'Benchmark todo', description: 'written by npm run bench' }),
        freshKeys: true,
        expectStatus: [201],
      },
      ...(withMe
        ? [{ name: 'me', pid: api.pid, url: `${api.url}/me`, headers: bearer(ctx.warmToken) }]
        : []),
    ],
    ctx.cfg,
  );
  const lat = (r) => `p50 ${fmt(r.p50, 1)} ms, p99 ${fmt(r.p99, 1)} ms`;
  table.add('4', `GET /todos/ (20 todos), ${label}`, throughput(list), {
    valid: list.valid,
    note: `${lat(list)} ${list.note}`,
  });
  table.add('4', `POST /todos/, ${label}`, throughput(create), {
    valid: create.valid,
    note: `${lat(create)} ${create.note}`,
  });
  table.add('4', `POST /todos/ with Idempotency-Key, ${label}`, throughput(keyed), {
    valid: keyed.valid,
    note: `${lat(keyed)}; a new key per request, in the same rounds as the plain create; keyed − plain ${fmt(keyed.cpuUs - create.cpuUs)} µs CPU/req ${keyed.note}`,
  });
  if (!me) return;
  const ratio = list.capacity / me.capacity;
  table.add(
    '4',
    'page of 20 todos ÷ warm GET /me, SQLite, per core',
    `${fmt(ratio, 2)}× (${fmt(list.cpuUs)} vs ${fmt(me.cpuUs)} µs CPU/req)`,
    {
      target: '≥ 0.60×',
      met: ratio >= 0.6,
      valid: list.valid && me.valid,
      note: `warm GET /me in the same rounds: ${throughput(me)}; the page costs ${fmt(list.cpuUs - me.cpuUs)} µs more ${me.note}`,
    },
  );
}

/** Checks that a seeded user's first page holds `count` todos: the seed reached the API. */
export async function expectFullPage(api, token, count) {
  const res = await fetch(`${api.url}/todos/`, { headers: bearer(token) });
  const text = await res.text();
  const page = res.status === 200 ? JSON.parse(text) : undefined;
  if (page?.items?.length !== count)
    throw new Error(
      `a seeded user's page has ${page?.items?.length} todos, not ${count} (${res.status} ${text.slice(0, 300)})`,
    );
}

/**
 * Figure 8 on one database, after `seed()` put `total` todos over `users` users: GET /todos/
 * as random users at 50 connections. A warm-up request per user fills the token cache first,
 * so the latency is the database's, not first-time signature checks.
 */
export async function scale(ctx, table, api, label, seed) {
  const { total, users } = ctx.cfg.scale;
  const seconds = await seed();
  const tokens = ctx.pool.slice(0, users);
  await expectFullPage(api, tokens[users - 1], Math.min(20, Math.floor(total / users)));
  const perUser = tokens.map((token) => ({ headers: bearer(token) }));
  const [r] = await measure(
    [
      {
        name: 'scale',
        pid: api.pid,
        url: `${api.url}/todos/`,
        connections: 50,
        // Warm-up walks every user once; measured rounds pick users at random.
        warmupAmount: users,
        warmupRequests: requests(perUser, 'once'),
        requests: requests(perUser, 'random'),
      },
    ],
    ctx.cfg,
  );
  table.add(
    '8',
    `GET /todos/ p50 / p99 at 50 conns, ${fmt(total)} todos × ${fmt(users)} users, ${label}`,
    `${fmt(r.p50, 1)} / ${fmt(r.p99, 1)} ms`,
    {
      target: 'p99 ≤ 15 ms',
      met: r.p99 <= 15,
      valid: r.valid,
      note: `${throughput(r)}; queueing floor 50 × CPU/req = ${fmt((50 * r.cpuUs) / 1000, 1)} ms; seeded in ${fmt(seconds, 1)} s ${r.note}`,
    },
  );
}
