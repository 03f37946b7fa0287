/**
 * Prometheus metrics, on a registry of the app's own (not prom-client's global one), so that
 * several servers in one process (tests, benchmarks) keep separate counts.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { WorkerPool } from '../jobs/pool.js';

export interface ServerMetrics {
  registry: Registry;
  requests: Counter<'route' | 'method' | 'status'>;
  requestSeconds: Histogram<'route'>;
  bytesIn: Counter<'route'>;
  renders: Counter<'format' | 'outcome'>;
  renderSeconds: Histogram<'outcome'>;
}

/** Names exported on /metrics, for tests and the docs. */
export const METRIC_NAMES = [
  'hotpath_http_requests_total',
  'hotpath_http_request_duration_seconds',
  'hotpath_http_request_bytes_total',
  'hotpath_renders_total',
  'hotpath_render_duration_seconds',
  'hotpath_render_queue_depth',
  'hotpath_render_workers_busy',
  'hotpath_render_worker_restarts_total',
] as const;

export function createMetrics(pool: WorkerPool): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'hotpath_http_requests_total',
    help: 'HTTP requests answered, by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  const requestSeconds = new Histogram({
    name: 'hotpath_http_request_duration_seconds',
    help: 'Time from request to the end of the response, by route',
    labelNames: ['route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const bytesIn = new Counter({
    name: 'hotpath_http_request_bytes_total',
    help: 'Request body bytes received, by route',
    labelNames: ['route'] as const,
    registers: [registry],
  });
  const renders = new Counter({
    name: 'hotpath_renders_total',
    help: 'Reports produced, by format and outcome (ok, or the problem kind)',
    labelNames: ['format', 'outcome'] as const,
    registers: [registry],
  });
  const renderSeconds = new Histogram({
    name: 'hotpath_render_duration_seconds',
    help: 'Time of profile jobs in the worker pool (decoding, report, layout), queue wait included',
    labelNames: ['outcome'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  new Gauge({
    name: 'hotpath_render_queue_depth',
    help: 'Profile jobs waiting for a worker',
    registers: [registry],
    collect() {
      this.set(pool.stats().queued);
    },
  });
  new Gauge({
    name: 'hotpath_render_workers_busy',
    help: 'Job workers running a job',
    registers: [registry],
    collect() {
      this.set(pool.stats().busy);
    },
  });
  // The pool keeps the running count; the counter catches up with it whenever it is scraped.
  let restartsSeen = 0;
  new Counter({
    name: 'hotpath_render_worker_restarts_total',
    help: 'Job workers replaced: deadline passed, out of memory, crash, Graphviz error or recycling',
    registers: [registry],
    collect() {
      const now = pool.stats().restarts;
      if (now > restartsSeen) this.inc(now - restartsSeen);
      restartsSeen = now;
    },
  });
  return { registry, requests, requestSeconds, bytesIn, renders, renderSeconds };
}
