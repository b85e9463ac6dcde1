#!/usr/bin/env node
// Self instructions per request by function, from callgrind dumps of an API process started
// with `--perf-basic-prof` (callgrind-route.mjs with KEEP=1 and `;--perf-basic-prof` after the
// build's root): callgrind cannot name V8's generated code (it shows `0x…` addresses), so each
// such address is looked up in the process's /tmp/perf-<pid>.map, the last entry holding it
// winning (V8 may reuse an address for newer code). With two dumps, prints the second minus the
// first, per function: what one route does beyond another (warm `/me` against the control).
//
// Usage: node bench/tools/callgrind-jit.mjs MAP AMOUNT DUMP [BASE_DUMP] [top]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const [mapFile, amountArg, dump, baseDump, topArg = '60'] = process.argv.slice(2);
if (!mapFile || !amountArg || !dump)
  throw new Error('usage: callgrind-jit.mjs MAP AMOUNT DUMP [BASE_DUMP] [top]');
const amount = Number(amountArg);
const top = Number(topArg);

/** The perf map's entries, sorted by start: [start, end, name]. */
const entries = readFileSync(mapFile, 'utf8')
  .split('\n')
  .map((line) => /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line))
  .filter(Boolean)
  .map((m, order) => ({
    start: Number.parseInt(m[1], 16),
    size: Number.parseInt(m[2], 16),
    name: m[3],
    order,
  }));
entries.sort((a, b) => a.start - b.start || a.order - b.order);

/** The name of the generated code at `address`: the latest map entry that holds it. */
function jitName(address) {
  let lo = 0;
  let hi = entries.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (entries[mid].start <= address) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  let best;
  for (let i = found; i >= 0 && i > found - 200; i--) {
    const e = entries[i];
    if (address < e.start + e.size && (best === undefined || e.order > best.order)) best = e;
  }
  return best
    ? best.name.replace(/^(LazyCompile|Function|JS):/, '')
    : `unknown ${address.toString(16)}`;
}

/** Self instructions per function of one dump, generated code named. */
function selfByFunction(file) {
  const text = execFileSync('callgrind_annotate', ['--inclusive=no', '--threshold=100', file], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const out = new Map();
  for (const line of text.split('\n')) {
    const m = /^\s*([\d,]+) \([ \d.]+%\)\s+(.*)$/.exec(line);
    if (!m || m[2].includes('PROGRAM TOTALS')) continue;
    const n = Number(m[1].replaceAll(',', '')) / amount;
    const hex = /^\?\?\?:0x([0-9a-f]+) \[\?\?\?\]$/.exec(m[2]);
    const name = hex
      ? `JIT ${jitName(Number.parseInt(hex[1], 16))}`
      : m[2]
          .replace(/^\?\?\?:/, '')
          .replace(/\(.*\)( const)?/, '()')
          .slice(0, 140);
    out.set(name, (out.get(name) ?? 0) + n);
  }
  return out;
}

const a = selfByFunction(dump);
const b = baseDump ? selfByFunction(baseDump) : new Map();
const names = new Set([...a.keys(), ...b.keys()]);
const rows = [...names].map((n) => [n, (a.get(n) ?? 0) - (b.get(n) ?? 0), a.get(n) ?? 0]);
const total = rows.reduce((s, r) => s + r[1], 0);
rows.sort((x, y) => Math.abs(y[1]) - Math.abs(x[1]));
console.log(
  `${baseDump ? 'difference' : 'total'}: ${(total / 1000).toFixed(1)} k instructions per request`,
);
for (const [name, d, self] of rows.slice(0, top))
  console.log(
    `${d.toFixed(0).padStart(8)} ${baseDump ? `(${self.toFixed(0).padStart(7)}) ` : ''}${name}`,
  );
