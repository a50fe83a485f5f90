import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { WorkerStore } from './persistence/worker-store.port';

/** How often the queue is read: often enough for the warning to come near its time, at most every 5 s. */
const pollMs = (warnSeconds: number): number => Math.min(5000, Math.max(200, (warnSeconds * 1000) / 4));

/**
 * AGENT=worker: a run waits in the ready queue until a worker claims it, and without a worker it
 * waits silently. While the queue holds runs this reads it on a timer, publishes its length and
 * its oldest run's wait as metrics, and logs a warning once per run that has waited longer than
 * WORKER_QUEUE_WARN_SECONDS. An empty queue costs nothing: reading starts again when a run is made
 * ready (the wake-up every instance hears) and stops once the queue is empty.
 */
@Injectable()
export class WorkerQueueMonitor implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('WorkerQueue');
  private timer?: NodeJS.Timeout;
  private reading = false;
  /** A wake-up came while a reading was under way: it may not have seen that run, so go on reading. */
  private woken = false;
  private stopped = false;
  private stopListening?: () => void;
  /** The run last warned about: the same run is not warned about again while it waits. */
  private warned: string | null = null;

  constructor(
    private readonly store: WorkerStore,
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    if (this.config.agent.kind !== 'worker') return;
    this.store
      .listen(
        () => this.wake(),
        () => this.wake(),
      )
      .then((stop) => (this.stopped ? stop() : (this.stopListening = stop)))
      .catch(() => undefined);
    // Runs queued before this instance started.
    this.wake();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    this.stopListening?.();
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private wake(): void {
    this.woken = true;
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => void this.check(), pollMs(this.config.worker.queueWarnSeconds));
    this.timer.unref();
    void this.check();
  }

  /** One reading of the queue. A store that is unreachable is reported by the health checks, not here. */
  async check(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    this.woken = false;
    try {
      const { queued, oldest } = await this.store.queueStats();
      this.metrics.workerQueueRuns.set(queued);
      this.metrics.workerQueueOldestSeconds.set(oldest ? oldest.waitedMs / 1000 : 0);
      if (queued === 0 && !this.woken) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
      const limitMs = this.config.worker.queueWarnSeconds * 1000;
      if (oldest && oldest.waitedMs > limitMs && oldest.sessionId !== this.warned) {
        this.warned = oldest.sessionId;
        this.logger.warn({
          msg: `Run ${oldest.sessionId} has waited ${Math.round(oldest.waitedMs / 1000)} s for a worker (${queued} queued, WORKER_QUEUE_WARN_SECONDS=${this.config.worker.queueWarnSeconds}): is a worker running and claiming (POST /aura/worker/claim)?`,
          sessionId: oldest.sessionId,
          queued,
          waitedSeconds: Math.round(oldest.waitedMs / 1000),
        });
      }
    } catch {
      // The timer (still running) tries again.
    } finally {
      this.reading = false;
    }
  }
}
