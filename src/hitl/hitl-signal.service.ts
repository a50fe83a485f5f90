import { HttpException, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { isoNow } from '../common/time';
import type { Decision, DecisionSignal, HitlRequest, HitlSignal, SignalType } from '../contract/hitl.types';
import { STATUS_FOR_SIGNAL } from '../contract/hitl.types';
import { isValidId } from '../contract/ids';
import { Bus } from '../redis/bus';
import { NAMES, sessionOfHitlChannel } from '../redis/redis-names';
import { HitlService } from './hitl.service';
import { checkDecision, DecisionInput } from './decision-rules';
import { RunLookup } from './persistence/run-lookup.port';
import { groupMemberIds } from './request-group';
import { requestFromFields } from './persistence/request-fields.codec';

const SIGNAL_TYPES = Object.keys(STATUS_FOR_SIGNAL) as SignalType[];
/** The types another system may decide with on the channel (timeouts and cancels are the service's own). */
const DECIDING: SignalType[] = ['approval', 'rejection', 'response'];
const MAX_TEXT = 1000;
/** Messages on the channels come from anyone: a log line quotes no more than this of one. */
const LOGGED_CHARS = 200;

export type SignalListener = (signal: HitlSignal, request?: HitlRequest) => void;

type ParsedSignal = Omit<HitlSignal, 'requestId'> & { requestId?: string; request?: HitlRequest };

/**
 * The one listener on hitl:channel:* for the whole process (one PSUBSCRIBE on the shared
 * subscriber). Our own decisions arrive with the decided request and are handed on as they are;
 * another system's full-form or bare `{"type":"approval"|"rejection"}` decides the request here,
 * atomically like the HTTP routes (every instance tries, one wins). Anything else is logged and ignored.
 */
@Injectable()
export class HitlSignalService implements OnModuleInit {
  private readonly logger = new Logger(HitlSignalService.name);
  private readonly listeners: SignalListener[] = [];

  constructor(
    private readonly bus: Bus,
    private readonly hitl: HitlService,
    private readonly runs: RunLookup,
    config: AppConfig,
  ) {
    this.closed = config.hitl.channelDecisions === 'closed';
  }

  private readonly closed: boolean;

  onModuleInit(): void {
    // Not awaited: with Redis down at start-up the subscription waits in ioredis's queue, and the
    // service must still start (and answer readiness 503) meanwhile.
    this.bus
      .psubscribe(NAMES.hitlChannelPattern, (message, channel) => {
        this.receive(message, channel).catch((err) => this.logger.error(`Signal on ${quote(channel)} failed: ${String(err)}`));
      })
      .catch((err) => this.logger.error(`PSUBSCRIBE ${NAMES.hitlChannelPattern} failed: ${String(err)}`));
  }

  /** Listeners get each well-formed signal, with the decided request when it is known. */
  onSignal(listener: SignalListener): void {
    this.listeners.push(listener);
  }

  /** Called when signals may have been missed (the subscriber reconnected): listeners re-read what they wait on. */
  onResync(listener: () => void): void {
    this.bus.onResubscribed(listener);
  }

  private async receive(message: string, channel: string): Promise<void> {
    const sessionId = sessionOfHitlChannel(channel);
    if (!isValidId(sessionId)) {
      this.logger.warn(`Ignored a message on ${quote(channel)}: not a valid session channel`);
      return;
    }
    const signal = this.parse(message, sessionId);
    if (!signal) return;
    let request = signal.request;
    if (!request && DECIDING.includes(signal.type)) {
      // Ours carry the decided request (and decide nothing: the run checks it against the store); any other decides, when open.
      if (this.closed) {
        this.logger.warn(`Ignored a ${signal.type} message on ${NAMES.hitlChannel(sessionId)}: HITL_CHANNEL_DECISIONS=closed (only the HTTP routes decide)`);
        return;
      }
      if (!signal.requestId) return this.decideBare(signal, sessionId);
      const result = await this.decideExternal(signal, signal.requestId, sessionId);
      if (!result) return;
      request = result;
    }
    if (!signal.requestId) {
      this.logger.warn(`Ignored a bare ${signal.type} signal on ${NAMES.hitlChannel(sessionId)}: only approval, rejection and response decide`);
      return;
    }
    const { request: _carried, ...plain } = signal;
    this.listeners.forEach((l) => l(plain as HitlSignal, request));
  }

  /**
   * Another system's decision, under the rules of the HTTP routes that do not depend on a user: what
   * the request allows, an edit's schema and size, a response's length. Null when nothing was decided.
   */
  private async decideExternal(signal: ParsedSignal, requestId: string, sessionId: string): Promise<HitlRequest | null> {
    const where = NAMES.hitlChannel(sessionId);
    const req = await this.hitl.getStored(requestId);
    if (!req || req.sessionId !== sessionId) {
      this.logger.warn(`Ignored a ${signal.type} signal on ${where}: no request ${requestId} in this session`);
      return null;
    }
    const status = STATUS_FOR_SIGNAL[signal.type] as 'approved' | 'rejected' | 'responded';
    const input: DecisionInput = { status, reason: signal.reason, params: signal.params, message: signal.message };
    try {
      checkDecision(req, input);
    } catch (err) {
      this.logger.warn(`Ignored a ${signal.type} signal on ${where} for ${requestId}: ${err instanceof HttpException ? JSON.stringify(err.getResponse()) : String(err)}`);
      return null;
    }
    const decision: Decision = { status, decidedAt: isoNow(), decidedBy: signal.decidedBy ?? 'external', reason: signal.reason, viaChannel: true };
    if (signal.params) decision.editedParams = signal.params;
    if (status === 'responded') decision.response = signal.message;
    const result = await this.hitl.decide(requestId, decision, { sessionId });
    return result.outcome === 'not_found' ? null : result.request;
  }

  private parse(message: string, sessionId: string): ParsedSignal | null {
    const ignore = (why: string) => {
      this.logger.warn(`Ignored a message on ${NAMES.hitlChannel(sessionId)}: ${why} (${quote(message)})`);
      return null;
    };
    let body: unknown;
    try {
      body = JSON.parse(message);
    } catch {
      return ignore('not valid JSON');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return ignore('not a JSON object');
    const b = body as Partial<DecisionSignal> & Record<string, unknown>;
    if (!SIGNAL_TYPES.includes(b.type as SignalType)) return ignore(`unknown type ${quote(JSON.stringify(b.type) ?? '')}`);
    if (b.sessionId !== undefined && b.sessionId !== sessionId) return ignore('sessionId does not match the channel');
    if (b.requestId !== undefined && !isValidId(b.requestId)) return ignore('invalid requestId');
    const text = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v.slice(0, MAX_TEXT) : undefined);
    if (b.params !== undefined && (typeof b.params !== 'object' || b.params === null || Array.isArray(b.params))) return ignore('params is not a JSON object');
    if (b.message !== undefined && typeof b.message !== 'string') return ignore('message is not a string');
    return {
      type: b.type as SignalType,
      requestId: b.requestId,
      sessionId,
      decidedBy: text(b.decidedBy),
      reason: text(b.reason),
      ...(b.params ? { params: b.params } : {}),
      ...(typeof b.message === 'string' ? { message: b.message } : {}),
      timestamp: isoNow(),
      request: carriedRequest(b.request, b.requestId, sessionId),
    };
  }

  /** Another system's bare decision decides every pending request the run waits on (its whole group), each exactly once. */
  private async decideBare(signal: ParsedSignal, sessionId: string): Promise<void> {
    const run = await this.runs.getRun(sessionId);
    const first = run?.requestId ? await this.hitl.getStored(run.requestId) : null;
    if (!first) {
      this.logger.warn(`Ignored a bare ${signal.type} signal on ${NAMES.hitlChannel(sessionId)}: no pending request`);
      return;
    }
    for (const requestId of groupMemberIds(first.groupId, first.groupSize)) {
      const decided = await this.decideExternal(signal, requestId, sessionId);
      if (decided?.decidedAt && decided.status === STATUS_FOR_SIGNAL[signal.type]) this.logger.log(`Request ${requestId} ${decided.status} by a bare signal on ${NAMES.hitlChannel(sessionId)}`);
      const { request: _carried, ...plain } = signal;
      if (decided) this.listeners.forEach((l) => l({ ...(plain as HitlSignal), requestId }, decided));
    }
  }
}

/** The decided request a signal carries, when it is one of ours for this request (the run's write checks it against the store). */
function carriedRequest(value: unknown, requestId: unknown, sessionId: string): HitlRequest | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as HitlRequest;
  const fits = r.requestId === requestId && r.sessionId === sessionId && typeof r.status === 'string' && r.status !== 'pending';
  if (!fits) return undefined;
  try {
    // The script leaves the v1.3 JSON fields as strings: read it as the store's reader does.
    return requestFromFields(value as Record<string, string>);
  } catch {
    return undefined;
  }
}

const quote = (text: string): string => (text.length > LOGGED_CHARS ? `${text.slice(0, LOGGED_CHARS)}… (${text.length} chars)` : text);
