// Child process (pinned to the server core): verification rates on one core, no HTTP.
//   raw      node:crypto RS256 verify of each token's signature with a KeyObject (the floor
//            every JWT verifier pays; no parsing or claim checks);
//   cold     the auth package's authenticate() where every call is a new token;
//   warm     authenticate() of one token again and again (verified-token cache hit);
//   jose     jose's jwtVerify (WebCrypto) on new tokens, the library's own verify path.
// Input: a JSON file { issuer, jwk, tokens, warmToken, seconds, rounds } named by argv[2];
// output: one JSON line. The warm token is not in the pool; warm runs while the cache is full
// (10 000 entries), as on a server with that many active users.
import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createAuthenticator } from '@todo-sso/auth';
import { createLocalJWKSet, jwtVerify } from 'jose';

const { issuer, jwk, tokens, warmToken, seconds, rounds } = JSON.parse(
  readFileSync(process.argv[2], 'utf8'),
);
const key = createPublicKey({ key: jwk, format: 'jwk' });
const split = tokens.map((t) => {
  const dot = t.lastIndexOf('.');
  return { input: Buffer.from(t.slice(0, dot)), sig: Buffer.from(t.slice(dot + 1), 'base64url') };
});

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
let cursor = 0;
const nextToken = () => tokens[cursor++ % tokens.length];
let coldCursor = 0;
const nextCold = () => tokens[coldCursor++ % tokens.length];

/** Calls per second of this process's CPU time (user + system, all threads). */
async function rate(fn, ms) {
  const end = performance.now() + ms;
  let n = 0;
  const cpu = process.cpuUsage();
  while (performance.now() < end) {
    for (let i = 0; i < 50; i++) await fn();
    n += 50;
  }
  const used = process.cpuUsage(cpu);
  return n / ((used.user + used.system) / 1e6);
}

let rawIndex = 0;
const raw = () => {
  const s = split[rawIndex++ % split.length];
  if (!verify('sha256', s.input, key, s.sig)) throw new Error('raw verify failed');
};

// The verified-token cache holds 10 000 entries; the pool is larger and walked in order, so
// every "cold" call misses (LRU order) — checked below by counting cache hits.
let hits = 0;
const auth = createAuthenticator({
  issuers: [{ issuer, audience: 'todo-api', profile: 'keycloak' }],
  onEvent: (e) => {
    if (e.type === 'authenticated' && e.cached) hits += 1;
  },
});
if (!(await auth.ready())) throw new Error('issuer keys not reachable');
const joseAuth = createAuthenticator({
  issuers: [{ issuer, audience: 'todo-api', profile: 'keycloak' }],
  signatureVerifier: 'jose',
  cache: { maxEntries: 0 },
});
await joseAuth.ready();
const jwks = createLocalJWKSet({ keys: [jwk] });
await auth.authenticate(warmToken);
// Cache hit while the cache holds one entry, before the cold rounds fill it.
const warmAlone = await rate(() => auth.authenticate(warmToken), seconds * 1000);

const runs = { raw: [], cold: [], warm: [], joseCold: [], joseRaw: [] };
const ms = seconds * 1000;
// Warm-up of every path (JIT), then interleaved rounds.
await rate(raw, 300);
await rate(() => auth.authenticate(nextCold()), 300);
await rate(() => joseAuth.authenticate(nextToken()), 300);
await rate(() => jwtVerify(nextToken(), jwks, { issuer, audience: 'todo-api' }), 300);
let coldHits = 0;
for (let r = 0; r < rounds; r++) {
  runs.raw.push(await rate(raw, ms));
  const before = hits;
  runs.cold.push(await rate(() => auth.authenticate(nextCold()), ms));
  coldHits += hits - before;
  runs.warm.push(await rate(() => auth.authenticate(warmToken), ms));
  runs.joseCold.push(await rate(() => joseAuth.authenticate(nextToken()), ms));
  runs.joseRaw.push(
    await rate(() => jwtVerify(nextToken(), jwks, { issuer, audience: 'todo-api' }), ms),
  );
}
const out = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, median(v)]));
out.coldHits = coldHits;
out.warmAlone = warmAlone;
out.rounds = runs;
process.stdout.write(`${JSON.stringify(out)}\n`);
