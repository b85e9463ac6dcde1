#!/usr/bin/env node
// Where cold and warm GET /me allocate: one API process (started as the bench starts it) under
// V8's sampling heap profiler, freed objects included; `n` cold requests (a pool of 12,000
// distinct tokens, more than the token cache holds), then `n` warm ones. Prints the bytes
// allocated per request by each allocating function, the largest cold-over-warm differences
// first, then the largest cold allocators.
//
// Usage: node bench/tools/heap-cold.mjs [n] [ROOT]   (HEAP_INTERVAL: sampling interval, bytes)
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fire } from '../lib/load.mjs';
import { LOAD_CORE, pinSelf, sleep } from '../lib/proc.mjs';
import { startApiProcess } from '../lib/servers.mjs';
import { startIssuer } from '../lib/tokens.mjs';

const [amountArg = '6000', root] = process.argv.slice(2);
const amount = Number(amountArg);
const preload = fileURLToPath(new URL('./heap-sampling.mjs', import.meta.url));
const out = join(mkdtempSync(join(tmpdir(), 'heap-cold-')), 'profile');

const iss = await startIssuer();
const pool = await iss.mint(12_000);
const [warmToken] = await iss.mint(1, { first: 20_000, threads: 1 });
pinSelf(LOAD_CORE);
const api = await startApiProcess({
  ...(root && { root }),
  issuer: iss.issuer.issuer,
  dataDir: mkdtempSync(join(tmpdir(), 'heap-cold-data-')),
  env: { HEAP_OUT: out, HEAP_INTERVAL: process.env.HEAP_INTERVAL ?? '256' },
  nodeOptions: ['--import', preload],
});
let next = 0;
const cold = () => ({ headers: { authorization: `Bearer ${pool[next++ % pool.length]}` } });
const warm = { authorization: `Bearer ${warmToken}` };
// Warm-up: the cache full, the code optimised.
await fire({ url: `${api.url}/me`, amount: pool.length, next: cold });
await fire({ url: `${api.url}/me`, amount: 3000, headers: warm });

async function waitFor(path) {
  while (!existsSync(path)) await sleep(20);
}

/** Bytes per request by allocating function during one load. */
async function sampled(index, spec) {
  process.kill(api.pid, 'SIGUSR2');
  await waitFor(`${out}.ready`);
  await fire(spec);
  process.kill(api.pid, 'SIGUSR2');
  await waitFor(`${out}.${index}.json`);
  await sleep(200);
  const profile = JSON.parse(readFileSync(`${out}.${index}.json`, 'utf8'));
  const bySite = new Map();
  let total = 0;
  const walk = (node) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.replace(/.*node_modules\//, '').replace(/.*packages\//, '');
    const site = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
    if (node.selfSize > 0) {
      bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize / amount);
      total += node.selfSize / amount;
    }
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  return { bySite, total };
}

const c = await sampled(0, { url: `${api.url}/me`, amount, next: cold });
const w = await sampled(1, { url: `${api.url}/me`, amount, headers: warm });
console.log(`bytes allocated per request: cold ${c.total.toFixed(0)}, warm ${w.total.toFixed(0)}`);
const rows = [...new Set([...c.bySite.keys(), ...w.bySite.keys()])].map((site) => ({
  site,
  cold: c.bySite.get(site) ?? 0,
  warm: w.bySite.get(site) ?? 0,
}));
const print = (list) => {
  for (const r of list)
    console.log(
      `${r.cold.toFixed(0).padStart(7)} ${r.warm.toFixed(0).padStart(7)} ${(r.cold - r.warm).toFixed(0).padStart(7)}  ${r.site}`,
    );
};
console.log('\n   cold    warm   extra  (bytes per request; largest extra first)');
print([...rows].sort((a, b) => b.cold - b.warm - (a.cold - a.warm)).slice(0, 25));
console.log('\n   cold    warm   extra  (largest cold allocators)');
print([...rows].sort((a, b) => b.cold - a.cold).slice(0, 15));
await api.stop();
await iss.issuer.close();
