#!/usr/bin/env node
// Profiles the API under one load (node --cpu-prof) and prints the top frames by self time and
// by inclusive time. Usage: node bench/tools/profile.mjs <healthz|warm|cold|list|create|dpop>
// [seconds] [log level] [postgres] — with `postgres`, the API runs on a fresh bench PostgreSQL
// database. `dpop`: the warm GET /me with a DPoP-bound token and a new proof on each request,
// the proofs signed before the load (about 2,000 per second asked for).
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { summarise } from '../lib/cpuprofile.mjs';
import { createBenchDatabase } from '../lib/db.mjs';
import { fire } from '../lib/load.mjs';
import { LOAD_CORE, pinSelf } from '../lib/proc.mjs';
import { startApiProcess } from '../lib/servers.mjs';
import { startIssuer } from '../lib/tokens.mjs';
import { dpopLoad } from '../sections/dpop.mjs';

const [scenario = 'warm', secondsArg = '6', logLevel = 'info', engine = 'sqlite'] =
  process.argv.slice(2);
const seconds = Number(secondsArg);
const dir = mkdtempSync(join(tmpdir(), 'todo-sso-prof-'));
const iss = await startIssuer();
const pool = scenario === 'cold' ? await iss.mint(12_000) : [];
const [token] = await iss.mint(1, { first: 20_000, threads: 1 });
pinSelf(LOAD_CORE);
const database = engine === 'postgres' ? await createBenchDatabase() : undefined;
if (database?.error) throw new Error(`PostgreSQL: ${database.error}`);
const api = await startApiProcess({
  issuer: iss.issuer.issuer,
  databaseUrl: database?.url,
  dataDir: mkdtempSync(join(dir, 'data-')),
  cpuProfDir: dir,
  logLevel,
});
const h = { authorization: `Bearer ${token}` };
for (let i = 0; i < 20; i++)
  await fetch(`${api.url}/todos/`, {
    method: 'POST',
    headers: { ...h, 'content-type': 'application/json' },
    body: '{"title":"x"}',
  });
let i = 0;
const dpop = scenario === 'dpop' ? await dpopLoad({ issuer: iss }, api) : undefined;
if (dpop?.refused) throw new Error(`the API does not accept DPoP (answered ${dpop.refused})`);
const spec = {
  healthz: { url: `${api.url}/healthz` },
  warm: { url: `${api.url}/me`, headers: h },
  cold: {
    url: `${api.url}/me`,
    next: () => ({ headers: { authorization: `Bearer ${pool[i++ % pool.length]}` } }),
  },
  list: { url: `${api.url}/todos/`, headers: h },
  create: { url: `${api.url}/todos/`, headers: h, method: 'POST', body: '{"title":"bench"}' },
  dpop: dpop && (await dpop.load(Math.round(seconds * 2000))),
}[scenario];
if (spec === undefined) throw new Error(`unknown scenario ${scenario}`);
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
const from = monotonicUs();
const r = await fire(scenario === 'dpop' ? spec : { ...spec, duration: seconds });
const to = monotonicUs();
console.log(scenario, Math.round(r.rps), 'req/s', [...r.statuses]);
await api.stop();
await iss.issuer.close();

const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
const prof = JSON.parse(readFileSync(join(dir, file), 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const dt = new Map();
for (let k = 0; k < prof.samples.length; k++)
  dt.set(prof.samples[k], (dt.get(prof.samples[k]) ?? 0) + (prof.timeDeltas[k] ?? 0));
const total = [...dt.values()].reduce((a, b) => a + b, 0);
const label = (n) => {
  const f = n.callFrame;
  const url = f.url
    .replace(/^.*node_modules\//, '')
    .replace(/^.*\/packages\//, 'packages/')
    .replace('file://', '');
  return `${f.functionName || '(anon)'} ${url}:${f.lineNumber + 1}`;
};
const self = new Map();
for (const [id, t] of dt) {
  const key = label(byId.get(id));
  self.set(key, (self.get(key) ?? 0) + t);
}
// Inclusive time: each sample counted once per distinct frame on its stack.
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const incl = new Map();
for (const [id, t] of dt) {
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const key = label(byId.get(cur));
    if (seen.has(key)) continue;
    seen.add(key);
    incl.set(key, (incl.get(key) ?? 0) + t);
  }
}
const top = (m, n) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);
console.log('--- self time');
console.log(top(self, 30).join('\n'));
console.log('--- inclusive time');
console.log(top(incl, 60).join('\n'));
// The load window alone (no start-up, no seeding), per request: what the route itself costs.
const w = summarise(join(dir, file), { window: { from, to } });
console.log(`--- load window: ${(w.busyUs / r.total).toFixed(1)} µs sampled busy per request`);
for (const f of w.frames.slice(0, 30))
  console.log(`${(f.us / r.total).toFixed(2).padStart(8)} µs  ${f.label}`);
console.log('profile:', join(dir, file));
