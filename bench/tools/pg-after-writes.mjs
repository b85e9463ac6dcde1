#!/usr/bin/env node
// Whether a read round pays for the writes before it: on a database seeded as the bench seeds
// it, rounds of pgbench writes (the API's captured create) then two pgbench read rounds (the
// API's captured page statement) back to back; per read round the rate and the backends' CPU
// per transaction (schedstat over the middle seconds, as section P measures pgbench). Section
// P runs the API's read round first after the write rounds and pgbench's read round after it:
// if the first read round after writes costs the backends more (hint bits set on the new rows,
// dirty buffers evicted by the reader), that is in the API's figure, not pgbench's.
//
// Usage: node bench/tools/pg-after-writes.mjs DATABASE_URL READ.sql WRITE.sql [rounds] [s]
//   the scripts as section P prints them (`results/*.md`, "pgbench scripts"), their issuer
//   replaced by the seeded database's; 10 clients, --protocol=prepared; `ORDER=read-first`:
//   the two read rounds before the writes instead (a control: neither follows writes);
//   `RATE=N`: no writes, the second read round at `--rate=N` tx/s (e.g. the API's read rate in
//   section P), i.e. the same statement driven as slowly as the API drives it.
import { mkdtempSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from '../lib/load.mjs';
import { backendsCpu } from '../lib/pg-cpu.mjs';
import { findPgbench, runPgbench } from '../lib/pgbench.mjs';

const [databaseUrl, readFile, writeFile, roundsArg = '5', secondsArg = '3'] = process.argv.slice(2);
if (!databaseUrl || !readFile || !writeFile) throw new Error('DATABASE_URL READ.sql WRITE.sql');
const rounds = Number(roundsArg);
const seconds = Number(secondsArg);
const bin = findPgbench();
if (!bin) throw new Error('pgbench not found');
const dir = mkdtempSync(join(tmpdir(), 'pg-after-writes-'));
const scripts = { read: readFileSync(readFile, 'utf8'), write: readFileSync(writeFile, 'utf8') };
const cpu = await backendsCpu(databaseUrl);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Backends of earlier pgbench runs. */
const seen = new Set();

/** One pgbench round of `kind`; for reads, the backends' CPU µs per transaction. */
async function round(kind, rate) {
  const run = runPgbench(bin, {
    rate,
    databaseUrl,
    script: scripts[kind],
    protocol: 'prepared',
    clients: 10,
    seconds,
    dir,
    tag: kind,
  });
  // Its 10 connections may take a while to open on a busy machine, and the last run's may
  // still be listed while they exit: measured from when this run's 10 are there.
  const own = async () => {
    const all = await cpu.snapshot({ pgbench: true });
    for (const pid of all.keys()) if (seen.has(pid)) all.delete(pid);
    return all;
  };
  let before = await own();
  const opened = Date.now();
  while (before.size < 10 && Date.now() - opened < 3000) {
    await sleep(50);
    before = await own();
  }
  for (const pid of before.keys()) seen.add(pid);
  const window = Math.max(1, seconds - 1.5 - (Date.now() - opened) / 1000);
  await sleep(window * 1000);
  const spent = cpu.spent(before, await cpu.snapshot({ pgbench: true }));
  const res = await run;
  return { ...res, cpuUs: spent / 1e3 / (res.tps * window) };
}

const first = [];
const second = [];
const readFirst = process.env.ORDER === 'read-first';
const rate = process.env.RATE ? Number(process.env.RATE) : undefined;
for (let r = 0; r < rounds; r++) {
  if (!readFirst && rate === undefined) await round('write');
  const a = await round('read');
  const b = await round('read', rate);
  if (readFirst) await round('write');
  first.push(a);
  second.push(b);
  console.log(
    `round ${r + 1} load ${loadavg()[0].toFixed(1)}: first read ${Math.round(a.tps)} tx/s ${a.cpuUs.toFixed(0)} µs · second ${Math.round(b.tps)} tx/s ${b.cpuUs.toFixed(0)} µs`,
  );
}
const d = first.map((x, i) => x.cpuUs - second[i].cpuUs);
const q = first.map((x, i) => x.tps / second[i].tps);
console.log(
  `first − second read round, backends' CPU µs per transaction: ${d.map((x) => x.toFixed(0)).join(' ')} (median ${median(d).toFixed(0)}); rate first ÷ second median ${median(q).toFixed(2)}`,
);
await cpu.close();
