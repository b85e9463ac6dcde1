import type { Metric, Registry } from 'prom-client';

/** The request duration histogram's upper bounds (seconds). */
export const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

type Labels = Readonly<{ method: string; route: string; status: string }>;

/** One (method, route, status): its requests, their summed duration and counts per bucket. */
export class RequestSeries {
  count = 0;
  sum = 0;
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  readonly perBucket = new Float64Array(DURATION_BUCKETS.length + 1);

  constructor(
    readonly labels: Labels,
    readonly statusCode: number,
  ) {}

  /** Counts one request that took `seconds`. */
  observe(seconds: number): void {
    this.count += 1;
    this.sum += seconds;
    let i = 0;
    while (i < DURATION_BUCKETS.length && seconds > (DURATION_BUCKETS[i] as number)) i += 1;
    this.perBucket[i] = (this.perBucket[i] as number) + 1;
  }
}

/**
 * `http_requests_total` and `http_request_duration_seconds`, counted per request without
 * building anything: each (method, route, status) is one {@link RequestSeries}, found by the
 * route pattern and then by the method and status, and made once, on its first request. The
 * two metrics are written from these series when `/metrics` is read, in prom-client's format
 * (the same text its `Counter` and `Histogram` give for the same observations). prom-client's
 * own would join the three labels into a key string twice per request, for the counter and the
 * histogram, and check each label's name every time.
 */
export class RequestMetrics {
  readonly #byRoute = new Map<string, RequestSeries[]>();
  /** Every series, in the order of their first request (prom-client's order). */
  #all: RequestSeries[] = [];

  constructor(registry: Registry) {
    registry.registerMetric(this.#counter() as unknown as Metric);
    registry.registerMetric(this.#histogram() as unknown as Metric);
  }

  /** The series of a request: made on the first request of this method, route and status. */
  series(method: string, route: string, statusCode: number): RequestSeries {
    let list = this.#byRoute.get(route);
    if (list === undefined) {
      list = [];
      this.#byRoute.set(route, list);
    }
    for (const series of list) {
      if (series.statusCode === statusCode && series.labels.method === method) return series;
    }
    const series = new RequestSeries({ method, route, status: String(statusCode) }, statusCode);
    list.push(series);
    this.#all.push(series);
    return series;
  }

  reset(): void {
    this.#byRoute.clear();
    this.#all = [];
  }

  #counter() {
    const name = 'http_requests_total';
    return {
      name,
      help: 'HTTP requests by method, route template and status',
      type: 'counter',
      aggregator: 'sum',
      labelNames: ['method', 'route', 'status'],
      get: async () => ({
        name,
        help: 'HTTP requests by method, route template and status',
        type: 'counter',
        aggregator: 'sum',
        values: this.#all.map((s) => ({ value: s.count, labels: s.labels })),
      }),
      reset: () => this.reset(),
    };
  }

  #histogram() {
    const name = 'http_request_duration_seconds';
    const help = 'HTTP request latency by method, route template and status';
    /** prom-client's histogram values: per series its buckets (cumulative), `+Inf`, sum, count. */
    const values = (splay: boolean) =>
      this.#all.flatMap((s) => {
        const line = (
          metricName: string,
          labels: Record<string, string | number>,
          value: number,
        ) =>
          splay
            ? { metricName, labels: { ...labels, ...s.labels }, value }
            : { metricName, labels, sharedLabels: s.labels, value, exemplar: null };
        let acc = 0;
        const buckets = DURATION_BUCKETS.map((le, i) => {
          acc += s.perBucket[i] as number;
          return line(`${name}_bucket`, { le }, acc);
        });
        return [
          ...buckets,
          line(`${name}_bucket`, { le: '+Inf' }, s.count),
          line(`${name}_sum`, {}, s.sum),
          line(`${name}_count`, {}, s.count),
        ];
      });
    const metric = (splay: boolean) => ({
      name,
      help,
      type: 'histogram',
      values: values(splay),
      aggregator: 'sum',
    });
    return {
      name,
      help,
      type: 'histogram',
      aggregator: 'sum',
      labelNames: ['method', 'route', 'status'],
      get: async () => metric(true),
      // What the registry reads for the text format, as prom-client's `Histogram` gives it.
      getForPromString: async () => metric(false),
      reset: () => this.reset(),
    };
  }
}
