import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The service's Prometheus metrics, on a registry of its own (several apps can share a test process). */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'aura_http_request_duration_seconds',
    help: 'HTTP request duration by route and status (SSE: the stream lifetime)',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60, 300],
    registers: [this.registry],
  });

  /** Read when scraped: the owners register where the current value comes from. */
  openStreamsSource = (): number => 0;
  pausedRunsSource = (): number => 0;

  readonly openStreams = this.sampledGauge('aura_open_streams', 'SSE streams open on this instance', () => this.openStreamsSource());

  readonly pausedRuns = this.sampledGauge('aura_paused_runs', 'Runs driven by this instance that wait for a decision', () => this.pausedRunsSource());

  readonly decisions = new Counter({
    name: 'aura_hitl_decisions_total',
    help: 'HITL decisions by outcome (approved, rejected, expired, cancelled, conflict)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly decisionToResume = new Histogram({
    name: 'aura_decision_to_resume_seconds',
    help: 'From a decision being stored to the run writing its decision event',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });

  readonly redisReconnects = new Counter({ name: 'aura_redis_reconnects_total', help: 'Redis reconnect attempts', registers: [this.registry] });

  readonly eventsPublished = new Counter({ name: 'aura_events_published_total', help: 'Run events written to the event log and published', registers: [this.registry] });

  readonly runsStarted = new Counter({ name: 'aura_runs_started_total', help: 'Runs started on this instance', registers: [this.registry] });

  readonly runsRefused = new Counter({
    name: 'aura_runs_refused_total',
    help: 'New runs refused (429) because the user or the tenant had as many unfinished runs as allowed',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  readonly runsTakenOver = new Counter({ name: 'aura_runs_taken_over_total', help: 'Runs taken over from an instance whose lease lapsed', registers: [this.registry] });

  /** AGENT=worker: the ready queue as its monitor last read it (the same on every instance: aggregate with max, not sum). */
  readonly workerQueueRuns = new Gauge({ name: 'aura_worker_queue_runs', help: 'Runs waiting in the ready queue for a worker (AGENT=worker)', registers: [this.registry] });

  readonly workerQueueOldestSeconds = new Gauge({
    name: 'aura_worker_queue_oldest_seconds',
    help: 'How long the oldest run in the ready queue has waited for a worker (AGENT=worker; 0 when none waits)',
    registers: [this.registry],
  });

  readonly webhookDeliveries = new Counter({
    name: 'aura_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome (delivered, failed, timeout) and deliveries given up (given_up)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  /** Read from the shared outbox (the same on every instance: aggregate with max, not sum). */
  readonly webhookBacklog = new Gauge({ name: 'aura_webhook_backlog', help: 'Webhook events not yet delivered (new and waiting for a retry)', registers: [this.registry] });

  readonly webhookOldestSeconds = new Gauge({ name: 'aura_webhook_oldest_undelivered_seconds', help: 'Age of the oldest undelivered webhook event (0 when none)', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  private sampledGauge(name: string, help: string, read: () => number): Gauge {
    return new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }
}
