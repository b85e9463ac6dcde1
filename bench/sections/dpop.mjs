// DPoP (RFC 9449): the warm GET /me with a DPoP-bound token and a fresh proof on every request,
// against the warm Bearer GET /me in the same rounds, and raw node:crypto ES256 verification on
// the server core. A proof costs one signature check plus bookkeeping (thumbprint, htu, ath,
// replay cache): the target allows one ES256 verify and a quarter of the Bearer request on top.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { fire, median, requests } from '../lib/load.mjs';
import { ROOT, SERVER_CORE, spawnNode } from '../lib/proc.mjs';
import { fmt } from '../lib/table.mjs';
import { throughput } from './auth.mjs';

const TARGET = '≤ 1.25 × Bearer warm + one ES256 verify (CPU/req)';
const b64sha256 = (text) => createHash('sha256').update(text).digest('base64url');

/** Raw ES256 verifications per CPU second on the server core. */
async function es256Rate(ctx) {
  const proc = spawnNode(
    [`${ROOT}bench/lib/es256-rate.mjs`, String(ctx.cfg.rounds), String(ctx.cfg.verifySeconds)],
    {
      core: SERVER_CORE,
    },
  );
  const { code } = await proc.exited;
  if (code !== 0) throw new Error(`es256-rate failed:\n${proc.output()}`);
  return JSON.parse(proc.output().trim().split('\n').pop()).es256;
}

/** A client key pair, its public JWK and RFC 7638 thumbprint. */
function clientKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  // RFC 7638 §3.2: the required members in lexicographic order, no whitespace.
  const jkt = b64sha256(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }));
  return { pkcs8: privateKey.export({ format: 'pem', type: 'pkcs8' }), jwk, jkt };
}

/** `count` proofs for GET `htu`, signed on two threads (before a round, not during it). */
async function mintProofs(key, { htu, ath, nonce }, count) {
  const half = Math.ceil(count / 2);
  const parts = await Promise.all(
    [half, count - half].map(
      (n) =>
        new Promise((resolve, reject) => {
          const w = new Worker(new URL('../lib/dpop-worker.mjs', import.meta.url), {
            workerData: { pkcs8: key.pkcs8, jwk: key.jwk, htm: 'GET', htu, ath, nonce, count: n },
          });
          w.once('message', resolve);
          w.once('error', reject);
        }),
    ),
  );
  return parts.flat();
}

/** One DPoP request; follows a `use_dpop_nonce` challenge once (RFC 9449 §8). */
async function probe(key, target) {
  const send = async (nonce) => {
    const [proof] = await mintProofs(key, { ...target, nonce }, 1);
    return fetch(target.htu, { headers: { authorization: `DPoP ${target.token}`, dpop: proof } });
  };
  let res = await send();
  const nonce = res.headers.get('dpop-nonce') ?? undefined;
  if (res.status === 401 && nonce) res = await send(nonce);
  await res.arrayBuffer();
  return { status: res.status, nonce, challenge: res.headers.get('www-authenticate') };
}

/**
 * A DPoP-bound token for the API's GET /me and a function making a load of `amount` requests
 * with fresh proofs; `{ refused }` (the API's answer) when the API does not accept DPoP.
 */
export async function dpopLoad(ctx, api) {
  const key = clientKey();
  const [token] = await ctx.issuer.mint(1, {
    first: 30_000,
    threads: 1,
    claims: { cnf: { jkt: key.jkt } },
  });
  const target = { htu: `${api.url}/me`, ath: b64sha256(token), token };
  const first = await probe(key, target);
  if (first.status !== 200)
    return { refused: `${first.status}${first.challenge ? ` (${first.challenge})` : ''}` };
  const load = async (amount) => {
    const { nonce } = await probe(key, target);
    const proofs = await mintProofs(key, { ...target, nonce }, amount);
    const authorization = `DPoP ${token}`;
    return {
      pid: api.pid,
      url: target.htu,
      amount,
      // Each proof once: a proof sent twice is refused (401) and the round is then invalid.
      requests: requests(
        proofs.map((dpop) => ({ headers: { authorization, dpop } })),
        'once',
      ),
    };
  };
  return { load, nonce: first.nonce };
}

export async function dpop(ctx, table, api) {
  const es256 = await es256Rate(ctx);
  const es256Us = 1e6 / es256;
  table.add(
    'D',
    'raw node:crypto ES256 verify, per core (in-process)',
    `${fmt(es256)}/s (${fmt(es256Us, 1)} µs)`,
    {
      note: 'crypto.verify of a P-256 signature (IEEE P1363) on a KeyObject: what one DPoP proof must cost at least',
    },
  );
  const dpopReq = await dpopLoad(ctx, api);
  if (dpopReq.refused) {
    table.unmeasured(
      'D',
      'DPoP warm GET /me ÷ Bearer warm GET /me, CPU per request',
      TARGET,
      `the API does not accept DPoP: a DPoP-bound token with a valid proof was answered ${dpopReq.refused}`,
    );
    return;
  }
  const bearer = {
    pid: api.pid,
    url: `${api.url}/me`,
    headers: { authorization: `Bearer ${ctx.warmToken}` },
  };
  const sizing = await fire({ ...bearer, duration: ctx.cfg.warmup });
  // Both loads send the same number of requests per round; every DPoP request has a new proof.
  const amount = Math.max(1000, Math.round(sizing.rps * ctx.cfg.duration));
  const dpopRound = async () => fire(await dpopReq.load(amount));
  await dpopRound();
  const runs = { bearer: [], dpop: [] };
  for (let r = 0; r < ctx.cfg.rounds; r++) {
    runs.bearer.push(await fire({ ...bearer, amount }));
    runs.dpop.push(await dpopRound());
  }
  const sum = (xs) => {
    const bad = xs.reduce((n, x) => n + x.errors + x.total - (x.statuses.get(200) ?? 0), 0);
    return {
      rps: median(xs.map((x) => x.rps)),
      capacity: median(xs.map((x) => x.capacity)),
      cpuUs: median(xs.map((x) => x.cpuUs)),
      p50: median(xs.map((x) => x.p50)),
      p99: median(xs.map((x) => x.p99)),
      bad,
    };
  };
  const b = sum(runs.bearer);
  const d = sum(runs.dpop);
  const lat = (r) => `p50 ${fmt(r.p50, 1)} ms, p99 ${fmt(r.p99, 1)} ms`;
  table.add('D', 'warm Bearer GET /me (same rounds as DPoP)', throughput(b), {
    valid: b.bad === 0,
    note: lat(b),
  });
  table.add('D', 'warm DPoP GET /me (a new proof each request)', throughput(d), {
    valid: d.bad === 0,
    note: `${lat(d)}; ${fmt(amount)} requests per round${dpopReq.nonce ? '; with the server nonce' : ''}${d.bad ? `; ${d.bad} non-200` : ''}`,
  });
  const limit = 1.25 * b.cpuUs + es256Us;
  table.add(
    'D',
    'DPoP warm GET /me ÷ Bearer warm GET /me, CPU per request',
    `${fmt(d.cpuUs, 1)} µs vs ≤ ${fmt(limit, 1)} µs (1.25 × ${fmt(b.cpuUs, 1)} + ${fmt(es256Us, 1)})`,
    {
      target: TARGET,
      met: d.cpuUs <= limit,
      valid: b.bad === 0 && d.bad === 0,
      note: `the proof adds ${fmt(d.cpuUs - b.cpuUs, 1)} µs = ${fmt((d.cpuUs - b.cpuUs) / es256Us, 2)} ES256 verifies`,
    },
  );
}
