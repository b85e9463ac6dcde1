#!/usr/bin/env node
// CPU of the request log line as the API writes it, by how many lines one turn of the event loop
// logs (one per request answered in that turn): pino's asynchronous destination as it is
// (`direct`), or fed once per turn (`batched`, the API's `batchedLines`). Lines go to /dev/null.
// Usage: node bench/tools/log-lines.mjs [lines per turn,…] [turns] [rounds]
// Under callgrind, VARIANT=direct|batched runs one variant only (`ROUNDS=1`): compare two runs of
// different turns to take the start-up out.
import { openSync } from 'node:fs';
import { pino } from 'pino';
import { batchedLines } from '../../packages/api/dist/http/log-batch.js';

const [perTurnArg = '1,8,32,64', turnsArg = '2000', roundsArg = '5'] = process.argv.slice(2);
const fd = openSync('/dev/null', 'w');
const line = {
  reqId: 'a3f1c2d4-9b8e-4f7a-8c6d-5e4f3a2b1c0d',
  method: 'GET',
  route: '/todos/',
  statusCode: 200,
  responseTime: 3.21,
  remoteAddress: '127.0.0.1',
};
const make = (variant) => {
  const out = pino.destination({ dest: fd, sync: false });
  const root = pino({ level: 'info' }, variant === 'batched' ? batchedLines(out) : out);
  return root.child({}, { redact: { paths: [] } });
};
const turn = () => new Promise((resolve) => setImmediate(resolve));
async function run(variant, perTurn, turns) {
  const log = make(variant);
  const start = process.cpuUsage();
  for (let t = 0; t < turns; t++) {
    for (let i = 0; i < perTurn; i++) log.info(line, 'request completed');
    await turn();
  }
  await new Promise((resolve) => setTimeout(resolve, 20));
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / (perTurn * turns); // ns per line
}
const variants = process.env.VARIANT ? [process.env.VARIANT] : ['direct', 'batched'];
const rounds = Number(process.env.ROUNDS ?? roundsArg);
for (const perTurn of perTurnArg.split(',').map(Number)) {
  const ns = Object.fromEntries(variants.map((v) => [v, []]));
  for (let r = 0; r < rounds; r++)
    for (const v of r % 2 ? [...variants].reverse() : variants)
      ns[v].push(await run(v, perTurn, Number(turnsArg)));
  const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  console.log(
    `${String(perTurn).padStart(3)} lines/turn  ${variants.map((v) => `${v} ${med(ns[v]).toFixed(0)} ns/line`).join('  ')}`,
  );
}
