import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The API's Prometheus metrics, in a registry of its own (several apps can share a process). */
export interface Metrics {
  readonly registry: Registry;
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly duration: Histogram<'method' | 'route' | 'status'>;
  /** Requests received and not yet answered: what a graceful drain is waiting for. */
  readonly inFlight: Gauge;
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
  return {
    registry,
    requests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by method, route template and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by method, route template and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: 'http_requests_in_flight',
      help: 'HTTP requests received and not yet answered',
      registers: [registry],
    }),
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
