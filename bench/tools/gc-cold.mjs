#!/usr/bin/env node
// What the collector does for cold (and warm) GET /me: one API process per configuration, started
// as the bench starts it, with `--trace-gc-nvp`; a fixed number of cold requests (a pool of
// 12,000 distinct tokens, more than the token cache holds), then warm ones. Prints per request:
// bytes allocated, bytes promoted to the old generation, scavenges and mark-compacts, the
// collector's pause time on the main thread, and the process's CPU (schedstat, all threads).
//
// Usage: node bench/tools/gc-cold.mjs [requests] name=ROOT[:ENV=V,…][;--node-flag…] …
import { mkdtempSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fire } from '../lib/load.mjs';
import { LOAD_CORE, pinSelf } from '../lib/proc.mjs';
import { parseBuild, startApiProcess } from '../lib/servers.mjs';
import { startIssuer } from '../lib/tokens.mjs';

const [amountArg = '24000', ...builds] = process.argv.slice(2);
const amount = Number(amountArg);

/** Totals of the `--trace-gc-nvp` lines written after `offset` of the log. */
function gcTotals(text) {
  const t = { allocated: 0, promoted: 0, scavenges: 0, markCompacts: 0, pauseMs: 0 };
  for (const line of text.split('\n')) {
    const m = /gc=(\w+)/.exec(line);
    if (m === null) continue;
    const field = (name) => Number(new RegExp(`\\b${name}=([\\d.]+)`).exec(line)?.[1] ?? 0);
    // V8 names a full mark-compact `mc`; a young-generation collection is `s` (scavenge),
    // `mmc` (minor mark-compact, Node 20) or `ms` (minor mark-sweep, Node 22 on). Counting `ms`
    // as the full collection read every mark-compact of Node 20 as none.
    if (m[1] === 's' || m[1] === 'mmc' || m[1] === 'ms' || m[1] === 'mc') {
      t.allocated += field('allocated');
      t.promoted += field('promoted');
      t.pauseMs += field('pause');
      if (m[1] === 'mc') t.markCompacts++;
      else t.scavenges++;
    }
  }
  return t;
}

const iss = await startIssuer();
const pool = await iss.mint(12_000);
const [warmToken] = await iss.mint(1, { first: 20_000, threads: 1 });
pinSelf(LOAD_CORE);
for (const spec of builds) {
  const { name, root, env, nodeOptions } = parseBuild(spec);
  const api = await startApiProcess({
    root,
    issuer: iss.issuer.issuer,
    dataDir: mkdtempSync(join(tmpdir(), 'gc-cold-')),
    env,
    nodeOptions: ['--trace-gc-nvp', ...nodeOptions],
  });
  let next = 0;
  const cold = () => ({ headers: { authorization: `Bearer ${pool[next++ % pool.length]}` } });
  await fire({ url: `${api.url}/me`, amount: pool.length, next: cold });
  for (const kind of ['cold', 'warm']) {
    const before = readFileSync(api.proc.logFile, 'utf8').length;
    const result = await fire(
      kind === 'cold'
        ? { pid: api.pid, url: `${api.url}/me`, amount, next: cold }
        : {
            pid: api.pid,
            url: `${api.url}/me`,
            amount,
            headers: { authorization: `Bearer ${warmToken}` },
          },
    );
    const t = gcTotals(readFileSync(api.proc.logFile, 'utf8').slice(before));
    const n = result.total;
    console.log(
      `${name.padEnd(8)} ${kind} ${result.cpuUs.toFixed(1).padStart(6)} µs CPU  ` +
        `${(t.allocated / n / 1024).toFixed(1)} KB alloc  ${(t.promoted / n / 1024).toFixed(2)} KB promoted  ` +
        `${((t.scavenges * 1000) / n).toFixed(2)} scav/1k  ${((t.markCompacts * 1000) / n).toFixed(2)} mc/1k  ` +
        `${((t.pauseMs * 1000) / n).toFixed(1)} µs pause  load ${loadavg()[0].toFixed(1)}`,
    );
  }
  const status = readFileSync(`/proc/${api.pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
  console.log(
    `${name.padEnd(8)} RSS ${(kb('VmRSS') / 1024).toFixed(0)} MB, peak ${(kb('VmHWM') / 1024).toFixed(0)} MB`,
  );
  await api.proc.stop('SIGINT');
}
await iss.issuer.close();
