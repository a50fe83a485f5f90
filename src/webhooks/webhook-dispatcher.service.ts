import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { every } from '../common/every';
import { MetricsService } from '../metrics/metrics.service';
import { InstanceId } from '../redis/instance-id';
import { retryDelayMs } from './backoff';
import { OutboxEvent, Retry, WebhookOutbox } from './webhook-outbox.port';
import { WebhookSender } from './webhook-sender';

const POLL_MS = 200;
const BATCH = 32;
/** Deliveries in flight on this instance; the rest wait in the outbox for this one or another. */
const MAX_IN_FLIGHT = 64;
const EXPIRING_LIMIT = 200;

/**
 * Delivers the outbox's events to every WEBHOOK_URLS receiver, on every instance: each event is
 * taken by one; one that dies holding it leaves it to another once it is stale. A failed delivery
 * becomes a retry with growing backoff, up to WEBHOOK_MAX_ATTEMPTS, then is given up (an error
 * line, a metric). Deliveries run beside each other and never wait on a run or a decision.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Webhooks');
  private readonly sender: WebhookSender | null;
  private readonly stops: (() => void)[] = [];
  private inFlight = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly outbox: WebhookOutbox,
    private readonly metrics: MetricsService,
    private readonly instance: InstanceId,
  ) {
    const { secret, timeoutMs } = config.webhooks;
    this.sender = secret && config.webhooks.urls.length > 0 ? new WebhookSender(secret, timeoutMs) : null;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.sender) return;
    const outbox = this.outbox;
    await outbox.open().catch((err) => this.logger.warn(`Webhook outbox not opened yet: ${String(err)}`));
    this.logger.log(`Webhooks: ${this.config.webhooks.urls.length} receiver(s)`);
    this.stops.push(every(POLL_MS, () => this.pollEvents(), this.logger));
    this.stops.push(every(POLL_MS, () => this.pollRetries(), this.logger));
    const leadMs = this.config.hitl.expiryWarningSeconds * 1000;
    if (leadMs > 0) this.stops.push(every(POLL_MS, () => outbox.announceExpiring(leadMs, EXPIRING_LIMIT), this.logger));
    this.stops.push(every(5000, () => this.sampleStats(), this.logger));
  }

  beforeApplicationShutdown(): void {
    this.stops.forEach((stop) => stop());
  }

  /** An event taken longer ago than every receiver's first attempt could take is its holder's loss. */
  private get staleMs(): number {
    return this.config.webhooks.timeoutMs * 2 + 5000;
  }

  private async pollEvents(): Promise<void> {
    const room = Math.min(BATCH, MAX_IN_FLIGHT - this.inFlight);
    if (room <= 0) return;
    const events = await this.outbox.take(this.instance.value, this.staleMs, room);
    for (const event of events) this.track(this.deliverNew(event));
  }

  private async pollRetries(): Promise<void> {
    const room = Math.min(BATCH, MAX_IN_FLIGHT - this.inFlight);
    if (room <= 0) return;
    const retries = await this.outbox.takeRetries(this.staleMs, room);
    for (const retry of retries) this.track(this.deliverRetry(retry));
  }

  private track(work: Promise<void>): void {
    this.inFlight++;
    work.catch((err) => this.logger.warn(`Webhook delivery bookkeeping failed (it is retried): ${String(err)}`)).finally(() => this.inFlight--);
  }

  private async deliverNew(event: OutboxEvent): Promise<void> {
    const results = await Promise.all(this.config.webhooks.urls.map(async (url) => ({ url, ok: await this.attempt(url, event, 1) })));
    const retries = results.filter((r) => !r.ok).flatMap((r) => this.next({ event, url: r.url, attempts: 1 }));
    await this.outbox.finish(event, retries);
  }

  private async deliverRetry(retry: Retry): Promise<void> {
    const attempts = retry.attempts + 1;
    const ok = await this.attempt(retry.url, retry.event, attempts);
    const [next] = ok ? [] : this.next({ ...retry, attempts });
    await this.outbox.settleRetry(retry, next);
  }

  /** The next attempt of a failed delivery, or none when it is given up. */
  private next(retry: Retry): { retry: Retry; atMs: number }[] {
    if (retry.attempts >= this.config.webhooks.maxAttempts) {
      this.metrics.webhookDeliveries.inc({ outcome: 'given_up' });
      this.logger.error(`Webhook ${retry.event.type} ${retry.event.id} to receiver ${this.receiverIndex(retry.url)} given up after ${retry.attempts} attempt(s)`);
      return [];
    }
    return [{ retry, atMs: Date.now() + retryDelayMs(retry.attempts) }];
  }

  private async attempt(url: string, event: OutboxEvent, attempt: number): Promise<boolean> {
    const { outcome, status } = await this.sender!.send(url, event);
    this.metrics.webhookDeliveries.inc({ outcome });
    if (outcome !== 'delivered') {
      this.logger.warn(`Webhook ${event.type} ${event.id} to receiver ${this.receiverIndex(url)}: attempt ${attempt} ${outcome}${status ? ` (${status})` : ''}`);
    }
    return outcome === 'delivered';
  }

  /** Receivers are named by position: their URLs may carry credentials. */
  private receiverIndex(url: string): number {
    return this.config.webhooks.urls.indexOf(url) + 1;
  }

  private async sampleStats(): Promise<void> {
    const { backlog, oldestAgeMs } = await this.outbox.stats();
    this.metrics.webhookBacklog.set(backlog);
    this.metrics.webhookOldestSeconds.set(oldestAgeMs / 1000);
  }
}
