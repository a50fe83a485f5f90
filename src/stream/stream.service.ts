import { BeforeApplicationShutdown, Injectable, Logger, MessageEvent, OnModuleInit } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Observable, Subscriber } from 'rxjs';
import { AppConfig } from '../config/app-config';
import { DELTA_KIND, doneEvent, RUN_LOST_MESSAGE, runErrorEvent, serializeEvent } from '../contract/events';
import type { LoggedEvent } from '../contract/run.types';
import { MetricsService } from '../metrics/metrics.service';
import { StoreLoss } from '../runs/store-loss';
import { RunStore } from '../runs/persistence/run-store.port';
import { BurstWrites, SseSink } from './burst-writes';

const PAGE = 500;
/** Runs read at once when checking streams after the store lost or rolled back data. */
const LOST_CHECK_BATCH = 100;
/** Heartbeats go out in slices this often, so 20k streams do not all get theirs in the same instant. */
const HEARTBEAT_TICK_MS = 100;

/** One open SSE response: where it stands in the run's log. */
interface Watcher {
  sessionId: string;
  subscriber: Subscriber<MessageEvent>;
  lastSeq: number;
  /** Non-null while the log is being read: live events wait here, so none is missed or sent twice. */
  pending: LoggedEvent[] | null;
  /** Set when more may have been written behind a read in progress (a reconnect during a catch-up). */
  readAgain: boolean;
  closed: boolean;
  /** The heartbeat slice this watcher belongs to. */
  slice: Set<Watcher>;
  /** When the log was last read, to bound re-reads a live message can cause. */
  lastReadMs: number;
  /** The raw response: the heartbeat's bare `: ping` line (no client can mistake it for an event), and bursts. */
  sink: SseSink;
  /** Whether this stream asked for streamed text (deltas=true); others skip those ids. */
  deltas: boolean;
  /** The seq of the last live event that asked for a re-read: if the log did not have it, it is not asked again. */
  gapSeq: number;
}

/** A live message that does not fit the log (forged, stale) may ask for a re-read: at most this often per stream. */
const MIN_READ_INTERVAL_MS = 100;

/**
 * Watches runs for SSE clients: replays the log after Last-Event-ID, then follows it live through
 * the session's channel on the shared subscriber, by seq, with no gap and no duplicate. A watcher
 * is not the run: closing it never stops the run. One timer sends every watcher's heartbeat.
 */
@Injectable()
export class StreamService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(StreamService.name);
  private readonly watchers = new Set<Watcher>();
  /** Watchers spread over slices; one slice is pinged per tick, each watcher once per SSE_HEARTBEAT_SECONDS. */
  private slices: Set<Watcher>[] = [new Set()];
  private nextSlice = 0;
  private heartbeat?: NodeJS.Timeout;
  private readonly bursts = new BurstWrites();

  private closing = false;

  constructor(
    private readonly runs: RunStore,
    private readonly loss: StoreLoss,
    private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.metrics.openStreamsSource = () => this.watchers.size;
    const count = Math.max(1, Math.round((this.config.sse.heartbeatSeconds * 1000) / HEARTBEAT_TICK_MS));
    this.slices = Array.from({ length: count }, () => new Set<Watcher>());
    let tick = 0;
    this.heartbeat = setInterval(() => {
      // Written past Nest's serializer, which ends every message with a blank line: after an `id:`,
      // some clients (Python's httpx-sse) turn `: ping` + blank line into an empty event. Nest writes
      // each event as one chunk, so this line only ever lands between whole events.
      for (const w of this.slices[tick++ % count]) if (w.sink.headersSent && !w.sink.writableEnded) w.sink.write(': ping\n');
    }, HEARTBEAT_TICK_MS);
    this.heartbeat.unref();
    this.loss.onLost(() => void this.endLostRuns().catch((err) => this.logger.warn(`Checking for lost runs failed: ${String(err)}`)));
  }

  /** Sends every open stream `retry:` and closes it without `done`: clients reconnect elsewhere with Last-Event-ID. */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    clearInterval(this.heartbeat);
    for (const w of this.watchers) this.detach(w, true);
    // Let the last frames leave the sockets before the process goes.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  /** `release` is called once when the stream ends, however it ends. */
  watch(sessionId: string, afterSeq: number, sink: SseSink, deltas = false, release: () => void = () => undefined): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      const slice = this.slices[this.nextSlice++ % this.slices.length];
      const w: Watcher = { sessionId, subscriber, lastSeq: afterSeq, pending: [], readAgain: false, closed: false, slice, lastReadMs: 0, gapSeq: 0, deltas, sink };
      this.watchers.add(w);
      slice.add(w);
      // Sent at once so the headers are flushed before the first event.
      subscriber.next({ comment: 'connected' } as MessageEvent);
      // Opened while the instance was shutting down: hand it off at once.
      if (this.closing) {
        this.detach(w, true);
        return;
      }
      let unsubscribe: (() => void) | undefined;
      this.runs
        // Events published while the subscriber was reconnecting were never delivered: onResync reads them from the log.
        .follow(sessionId, { onEvent: (event) => this.receive(w, event), onResync: () => this.resync(w) })
        .then((unsub) => {
          unsubscribe = unsub;
          if (w.closed) return unsub();
          return this.catchUp(w);
        })
        .catch((err) => {
          this.logger.warn(`Stream ${sessionId}: ${String(err)}; closing with retry`);
          this.detach(w, true);
        });
      return () => {
        this.forget(w);
        release();
        unsubscribe?.();
      };
    });
  }

  private receive(w: Watcher, event: LoggedEvent): void {
    if (w.closed) return;
    if (event.seq <= w.lastSeq) {
      // A run ended as lost from a rolled-back position writes at ids this stream already used.
      if (event.type === 'run_error' && event.json.includes('"code":"run_lost"')) this.endAsLost(w);
      return;
    }
    if (w.pending) {
      w.pending.push(event);
    } else if (event.seq === w.lastSeq + 1) {
      this.send(w, event);
    } else {
      // A gap (a message lost while the subscriber reconnected, say): the log has what is missing.
      this.resync(w, event);
    }
  }

  /** Reads the log after what the watcher has sent; live events wait in `pending` meanwhile. */
  private resync(w: Watcher, waiting?: LoggedEvent): void {
    if (w.closed) return;
    if (waiting) {
      // Already looked for in the log and not there: forged or stale, never a reason to read again.
      if (waiting.seq === w.gapSeq && !w.pending) return;
      w.gapSeq = waiting.seq;
    }
    if (w.pending) {
      // Already reading: read once more when done, in case the log grew behind the reader.
      if (waiting) w.pending.push(waiting);
      w.readAgain = true;
      return;
    }
    w.pending = waiting ? [waiting] : [];
    const wait = w.lastReadMs + MIN_READ_INTERVAL_MS - Date.now();
    if (wait > 0) setTimeout(() => void this.catchUp(w), wait).unref();
    else void this.catchUp(w);
  }

  /**
   * Sends what the log holds after lastSeq, then what arrived live meanwhile, then goes live.
   * While Redis is unreachable it keeps trying (the stream stays open, heartbeats go on).
   */
  private async catchUp(w: Watcher): Promise<void> {
    for (let attempt = 0; !w.closed; attempt++) {
      try {
        await this.readLog(w);
        break;
      } catch (err) {
        if (attempt === 0) this.logger.warn(`Stream ${w.sessionId}: reading the log failed (${String(err)}); retrying`);
        await sleep(Math.min(100 * 2 ** attempt, 1000));
      }
    }
    const queued = (w.pending ?? []).sort((a, b) => a.seq - b.seq);
    w.pending = null;
    for (const e of queued) this.receive(w, e);
  }

  private async readLog(w: Watcher): Promise<void> {
    do {
      w.readAgain = false;
      w.lastReadMs = Date.now();
      for (;;) {
        const page = await this.runs.readEvents(w.sessionId, w.lastSeq, PAGE);
        for (const e of page) this.send(w, e);
        if (page.length < PAGE || w.closed) break;
      }
    } while (w.readAgain && !w.closed);
  }

  private send(w: Watcher, event: LoggedEvent): void {
    if (w.closed || event.seq <= w.lastSeq) return;
    w.lastSeq = event.seq;
    if (event.type === DELTA_KIND) {
      if (w.deltas) this.next(w, { id: String(event.seq), type: 'content', data: event.json });
      return;
    }
    this.next(w, { id: String(event.seq), type: event.type, data: event.json });
    if (event.type === 'done') this.detach(w, false);
  }

  private next(w: Watcher, message: MessageEvent): void {
    this.bursts.hold(w.sink);
    w.subscriber.next(message);
  }

  /**
   * Ends the streams whose run the store no longer has, or has only up to before what the stream
   * was sent (rolled back): run_error {run_lost}, done {failed}, not stored, ids after the last sent.
   */
  private async endLostRuns(): Promise<void> {
    const sessions = [...new Set([...this.watchers].map((w) => w.sessionId))];
    const storedSeq = new Map<string, number>();
    for (let i = 0; i < sessions.length; i += LOST_CHECK_BATCH) {
      (await this.runs.storedSeqs(sessions.slice(i, i + LOST_CHECK_BATCH))).forEach((seq, sid) => storedSeq.set(sid, seq));
    }
    for (const w of [...this.watchers]) {
      const seq = storedSeq.get(w.sessionId);
      if (seq === undefined || seq < w.lastSeq) this.endAsLost(w);
    }
  }

  private endAsLost(w: Watcher): void {
    const lost = [runErrorEvent('run_lost', RUN_LOST_MESSAGE), doneEvent('failed')];
    lost.forEach((e, i) => w.subscriber.next({ id: String(w.lastSeq + i + 1), type: e.type, data: serializeEvent(e) }));
    this.detach(w, false);
  }

  /** Ends one response: after `done`, or with `retry:` (and the last id again) when the client should come back. */
  private detach(w: Watcher, withRetry: boolean): void {
    if (w.closed) return;
    if (withRetry) w.subscriber.next({ id: String(w.lastSeq), retry: this.config.sse.retryMs } as MessageEvent);
    this.forget(w);
    w.subscriber.complete();
  }

  private forget(w: Watcher): void {
    w.closed = true;
    this.watchers.delete(w);
    w.slice.delete(w);
  }
}
