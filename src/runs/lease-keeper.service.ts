import { BeforeApplicationShutdown, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { every } from '../common/every';
import { AppConfig } from '../config/app-config';
import { isTerminal } from '../contract/run.types';
import { HitlSignalService } from '../hitl/hitl-signal.service';
import { MetricsService } from '../metrics/metrics.service';
import { InstanceId } from '../redis/instance-id';
import { RunStore } from './persistence/run-store.port';
import { RunDriver } from './run-driver.service';
import { StoreClock } from './store-clock';
import { StoreLoss } from './store-loss';

const ORPHAN_SWEEP_MS = 1000;
const ORPHAN_BATCH = 100;

/**
 * Keeps this instance's lease on its runs alive (by the store's clock) and takes over the runs of
 * instances whose lease lapsed: on a sweep, on a signal for a run nobody here drives, and on a
 * client reconnecting to it. A taken-over run continues from its last written step.
 */
@Injectable()
export class LeaseKeeper implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(LeaseKeeper.name);
  private readonly stops: (() => void)[] = [];
  private epoch?: string;
  private serverId?: string;
  private stopping = false;

  constructor(
    private readonly runs: RunStore,
    private readonly driver: RunDriver,
    private readonly signals: HitlSignalService,
    private readonly clock: StoreClock,
    private readonly loss: StoreLoss,
    private readonly config: AppConfig,
    private readonly instance: InstanceId,
    private readonly metrics: MetricsService,
  ) {}

  async onModuleInit(): Promise<void> {
    // Runs paused on a request the store no longer has end rather than wait for ever.
    this.loss.onLost(() => void this.driver.recheckHeld().catch((err) => this.logger.warn(`Re-reading held runs failed: ${String(err)}`)));
    this.signals.onSignal((signal) => {
      if (!this.driver.isDriving(signal.sessionId)) void this.takeOver(signal.sessionId);
    });
    await this.heartbeat().catch((err) => this.logger.warn(`First heartbeat failed (${String(err)}); retrying`));
    this.stops.push(every(Math.max(100, Math.floor(this.config.runs.leaseMs / 3)), () => this.heartbeat(), this.logger));
    this.stops.push(every(ORPHAN_SWEEP_MS, () => this.adoptOrphans(), this.logger));
  }

  /** Stops renewing and gives the lease up at once, so other instances take the runs over without waiting. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.stops.forEach((stop) => stop());
    await this.runs.releaseLease(this.instance.value).catch(() => undefined);
  }

  /** Adopts the run if its owner's lease lapsed (or it is ours but undriven), then drives it. */
  async takeOver(sessionId: string, fromInstance?: string): Promise<void> {
    if (this.stopping || this.driver.isDriving(sessionId)) return;
    try {
      if (!(await this.runs.claim(sessionId, this.instance.value, fromInstance))) return;
      const run = await this.runs.getRun(sessionId);
      if (!run || isTerminal(run.status) || this.driver.isDriving(sessionId)) return;
      this.metrics.runsTakenOver.inc();
      this.logger.log(`Took over run ${sessionId} at step ${run.cursor} (${run.status})`);
      this.driver.start(run);
    } catch (err) {
      this.logger.warn(`Taking over ${sessionId} failed: ${String(err)}`);
    }
  }

  private async heartbeat(): Promise<void> {
    const sent = Date.now();
    const { nowMs, epoch, serverId } = await this.runs.heartbeat(this.instance.value, this.config.runs.leaseMs);
    this.clock.observe(nowMs, (sent + Date.now()) / 2);
    if (this.epoch !== undefined && epoch !== this.epoch) {
      this.logger.error('The store lost its data (flushed, or failed over without persistence): open streams of lost runs end with run_lost');
      this.loss.report();
    } else if (this.serverId !== undefined && serverId !== this.serverId) {
      this.logger.warn('The Redis server restarted or failed over: re-reading every held run; one gone or rolled back ends with run_lost');
      this.loss.report();
    }
    this.epoch = epoch;
    this.serverId = serverId;
  }

  private async adoptOrphans(): Promise<void> {
    const orphans = await this.runs.orphans(ORPHAN_BATCH);
    for (const { sessionId, instanceId } of orphans) await this.takeOver(sessionId, instanceId);
  }
}
