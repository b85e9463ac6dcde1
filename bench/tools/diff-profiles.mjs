#!/usr/bin/env node
// Per-request CPU by frame (self time) of two profiles: node diff-profiles.mjs A.cpuprofile reqsA B.cpuprofile reqsB
import { readFileSync } from 'node:fs';

function selfUs(file, requests) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((x) => [x.id, x]));
  const out = new Map();
  for (let k = 0; k < prof.samples.length; k++) {
    const f = byId.get(prof.samples[k]).callFrame;
    const url = f.url
      .replace(/^.*node_modules\//, '')
      .replace(/^.*\/packages\//, 'packages/')
      .replace('file://', '');
    const key = `${f.functionName || '(anon)'} ${url}:${f.lineNumber + 1}`;
    out.set(key, (out.get(key) ?? 0) + (prof.timeDeltas[k] ?? 0) / requests);
  }
  out.delete('(idle) :0');
  return out;
}
const [a, ra, b, rb] = process.argv.slice(2);
const A = selfUs(a, Number(ra));
const B = selfUs(b, Number(rb));
const keys = new Set([...A.keys(), ...B.keys()]);
const rows = [...keys]
  .map((k) => [k, A.get(k) ?? 0, B.get(k) ?? 0])
  .sort((x, y) => y[2] - y[1] - (x[2] - x[1]));
const sum = (m) => [...m.values()].reduce((s, v) => s + v, 0);
console.log(`busy µs/request: A ${sum(A).toFixed(1)}  B ${sum(B).toFixed(1)}`);
for (const [k, x, y] of rows.slice(0, 30))
  console.log(
    `${(y - x).toFixed(2).padStart(7)}  ${x.toFixed(2).padStart(6)} → ${y.toFixed(2).padStart(6)}  ${k}`,
  );
