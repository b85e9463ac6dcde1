import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { RequestMetrics } from './request-metrics.js';

/** The API's Prometheus metrics, in a registry of its own (several apps can share a process). */
export interface Metrics {
  readonly registry: Registry;
  /** `http_requests_total` and `http_request_duration_seconds`, by method, route and status. */
  readonly requests: RequestMetrics;
  /**
   * Requests received and not yet answered (what a graceful drain is waiting for): `count` is
   * kept by the request hooks and read into `http_requests_in_flight` when `/metrics` is read.
   */
  readonly inFlight: { count: number };
  readonly authFailures: Counter<'code'>;
  readonly jwksFetches: Counter<'issuer' | 'outcome' | 'reason'>;
  readonly revocations: Counter<'kind' | 'source'>;
  /** Agents whose grant end at the identity provider is pending (their tokens refused). */
  readonly grantEndsPending: Gauge;
  /** Age of the oldest pending grant end: a hold that does not clear grows here. */
  readonly grantEndOldest: Gauge;
}

/** Creates the metrics; `defaults` adds the process metrics (CPU, memory, event loop). */
export function createMetrics(options: { defaults?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaults !== false) collectDefaultMetrics({ register: registry });
  const requests = new RequestMetrics(registry);
  const inFlight = { count: 0 };
  new Gauge({
    name: 'http_requests_in_flight',
    help: 'HTTP requests received and not yet answered',
    registers: [registry],
    collect() {
      this.set(inFlight.count);
    },
  });
  return {
    registry,
    requests,
    inFlight,
    authFailures: new Counter({
      name: 'auth_failures_total',
      help: 'Refused requests by auth reason code',
      labelNames: ['code'],
      registers: [registry],
    }),
    jwksFetches: new Counter({
      name: 'jwks_fetches_total',
      // reason: startup (first load), ttl (the cache lifetime was over) or unknown_kid (a
      // token named a key the set lacks), so a refetch flood shows apart from the schedule.
      help: 'JWKS fetches by issuer, outcome and reason (startup, ttl, unknown_kid)',
      labelNames: ['issuer', 'outcome', 'reason'],
      registers: [registry],
    }),
    revocations: new Counter({
      name: 'revocations_total',
      help: 'Sessions and subjects revoked, by kind and source',
      labelNames: ['kind', 'source'],
      registers: [registry],
    }),
    grantEndsPending: new Gauge({
      name: 'agent_grant_ends_pending',
      help: 'Agents ended whose grant the identity provider has not ended yet (tokens refused)',
      registers: [registry],
    }),
    grantEndOldest: new Gauge({
      name: 'agent_grant_end_oldest_seconds',
      help: 'Age of the oldest pending agent grant end (0 when none)',
      registers: [registry],
    }),
  };
}
