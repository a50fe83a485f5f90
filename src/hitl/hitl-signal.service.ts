import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { isValidId } from '../common/ids';
import { isoNow } from '../common/time';
import { MetricsService } from '../metrics/metrics.service';
import { Bus } from '../redis/bus';
import { AuraStore } from '../store/aura-store';
import { HITL_CHANNEL_PATTERN, HitlRequest, HitlSignal, STATUS_FOR_SIGNAL, SignalType } from './hitl.types';

const CHANNEL_PREFIX = HITL_CHANNEL_PATTERN.slice(0, -1);
const SIGNAL_TYPES = Object.keys(STATUS_FOR_SIGNAL) as SignalType[];
const MAX_TEXT = 1000;

export type SignalListener = (signal: HitlSignal, request?: HitlRequest) => void;

/**
 * The one listener on hitl:channel:* for the whole process (one PSUBSCRIBE on the shared subscriber).
 * Validates every message, turns bare `{"type":"approval"|"rejection"}` from other systems into a
 * decision of the session's pending request (atomic, like the HTTP routes), and hands well-formed
 * signals to the runs waiting on them. Anything else is logged and ignored.
 */
@Injectable()
export class HitlSignalService implements OnModuleInit {
  private readonly logger = new Logger(HitlSignalService.name);
  private readonly listeners: SignalListener[] = [];

  constructor(
    private readonly bus: Bus,
    private readonly store: AuraStore,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    // Not awaited: with Redis down at start-up the subscription waits in ioredis's queue, and the
    // service must still start (and answer readiness 503) meanwhile.
    this.bus
      .psubscribe(HITL_CHANNEL_PATTERN, (message, channel) => {
        this.handle(message, channel).catch((err) => this.logger.error(`Signal on ${channel} failed: ${String(err)}`));
      })
      .catch((err) => this.logger.error(`PSUBSCRIBE ${HITL_CHANNEL_PATTERN} failed: ${String(err)}`));
  }

  /** Listeners get each well-formed signal, with the request's stored state when this instance read it. */
  onSignal(listener: SignalListener): void {
    this.listeners.push(listener);
  }

  /** Exposed for tests: the same path a message from Redis takes. */
  async handle(message: string, channel: string): Promise<void> {
    const sessionId = channel.slice(CHANNEL_PREFIX.length);
    if (!channel.startsWith(CHANNEL_PREFIX) || !isValidId(sessionId)) {
      this.logger.warn(`Ignored a message on ${JSON.stringify(channel.slice(0, 200))}: not a valid session channel`);
      return;
    }
    const signal = this.parse(message, sessionId);
    if (!signal) return;
    if (!signal.requestId) {
      await this.decideBare(signal.type, sessionId, signal.decidedBy, signal.reason);
      return;
    }
    let request: HitlRequest | undefined;
    if (signal.type === 'approval' || signal.type === 'rejection') {
      // Our own decisions arrive already stored (the script answers conflict with the stored state);
      // another system's full-form signal decides the request here, on every instance: one wins.
      const result = await this.store.decide(
        signal.requestId,
        { status: STATUS_FOR_SIGNAL[signal.type], decidedAt: isoNow(), decidedBy: signal.decidedBy ?? 'external', reason: signal.reason },
        { sessionId },
      );
      if (result.outcome === 'not_found') {
        this.logger.warn(`Ignored a ${signal.type} signal on hitl:channel:${sessionId}: no request ${signal.requestId} in this session`);
        return;
      }
      if (result.outcome === 'decided') this.metrics.decisions.inc({ outcome: result.request.status });
      request = result.request;
    }
    this.listeners.forEach((l) => l(signal as HitlSignal, request));
  }

  private parse(message: string, sessionId: string): (Omit<HitlSignal, 'requestId'> & { requestId?: string }) | null {
    const ignore = (why: string) => {
      this.logger.warn(`Ignored a message on hitl:channel:${sessionId}: ${why}`);
      return null;
    };
    let body: unknown;
    try {
      body = JSON.parse(message);
    } catch {
      return ignore('not valid JSON');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return ignore('not a JSON object');
    const b = body as Record<string, unknown>;
    if (!SIGNAL_TYPES.includes(b.type as SignalType)) return ignore(`unknown type ${JSON.stringify(b.type)}`);
    if (b.sessionId !== undefined && b.sessionId !== sessionId) return ignore('sessionId does not match the channel');
    if (b.requestId !== undefined && !isValidId(b.requestId)) return ignore('invalid requestId');
    const text = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v.slice(0, MAX_TEXT) : undefined);
    return {
      type: b.type as SignalType,
      requestId: b.requestId as string | undefined,
      sessionId,
      decidedBy: text(b.decidedBy),
      reason: text(b.reason),
      timestamp: isoNow(),
    };
  }

  /** Another system's bare approval/rejection decides the session's pending request, exactly once. */
  private async decideBare(type: SignalType, sessionId: string, decidedBy?: string, reason?: string): Promise<void> {
    if (type !== 'approval' && type !== 'rejection') {
      this.logger.warn(`Ignored a bare ${type} signal on hitl:channel:${sessionId}: only approval and rejection decide`);
      return;
    }
    const run = await this.store.getRun(sessionId);
    if (!run?.requestId) {
      this.logger.warn(`Ignored a bare ${type} signal on hitl:channel:${sessionId}: no pending request`);
      return;
    }
    const status = STATUS_FOR_SIGNAL[type];
    const result = await this.store.decide(run.requestId, { status, decidedAt: isoNow(), decidedBy: decidedBy ?? 'external', reason });
    // Every instance receives the bare signal and tries; exactly one wins, the others see a conflict.
    if (result.outcome === 'decided') {
      this.metrics.decisions.inc({ outcome: status });
      this.logger.log(`Request ${run.requestId} ${status} by a bare signal on hitl:channel:${sessionId}`);
    }
  }
}
