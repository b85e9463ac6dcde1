#!/usr/bin/env node
// The floor of a Node HTTP request on this machine, in the same run and under the same harness
// as the API's figures 1–3: a bare node:http server (no framework, no hooks; pinned to the
// server core like the API) answering the very bytes the API answers (its status, headers and
// body for `/healthz` and for warm `/me`, captured from it first), to requests carrying the same
// 1.2 KB bearer header. Measured with the bench's `measure` (wrk, 50 connections, interleaved
// rounds, server CPU µs per request from schedstat): cold `/me` first in rounds of its own (as
// the bench does), then the API's `/healthz`, its control, warm `/me` and the two bare servers
// interleaved; raw RS256 verifications per CPU second in a process pinned to the server core,
// before and after. Prints what the cold target (cold `/me` ≥ 0.50× raw RS256 per core) would
// need against what the bare server alone costs.
//
// Usage: node bench/tools/floor-http.mjs [rounds] [seconds] [ROOT]
import { createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measure, requests } from '../lib/load.mjs';
import { freePort, LOAD_CORE, pinSelf, ROOT, SERVER_CORE, spawnNode } from '../lib/proc.mjs';
import { startApiProcess } from '../lib/servers.mjs';
import { startIssuer } from '../lib/tokens.mjs';

const SELF = fileURLToPath(import.meta.url);

if (process.argv[2] === '--bare') {
  // The bare server: one canned answer per path, written by node:http as any Node server would.
  const [, , , portArg, file] = process.argv;
  const answers = JSON.parse(readFileSync(file, 'utf8'));
  http
    .createServer((req, res) => {
      const a = answers[req.url] ?? answers['/healthz'];
      res.writeHead(a.status, a.headers);
      res.end(a.body);
    })
    .listen(Number(portArg), '127.0.0.1');
} else if (process.argv[2] === '--raw') {
  // Raw RS256: crypto.verify of each token's signature with a KeyObject, per CPU second.
  const { jwk, tokens, ms } = JSON.parse(readFileSync(process.argv[3], 'utf8'));
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  const split = tokens.map((t) => {
    const dot = t.lastIndexOf('.');
    return { input: Buffer.from(t.slice(0, dot)), sig: Buffer.from(t.slice(dot + 1), 'base64url') };
  });
  let i = 0;
  const once = () => {
    const s = split[i++ % split.length];
    if (!verify('sha256', s.input, key, s.sig)) throw new Error('raw verify failed');
  };
  const rate = (limit) => {
    const end = performance.now() + limit;
    let n = 0;
    const cpu = process.cpuUsage();
    while (performance.now() < end) {
      for (let k = 0; k < 50; k++) once();
      n += 50;
    }
    const used = process.cpuUsage(cpu);
    return n / ((used.user + used.system) / 1e6);
  };
  rate(300);
  const rates = [rate(ms), rate(ms), rate(ms)].sort((a, b) => a - b);
  console.log(JSON.stringify({ raw: rates[1] }));
} else {
  await main();
}

/** The API's answer to `path` with `headers`: status, header lines (Node adds Date and Connection), body. */
function capture(url, headers) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const lines = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2) {
            const name = res.rawHeaders[i];
            if (!/^(date|connection|keep-alive)$/i.test(name))
              lines.push(name, res.rawHeaders[i + 1]);
          }
          resolve({
            status: res.statusCode,
            headers: lines,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
      })
      .on('error', reject);
  });
}

async function rawRate(dir, jwk, tokens) {
  const file = join(dir, 'raw.json');
  writeFileSync(file, JSON.stringify({ jwk, tokens: tokens.slice(0, 2000), ms: 2000 }));
  const proc = spawnNode([SELF, '--raw', file], { core: SERVER_CORE });
  const { code } = await proc.exited;
  if (code !== 0) throw new Error(`raw rate failed:\n${proc.output()}`);
  return JSON.parse(proc.output().trim().split('\n').pop()).raw;
}

async function main() {
  const [roundsArg = '5', secondsArg = '3', root = ROOT] = process.argv.slice(2);
  const cfg = { rounds: Number(roundsArg), duration: Number(secondsArg), warmup: 2 };
  const dir = mkdtempSync(join(tmpdir(), 'floor-http-'));
  const iss = await startIssuer();
  const pool = await iss.mint(12_000);
  const [warmToken] = await iss.mint(1, { first: 20_000, threads: 1 });
  const bearer = { authorization: `Bearer ${warmToken}` };
  pinSelf(LOAD_CORE);
  const rawBefore = await rawRate(dir, iss.key.publicJwk, pool);
  const api = await startApiProcess({ root, issuer: iss.issuer.issuer, dataDir: dir });
  const answers = {
    '/healthz': await capture(`${api.url}/healthz`, bearer),
    '/me': await capture(`${api.url}/me`, bearer),
  };
  const file = join(dir, 'answers.json');
  writeFileSync(file, JSON.stringify(answers));
  const port = await freePort();
  const bare = spawnNode([SELF, '--bare', String(port), file], { core: SERVER_CORE });
  const bareUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await capture(`${bareUrl}/healthz`, {})).status === 200) break;
    } catch {}
    if (i > 100) throw new Error('the bare server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const [cold] = await measure(
    [
      {
        name: 'cold /me',
        pid: api.pid,
        url: `${api.url}/me`,
        requests: requests(pool.map((t) => ({ headers: { authorization: `Bearer ${t}` } }))),
      },
    ],
    cfg,
  );
  const results = await measure(
    [
      { name: 'API /healthz', pid: api.pid, url: `${api.url}/healthz` },
      {
        name: 'API /healthz + bearer (control)',
        pid: api.pid,
        url: `${api.url}/healthz`,
        headers: bearer,
      },
      { name: 'API warm /me', pid: api.pid, url: `${api.url}/me`, headers: bearer },
      {
        name: 'bare node:http, /healthz bytes',
        pid: bare.pid,
        url: `${bareUrl}/healthz`,
        headers: bearer,
      },
      { name: 'bare node:http, /me bytes', pid: bare.pid, url: `${bareUrl}/me`, headers: bearer },
    ],
    cfg,
  );
  const rawAfter = await rawRate(dir, iss.key.publicJwk, pool);
  report({ rawBefore, rawAfter, cold, results, answers });
  await bare.stop('SIGINT');
  await api.stop();
  await iss.issuer.close();
  process.exit(0);
}

/** Prints the figures of one run and what they say about the cold target's floor. */
function report({ rawBefore, rawAfter, cold, results, answers }) {
  const raw = (rawBefore + rawAfter) / 2;
  const rawUs = 1e6 / raw;
  console.log(
    `load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  console.log(
    `raw RS256 ${raw.toFixed(0)}/s per CPU second (${rawBefore.toFixed(0)} before, ${rawAfter.toFixed(0)} after): ${rawUs.toFixed(1)} µs`,
  );
  for (const r of [cold, ...results]) {
    if (!r.valid) throw new Error(`${r.name}: ${r.note}`);
    console.log(
      `${r.name.padEnd(34)} ${r.cpuUs.toFixed(1).padStart(6)} µs CPU/req  ${r.capacity.toFixed(0).padStart(6)}/s per core  (${r.rps.toFixed(0)} req/s; rounds ${r.rounds.join(' ')})`,
    );
  }
  const [healthz, control, warm, bareHealthz, bareMe] = results;
  console.log(
    `\nbytes answered: /healthz ${answers['/healthz'].body.length} B body, /me ${answers['/me'].body.length} B body`,
  );
  console.log(
    `warm /me ÷ /healthz per core ${(healthz.cpuUs / warm.cpuUs).toFixed(2)}× (÷ control ${(control.cpuUs / warm.cpuUs).toFixed(2)}×)`,
  );
  console.log(`cold /me ÷ raw per core ${(rawUs / cold.cpuUs).toFixed(2)}×`);
  console.log(
    `bare server ÷ raw per core ${(rawUs / bareHealthz.cpuUs).toFixed(2)}× (its /me bytes ${(rawUs / bareMe.cpuUs).toFixed(2)}×)`,
  );
  console.log(
    `ceiling of cold ÷ raw for a server doing nothing but the bare answer and one verification: ${(rawUs / (bareMe.cpuUs + rawUs)).toFixed(2)}×; 0.50× would need the rest of a request under ${(rawUs).toFixed(1)} µs, the bare answer alone is ${bareMe.cpuUs.toFixed(1)} µs`,
  );
}
