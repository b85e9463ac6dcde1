// Figure 5: the API in introspection mode (RFC 7662) against the dev IdP, tokens issued by the
// dev IdP itself (password grant), with the introspection cache (one token, reused) and without
// it (every request a token the API has never seen, so every request is one introspection).
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { fire, median, requests } from '../lib/load.mjs';
import { passwordGrant, startApiProcess, startIdpProcess } from '../lib/servers.mjs';
import { fmt } from '../lib/table.mjs';
import { throughput } from './auth.mjs';

const bearer = (token) => ({ authorization: `Bearer ${token}` });

export async function introspection(ctx, table) {
  const idp = await startIdpProcess({ dataDir: mkdtempSync(join(ctx.tmp, 'idp-')) });
  let api;
  try {
    api = await startApiProcess({
      issuer: idp.issuer,
      dataDir: mkdtempSync(join(ctx.tmp, 'api-introspect-')),
      verify: 'introspect',
      clientId: 'todo-api',
      clientSecret: 'todo-api-secret',
      logLevel: ctx.logLevel,
    });
    const { rounds, duration, warmup, introspectTokens } = ctx.cfg;
    const reused = await passwordGrant(idp.issuer, 'alice');
    // Distinct tokens, 8 grants in flight (the IdP's token endpoint does ~300/s here).
    const fresh = [];
    const need = introspectTokens * (rounds + 1);
    const names = ['alice', 'bob', 'carol', 'testuser'];
    while (fresh.length < need) {
      const batch = Math.min(8, need - fresh.length);
      fresh.push(
        ...(await Promise.all(
          Array.from({ length: batch }, (_, i) =>
            passwordGrant(idp.issuer, names[(fresh.length + i) % names.length]),
          ),
        )),
      );
    }
    // Each token once over all the runs below.
    const uncached = requests(
      fresh.map((token) => ({ headers: bearer(token) })),
      'once',
    );
    const cachedRuns = [];
    const uncachedRuns = [];
    await fire({ pid: api.pid, url: `${api.url}/me`, headers: bearer(reused), duration: warmup });
    await fire({
      pid: api.pid,
      url: `${api.url}/me`,
      amount: introspectTokens,
      requests: uncached,
      connections: 16,
    });
    for (let r = 0; r < rounds; r++) {
      cachedRuns.push(
        await fire({ pid: api.pid, url: `${api.url}/me`, headers: bearer(reused), duration }),
      );
      // Exactly as many requests as unused tokens: none is seen twice.
      uncachedRuns.push(
        await fire({
          pid: api.pid,
          url: `${api.url}/me`,
          amount: introspectTokens,
          requests: uncached,
          connections: 16,
        }),
      );
    }
    const summarize = (runs) => {
      const bad = runs
        .flatMap((x) => [...x.statuses].filter(([k]) => k !== 200))
        .reduce((a, [, v]) => a + v, 0);
      const errors = runs.reduce((a, x) => a + x.errors, 0);
      return {
        rps: median(runs.map((x) => x.rps)),
        capacity: median(runs.map((x) => x.capacity)),
        cpuUs: median(runs.map((x) => x.cpuUs)),
        p50: median(runs.map((x) => x.p50)),
        p99: median(runs.map((x) => x.p99)),
        valid: bad === 0 && errors === 0,
        note: bad || errors ? `${bad} non-200, ${errors} errors` : '',
      };
    };
    const c = summarize(cachedRuns);
    const u = summarize(uncachedRuns);
    table.add('5', 'introspection mode GET /me, cache (one token)', throughput(c), {
      valid: c.valid,
      note: `p50 ${fmt(c.p50, 1)} ms, p99 ${fmt(c.p99, 1)} ms ${c.note}`,
    });
    table.add('5', 'introspection mode GET /me, no cache (new token each)', throughput(u), {
      valid: u.valid,
      note: `p50 ${fmt(u.p50, 1)} ms, p99 ${fmt(u.p99, 1)} ms; 16 conns; dev IdP on the load core; API CPU only ${u.note}`,
    });
  } finally {
    await api?.stop();
    await idp.stop();
  }
}
