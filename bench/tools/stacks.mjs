#!/usr/bin/env node
// The heaviest call stacks ending in frames named NAME: node bench/tools/stacks.mjs FILE NAME [N]
import { readFileSync } from 'node:fs';

const [file, name, n = '8'] = process.argv.slice(2);
const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((x) => [x.id, x]));
const parent = new Map();
for (const x of prof.nodes) for (const c of x.children ?? []) parent.set(c, x.id);
const label = ({ callFrame: f }) =>
  `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*node_modules\//, '').replace(/^.*\/packages\//, '')}:${f.lineNumber + 1}`;
const stacks = new Map();
let total = 0;
for (let k = 0; k < prof.samples.length; k++) {
  const node = byId.get(prof.samples[k]);
  if (node.callFrame.functionName !== name) continue;
  const dt = prof.timeDeltas[k] ?? 0;
  total += dt;
  const frames = [];
  for (
    let cur = parent.get(node.id);
    cur !== undefined && frames.length < 12;
    cur = parent.get(cur)
  )
    frames.push(label(byId.get(cur)));
  const key = frames.join('\n    ');
  stacks.set(key, (stacks.get(key) ?? 0) + dt);
}
console.log(`${name}: ${(total / 1000).toFixed(1)} ms sampled`);
for (const [key, us] of [...stacks].sort((a, b) => b[1] - a[1]).slice(0, Number(n)))
  console.log(`${((100 * us) / total).toFixed(1)} %\n    ${key}\n`);
