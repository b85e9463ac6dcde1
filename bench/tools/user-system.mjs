#!/usr/bin/env node
// Where figure 2's extra CPU goes, user space or the kernel: one API process (started as the
// bench starts it, pinned to the server core), `/healthz`, its control (the same route carrying
// the warm token) and warm `/me` under wrk in interleaved rounds of a fixed number of requests,
// and per round the process's user and system CPU time (/proc/<pid>/stat, clock ticks) per
// request, beside schedstat's total. Medians per route.
//
// Usage: node bench/tools/user-system.mjs [rounds] [requests per round] [ROOT]
import { mkdtempSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fire, median } from '../lib/load.mjs';
import { LOAD_CORE, pinSelf, ROOT } from '../lib/proc.mjs';
import { startApiProcess } from '../lib/servers.mjs';
import { startIssuer } from '../lib/tokens.mjs';

const [roundsArg = '7', amountArg = '60000', root = ROOT] = process.argv.slice(2);
const rounds = Number(roundsArg);
const amount = Number(amountArg);
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const HZ = 100;

/** User and system CPU seconds of `pid`, all threads. */
function times(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) / HZ, system: Number(fields[12]) / HZ };
}

const iss = await startIssuer();
const [warmToken] = await iss.mint(1, { first: 20_000, threads: 1 });
const bearer = { authorization: `Bearer ${warmToken}` };
pinSelf(LOAD_CORE);
const api = await startApiProcess({
  root,
  issuer: iss.issuer.issuer,
  dataDir: mkdtempSync(join(tmpdir(), 'user-system-')),
});
const routes = {
  healthz: { pid: api.pid, url: `${api.url}/healthz` },
  control: { pid: api.pid, url: `${api.url}/healthz`, headers: bearer },
  warm: { pid: api.pid, url: `${api.url}/me`, headers: bearer },
};
const got = Object.fromEntries(
  Object.keys(routes).map((r) => [r, { user: [], system: [], all: [] }]),
);
for (const spec of Object.values(routes)) await fire({ ...spec, amount });
for (let n = 0; n < rounds; n++) {
  for (const [name, spec] of Object.entries(routes)) {
    const before = times(api.pid);
    const res = await fire({ ...spec, amount });
    const after = times(api.pid);
    if ([...res.statuses].some(([k]) => k !== 200)) throw new Error(`${name}: not 200`);
    got[name].user.push(((after.user - before.user) * 1e6) / res.total);
    got[name].system.push(((after.system - before.system) * 1e6) / res.total);
    got[name].all.push(res.cpuUs);
  }
  console.log(
    `round ${n} ${Object.entries(got)
      .map(
        ([k, v]) =>
          `${k} ${v.user.at(-1).toFixed(1)}+${v.system.at(-1).toFixed(1)} (${v.all.at(-1).toFixed(1)})`,
      )
      .join('  ')} µs user+system (schedstat)  load ${loadavg()[0].toFixed(1)}`,
  );
}
console.log('\nmedians, CPU µs per request: user + system (schedstat, all threads)');
for (const [k, v] of Object.entries(got))
  console.log(
    `${k.padEnd(8)} ${median(v.user).toFixed(1)} + ${median(v.system).toFixed(1)}  (${median(v.all).toFixed(1)})`,
  );
await api.stop();
await iss.issuer.close();
process.exit(0);
