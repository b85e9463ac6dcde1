import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { DURATION_BUCKETS, RequestMetrics } from '../src/request-metrics.js';

/** Requests as (method, route, status, seconds): every bucket, its bounds, past the last. */
const REQUESTS: ReadonlyArray<readonly [string, string, number, number]> = [
  ['GET', '/me', 200, 0.0004],
  ['GET', '/me', 200, 0.001],
  ['GET', '/me', 401, 0.0011],
  ['GET', '/todos/', 200, 0.003],
  ['POST', '/todos/', 201, 0.02],
  ['GET', '/me', 200, 0.0025],
  ['GET', 'unmatched', 404, 0.7],
  ['HEAD', '/healthz', 200, 2.5],
  ['GET', '/me', 200, 3],
  ['POST', '/todos/', 201, 0.3],
  ['GET', '/todos/', 304, 0.05],
];

/** The text prom-client's own counter and histogram give for the same requests. */
async function promClientText(): Promise<string> {
  const registry = new Registry();
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route template and status',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route template and status',
    labelNames,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  for (const [method, route, status, seconds] of REQUESTS) {
    const labels = { method, route, status: String(status) };
    requests.inc(labels);
    duration.observe(labels, seconds);
  }
  return registry.metrics();
}

describe('request metrics', () => {
  it('write the same text as prom-client counting the same requests', async () => {
    const registry = new Registry();
    const metrics = new RequestMetrics(registry);
    for (const [method, route, status, seconds] of REQUESTS)
      metrics.series(method, route, status).observe(seconds);
    const text = await registry.metrics();
    expect(text).toBe(await promClientText());
    expect(text).toContain('http_requests_total{method="GET",route="/me",status="200"} 4');
    expect(text).toContain(
      'http_request_duration_seconds_bucket{le="0.001",method="GET",route="/me",status="200"} 2',
    );
  });

  it('find one series per method, route and status, and forget them on reset', async () => {
    const registry = new Registry();
    const metrics = new RequestMetrics(registry);
    const first = metrics.series('GET', '/me', 200);
    expect(metrics.series('GET', '/me', 200)).toBe(first);
    expect(metrics.series('HEAD', '/me', 200)).not.toBe(first);
    expect(metrics.series('GET', '/me', 304)).not.toBe(first);
    first.observe(0.002);
    registry.resetMetrics();
    expect(await registry.metrics()).not.toContain('route="/me"');
    const json = await registry.getMetricsAsJSON();
    expect(json.map((m) => m.name)).toEqual([
      'http_requests_total',
      'http_request_duration_seconds',
    ]);
  });
});
