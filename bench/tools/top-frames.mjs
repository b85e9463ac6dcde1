#!/usr/bin/env node
// Prints the top frames of a .cpuprofile by self and inclusive time: node top-frames.mjs FILE [N]
import { readFileSync } from 'node:fs';

const [file, n = '30'] = process.argv.slice(2);
const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((x) => [x.id, x]));
const dt = new Map();
for (let k = 0; k < prof.samples.length; k++)
  dt.set(prof.samples[k], (dt.get(prof.samples[k]) ?? 0) + (prof.timeDeltas[k] ?? 0));
const total = [...dt.values()].reduce((a, b) => a + b, 0);
const label = (x) => {
  const f = x.callFrame;
  const url = f.url
    .replace(/^.*node_modules\//, '')
    .replace(/^.*\/packages\//, 'packages/')
    .replace('file://', '');
  return `${f.functionName || '(anon)'} ${url}:${f.lineNumber + 1}`;
};
const parent = new Map();
for (const x of prof.nodes) for (const c of x.children ?? []) parent.set(c, x.id);
const self = new Map();
const incl = new Map();
for (const [id, t] of dt) {
  const key = label(byId.get(id));
  self.set(key, (self.get(key) ?? 0) + t);
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const k2 = label(byId.get(cur));
    if (seen.has(k2)) continue;
    seen.add(k2);
    incl.set(k2, (incl.get(k2) ?? 0) + t);
  }
}
const top = (m) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(n))
    .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);
console.log(`--- self time (${(total / 1e6).toFixed(1)} s sampled)`);
console.log(top(self).join('\n'));
console.log('--- inclusive time');
console.log(top(incl).join('\n'));
