#!/usr/bin/env node
import { mkdtempSync, rmSync } from 'node:fs';
// Checks the load generators against the API's own count of what it answered: each of wrk and
// autocannon (whichever is installed) loads one API process, and after every run the API's
// `http_requests_total{route,status}` counter (GET /metrics) is compared with the requests and
// statuses the load generator reports.
//
//   node bench/tools/check-loadgen.mjs [--json]
//
// - a run of `amount` requests must agree exactly, status by status (single-use requests, each
//   a different token that the API has never seen: 200 each);
// - a timed run stops with up to one request per connection in flight, which the API still
//   answers and the load generator never counts: the API may count 0 to `connections` more;
// - statuses: a route answering 401/400 must be reported as 401/400, and nothing else.
// - single-use requests ('once', as DPoP proofs): a small server in this process records every
//   request's sequence header; two runs of N each must send each entry exactly once.
// Exit 1 when a check fails. Uses the built API (`npm run build`).
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fire, requests, wrkVersion } from '../lib/load.mjs';
import { removeLogs } from '../lib/proc.mjs';
import { startApiProcess } from '../lib/servers.mjs';
import { malformedTokens, startIssuer } from '../lib/tokens.mjs';

const json = process.argv.includes('--json');
const bearer = (token) => ({ authorization: `Bearer ${token}` });

/** The API's answered requests so far, per `route status`. */
async function answered(api) {
  const text = await (await fetch(`${api.url}/metrics`)).text();
  const counts = new Map();
  for (const [, labels, value] of text.matchAll(/^http_requests_total\{([^}]*)\} (\S+)$/gm)) {
    const route = /route="([^"]*)"/.exec(labels)?.[1];
    const status = /status="([^"]*)"/.exec(labels)?.[1];
    const key = `${route} ${status}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(value));
  }
  return counts;
}

/** What the API answered on `route` between two snapshots, per status. */
function delta(before, after, route) {
  const out = new Map();
  for (const [key, value] of after) {
    const [r, status] = key.split(' ');
    if (r !== route) continue;
    const d = value - (before.get(key) ?? 0);
    if (d) out.set(Number(status), d);
  }
  return out;
}

/** Two runs over one single-use list against a recorder: every entry sent once, in order. */
async function singleUse(gen) {
  const seen = new Map();
  const server = createServer((req, res) => {
    const seq = req.headers['x-seq'];
    seen.set(seq, (seen.get(seq) ?? 0) + 1);
    res.end('ok');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/`;
  const list = requests(
    Array.from({ length: 5000 }, (_, i) => ({ headers: { 'x-seq': String(i) } })),
    'once',
  );
  const problems = [];
  const reported = [];
  for (const amount of [2000, 2500]) {
    const r = await fire({ url, amount, requests: list, connections: 50 });
    reported.push(r.total);
    if (r.loadgen !== gen) problems.push(`ran ${r.loadgen}, not ${gen}`);
    if (r.total !== amount || r.errors)
      problems.push(`${r.total} of ${amount}, ${r.errors} errors`);
  }
  await new Promise((resolve) => server.close(resolve));
  const twice = [...seen.values()].filter((n) => n > 1).length;
  const outside = [...seen.keys()].filter((k) => !(Number(k) >= 0 && Number(k) < 4500)).length;
  if (twice || outside || seen.size !== 4500 || list.cursor !== 4500)
    problems.push(`${seen.size} distinct sent, ${twice} twice, ${outside} not in the first 4500`);
  return {
    generator: gen,
    run: 'single-use list, 2000 then 2500 requests',
    reported: { 200: reported[0] + reported[1] },
    answered: { 200: [...seen.values()].reduce((a, b) => a + b, 0) },
    ok: problems.length === 0,
    problems,
  };
}

const issuer = await startIssuer();
const tmp = mkdtempSync(join(tmpdir(), 'todo-sso-check-loadgen-'));
const api = await startApiProcess({
  issuer: issuer.issuer.issuer,
  dataDir: tmp,
  logLevel: 'warn',
});
const generators = [...(wrkVersion() ? ['wrk'] : []), 'autocannon'];
const AMOUNT = 1500;
const fresh = await issuer.mint(AMOUNT * generators.length);
const malformed = malformedTokens(600);
const results = [];
let failed = false;
try {
  // A warm-up (the API's JIT), so the first generator checked does not meet a cold process.
  // The rates and latencies printed are not a comparison of the generators: ab-loadgen.mjs is.
  await fire({ url: `${api.url}/healthz`, duration: 1 });
  await fire({
    url: `${api.url}/me`,
    duration: 1,
    requests: requests(malformed.map((t) => ({ headers: bearer(t) }))),
  });
  for (const [g, gen] of generators.entries()) {
    process.env.BENCH_LOADGEN = gen;
    const once = await singleUse(gen);
    failed ||= !once.ok;
    results.push(once);
    const runs = [
      {
        name: 'GET /healthz, 1 s',
        route: '/healthz',
        spec: { url: `${api.url}/healthz`, duration: 1, connections: 50 },
        expect: [200],
      },
      {
        name: `GET /me, ${AMOUNT} requests, a new token each`,
        route: '/me',
        exact: true,
        spec: {
          url: `${api.url}/me`,
          amount: AMOUNT,
          connections: 20,
          requests: requests(
            fresh.slice(g * AMOUNT, (g + 1) * AMOUNT).map((t) => ({ headers: bearer(t) })),
            'once',
          ),
        },
        expect: [200],
      },
      {
        name: 'GET /me, malformed tokens, 1 s',
        route: '/me',
        spec: {
          url: `${api.url}/me`,
          duration: 1,
          connections: 50,
          requests: requests(malformed.map((t) => ({ headers: bearer(t) }))),
        },
        expect: [400, 401],
      },
    ];
    for (const run of runs) {
      const before = await answered(api);
      const r = await fire({ ...run.spec, pid: api.pid });
      const server = delta(before, await answered(api), run.route);
      const problems = [];
      if (r.loadgen !== gen) problems.push(`ran ${r.loadgen}, not ${gen}`);
      if (r.errors) problems.push(`${r.errors} socket errors`);
      if (run.exact && r.total !== run.spec.amount)
        problems.push(`${r.total} responses for ${run.spec.amount} requests`);
      for (const status of new Set([...server.keys(), ...r.statuses.keys()])) {
        const mine = r.statuses.get(status) ?? 0;
        const theirs = server.get(status) ?? 0;
        const slack = run.exact ? 0 : run.spec.connections;
        if (theirs - mine < 0 || theirs - mine > slack)
          problems.push(`status ${status}: reported ${mine}, the API answered ${theirs}`);
        if (!run.expect.includes(status)) problems.push(`unexpected status ${status}`);
      }
      failed ||= problems.length > 0;
      results.push({
        generator: gen,
        run: run.name,
        reported: Object.fromEntries(r.statuses),
        answered: Object.fromEntries(server),
        rps: Math.round(r.rps),
        p50: r.p50,
        p99: r.p99,
        loadCpuUs: Number(r.loadCpuUs.toFixed(1)),
        serverCpuUs: Number(r.cpuUs.toFixed(1)),
        ok: problems.length === 0,
        problems,
      });
    }
  }
} finally {
  await api.stop();
  await issuer.issuer.close();
  rmSync(tmp, { recursive: true, force: true });
  removeLogs();
}

if (json) process.stdout.write(`${JSON.stringify(results)}\n`);
else
  for (const x of results)
    process.stdout.write(
      `${x.ok ? 'ok  ' : 'FAIL'} ${x.generator.padEnd(10)} ${x.run.padEnd(42)} reported ${JSON.stringify(x.reported)} answered ${JSON.stringify(x.answered)}${x.rps === undefined ? '' : ` · ${x.rps} req/s, p50 ${x.p50} ms, p99 ${x.p99} ms, load generator ${x.loadCpuUs} µs/req, API ${x.serverCpuUs} µs/req`}${x.problems.length ? ` · ${x.problems.join('; ')}` : ''}\n`,
    );
process.exit(failed ? 1 : 0);
