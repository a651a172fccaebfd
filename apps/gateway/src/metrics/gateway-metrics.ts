import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Request durations from 1 ms to 10 s. */
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The gateway's Prometheus registry (one per gateway instance): request durations by route pattern and
 * the process's default metrics (prefix `bg_`). Served at GET /metrics (admin key) and on METRICS_PORT.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  /** Labels: method, route (the route pattern, `unmatched` for a 404 without route), status. */
  readonly httpDuration = new Histogram({
    name: 'bg_http_request_duration_seconds',
    help: 'HTTP requests answered by the gateway, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });

  constructor() {
    this.registry.setDefaultLabels({ service: 'gateway' });
    collectDefaultMetrics({ register: this.registry, prefix: 'bg_' });
  }

  /** One answered request (a histogram observe: the only cost on the hot path). */
  observeRequest(method: string, route: string | undefined, status: number, seconds: number): void {
    this.httpDuration.observe({ method, route: route ?? 'unmatched', status: String(status) }, seconds);
  }
}
