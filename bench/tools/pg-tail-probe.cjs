// Preload for the API process (`node -r bench/tools/pg-tail-probe.cjs …`, see pg-tail.mjs): where a
// PostgreSQL request's time goes, per round. Records, with their start instants (ms since the
// process's time origin): every HTTP request from its start to its response's end (diagnostics
// channels `http.server.request.start` / `http.server.response.finish`), every wait for a pooled
// connection (pg-pool `connect` → the connection handed over, with the queue's length at the
// call) and every hold (handed over → released), every collector pause (`gc` performance
// entries) and the event loop's delay (1 ms resolution). On SIGUSR2 it appends what it holds as
// one JSON line to PROBE_OUT and starts again; the tool sends it before and after each round.
// Also used for SQLite (sqlite-tail.mjs): then `wait` and `hold` stay empty.
'use strict';
const dc = require('node:diagnostics_channel');
const { appendFileSync } = require('node:fs');
const { join } = require('node:path');
const { PerformanceObserver, monitorEventLoopDelay, performance } = require('node:perf_hooks');

const out = process.env.PROBE_OUT;
let rec = fresh();
function fresh() {
  return { t0: performance.now(), req: [], wait: [], hold: [], gc: [] };
}
const starts = new WeakMap();
dc.subscribe('http.server.request.start', ({ request }) => starts.set(request, performance.now()));
dc.subscribe('http.server.response.finish', ({ request }) => {
  const s = starts.get(request);
  if (s !== undefined) rec.req.push(s, performance.now() - s);
});

const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) rec.gc.push(e.startTime, e.duration, e.detail?.kind ?? 0);
});
gcObserver.observe({ entryTypes: ['gc'] });
let loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();

// The pool's waits and holds: PostgreSQL only (an API on SQLite has no pool; sqlite-tail.mjs).
if (process.env.DATABASE_URL) probePool();

function probePool() {
  const pg = require(require.resolve('pg', { paths: [join(process.cwd(), 'packages/api')] }));
  const connect = pg.Pool.prototype.connect;
  const watched = new WeakSet();
  pg.Pool.prototype.connect = function probedConnect(cb) {
    if (cb !== undefined) return connect.call(this, cb);
    if (!watched.has(this)) {
      watched.add(this);
      this.on('release', (_err, client) => {
        if (client.probeAcquired !== undefined)
          rec.hold.push(client.probeAcquired, performance.now() - client.probeAcquired);
      });
    }
    const t = performance.now();
    const queued = this._pendingQueue.length;
    return connect.call(this).then((client) => {
      const now = performance.now();
      rec.wait.push(t, now - t, queued);
      client.probeAcquired = now;
      return client;
    });
  };
}

process.on('SIGUSR2', () => {
  const ms = (ns) => ns / 1e6;
  const line = {
    ...rec,
    t1: performance.now(),
    origin: performance.timeOrigin,
    loop: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) },
  };
  if (out) appendFileSync(out, `${JSON.stringify(line)}\n`);
  rec = fresh();
  loop.disable();
  loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
});
