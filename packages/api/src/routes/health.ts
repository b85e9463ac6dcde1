import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { IssuerStatus } from '@todo-sso/auth';
import { sql } from 'kysely';
import type { AppContext } from '../context.js';
import type { Db } from '../db/database.js';
import { Health, Readiness } from '../schemas/misc.js';
import { PUBLIC } from '../schemas/security.js';

const TAGS = ['operations'];

/** What each route does, for its description in the OpenAPI document. */
const LIVENESS =
  '200 `{"status": "ok"}` while the process runs, whatever its dependencies: for liveness probes. Public, not rate limited, and readable from any origin (`Access-Control-Allow-Origin: *`), so the web app can tell an API refusing its origin from one it cannot reach.';
const READINESS =
  'For readiness probes. Public and not rate limited. 200 when the database answers within 2 s, every issuer has keys to verify with and the revocation feed is listening; `status` is `degraded` (still 200) while an issuer is failing but its cached keys still serve. 503, with the same body saying which check failed, when any of them cannot be used.';
const METRICS =
  'The Prometheus text exposition of the process and request metrics: requests by route and status, their durations, requests in flight, authentication failures, key fetches, revocations and pending agent grant ends. Public and not rate limited: keep it off the public network, at the proxy.';

/**
 * How long `/readyz` waits for the database's `select 1`: a silent or saturated database is
 * reported as down within it, rather than holding the probe (and its connection) open until
 * the pool's own limits end the wait.
 */
export const DATABASE_PROBE_MS = 2_000;

/** Whether `work` succeeds within `ms`. */
async function answersWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => false,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** `select 1`, after checking that SQLite's file is still the one open (`Db.checkFile`). */
async function probeDatabase(db: Db): Promise<void> {
  db.checkFile?.();
  await sql`select 1`.execute(db.kysely);
}

/** `/healthz` (the process runs), `/readyz` (it can serve), `/metrics` (Prometheus). */
export function healthRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  const { db, authenticator, revocations, metrics } = context;
  return async (app) => {
    app.get(
      '/healthz',
      {
        schema: {
          tags: TAGS,
          operationId: 'getHealth',
          description: LIVENESS,
          summary: 'Liveness',
          security: PUBLIC,
          response: { 200: Health },
          sentHeaders: { 200: ['Access-Control-Allow-Origin'] },
        },
      },
      async (_request, reply) => {
        // Fetch Standard, "CORS protocol": this public answer, and no other, may be read by any
        // origin (without credentials). The web app reads it after a request its browser refused,
        // to tell the API refusing its origin (CORS_ORIGINS, which `/readyz` still applies) from
        // an API it cannot reach or a proxy answering for one that is down (no CORS header).
        reply.header('access-control-allow-origin', '*');
        return { status: 'ok' as const };
      },
    );

    app.get(
      '/readyz',
      {
        schema: {
          tags: TAGS,
          operationId: 'getReadiness',
          description: READINESS,
          summary: 'Readiness: database, issuer keys and revocation feed reachable',
          security: PUBLIC,
          response: { 200: Readiness, 503: Readiness },
        },
      },
      async (_request, reply) => {
        const database = await answersWithin(probeDatabase(db), DATABASE_PROBE_MS);
        await authenticator.ready().catch(() => false);
        const issuers = authenticator.status().map(issuerReadiness);
        const checks: Record<string, boolean> = {
          database,
          issuers: issuers.every((i) => i.state !== 'unavailable'),
          revocations: revocations.listening(),
        };
        const ready = Object.values(checks).every(Boolean);
        // A pod serving on cached keys during an IdP outage stays in rotation (200): taking
        // every replica out would turn a partial outage into a total one. `degraded` tells
        // monitoring; 503 comes once something it needs cannot be used at all.
        const status = !ready
          ? ('unavailable' as const)
          : issuers.some((i) => i.state === 'degraded')
            ? ('degraded' as const)
            : ('ready' as const);
        return reply.code(ready ? 200 : 503).send({ status, checks, issuers });
      },
    );

    app.get(
      '/metrics',
      {
        schema: {
          tags: TAGS,
          operationId: 'getMetrics',
          description: METRICS,
          summary: 'Prometheus metrics',
          security: PUBLIC,
          produces: ['text/plain'],
          response: { 200: { type: 'string', description: 'Prometheus text format' } },
        },
      },
      async (_request, reply) => {
        const body = await metrics.registry.metrics();
        return reply.type(metrics.registry.contentType).send(body);
      },
    );
  };
}

/** One issuer as `/readyz` reports it: its state, and since when the IdP has been failing. */
function issuerReadiness(status: IssuerStatus) {
  const state = !status.usable
    ? ('unavailable' as const)
    : status.outageSince !== undefined
      ? ('degraded' as const)
      : ('ok' as const);
  return {
    issuer: status.issuer,
    state,
    ...(status.outageSince === undefined
      ? {}
      : { outageSince: new Date(status.outageSince).toISOString() }),
    ...(status.clientRefusedSince === undefined
      ? {}
      : { clientRefusedSince: new Date(status.clientRefusedSince).toISOString() }),
    ...(status.lastSuccessfulFetch === undefined
      ? {}
      : { lastSuccessfulFetch: new Date(status.lastSuccessfulFetch).toISOString() }),
    staleKeys: status.stale,
  };
}
