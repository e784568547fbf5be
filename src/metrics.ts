import type { Kysely } from 'kysely';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Database } from './db/schema.js';

/** Prometheus metrics of one process (served at GET /metrics). */
export class Metrics {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'osr_http_request_duration_seconds',
    help: 'HTTP request durations by method, route and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly deliveriesAccepted = new Counter({
    name: 'osr_deliveries_accepted_total',
    help: 'Data deliveries accepted (202) by this process',
    registers: [this.registry],
  });

  readonly deliveriesProcessed = new Counter({
    name: 'osr_deliveries_processed_total',
    help: 'Data deliveries processed by the worker(s) of this process, by result status',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  readonly processingLatency = new Histogram({
    name: 'osr_delivery_processing_latency_seconds',
    help: 'Time from acceptance to stored result',
    buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly loginRefusals = new Counter({
    name: 'osr_login_refusals_total',
    help: 'Refused logins: wrong username or password (unauthorized), or too many failures (throttled)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly tooManyRequests = new Counter({
    name: 'osr_too_many_requests_total',
    help: 'Requests answered 429 (login throttle or per-credential request rate)',
    registers: [this.registry],
  });

  readonly resultWaiters = new Gauge({
    name: 'osr_delivery_result_waiters',
    help: 'E3 requests of this process waiting for their delivery to be processed (Prefer: wait)',
    registers: [this.registry],
  });

  constructor(db: Kysely<Database>) {
    // The process's memory, CPU, event-loop lag, handles and garbage collection.
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'osr_delivery_queue_depth',
      help: 'Data deliveries waiting to be processed (PENDING), read from the database at scrape time',
      registers: [this.registry],
      async collect() {
        const row = await db
          .selectFrom('deliveries')
          .select((eb) => eb.fn.countAll<string>().as('pending'))
          .where('status', '=', 'PENDING')
          .executeTakeFirst()
          .catch(() => undefined);
        if (row) this.set(Number(row.pending));
      },
    });
  }

  recordProcessed(status: string, receivedAt: Date): void {
    this.deliveriesProcessed.inc({ status });
    this.processingLatency.observe((Date.now() - receivedAt.getTime()) / 1000);
  }
}
