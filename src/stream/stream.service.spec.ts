import { MessageEvent } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { loadAppConfig } from '../config/load-config';
import { MetricsService } from '../metrics/metrics.service';
import { encodeLiveEvents } from '../contract/live-event.codec';
import { RunRecord } from '../contract/run.types';
import { MemoryHitlStore } from '../hitl/persistence/memory-hitl.store';
import { MemoryBus } from '../redis/memory-bus';
import { NAMES } from '../redis/redis-names';
import { MemoryRunStore } from '../runs/persistence/memory-run.store';
import { StoreLoss } from '../runs/store-loss';
import { StreamService } from './stream.service';

/** A bus whose publishes go nowhere: tests play the channel by hand with deliver(). */
class QuietBus extends MemoryBus {
  override async publish(): Promise<void> {}
}

/** A response that takes the heartbeat's writes. */
const quietSink = (written: string[] = []) => ({ headersSent: true, writableEnded: false, write: (chunk: string) => written.push(chunk), cork: () => undefined, uncork: () => undefined });

const memoryStore = (bus: MemoryBus) => new MemoryRunStore(bus, new MemoryHitlStore(bus, 3600), 3600);

describe('StreamService', () => {
  const config: AppConfig = loadAppConfig({ JWT_SECRET: 'x', SSE_HEARTBEAT_SECONDS: '1' });
  let bus: MemoryBus;
  let store: MemoryRunStore;
  let service: StreamService;
  let loss: StoreLoss;
  const run: RunRecord = { sessionId: 's1', tenantId: 't', userId: 'u', prompt: '', metadata: {}, status: 'running', cursor: 0, seq: 0, requestId: null, approvedRequestId: null, state: undefined, owner: 'me', createdAt: new Date().toISOString() };
  const tick = () => new Promise((r) => setTimeout(r, 5));

  const append = async (n: number, type = 'thought') => {
    const current = (await store.getRun('s1'))!;
    for (let i = 0; i < n; i++) {
      const r = await store.append({ sessionId: 's1', owner: 'me', expectCursor: current.cursor + i, expectSeq: current.seq + i, nextCursor: current.cursor + i + 1, status: type === 'done' ? 'completed' : 'running', events: [{ type: type as 'thought', data: { i } }], broadcasts: [], approvedRequestId: null });
      expect(r.ok).toBe(true);
    }
  };

  const collect = (afterSeq: number) => {
    const got: MessageEvent[] = [];
    let completed = false;
    const sub = service.watch('s1', afterSeq, quietSink()).subscribe({ next: (m) => got.push(m), complete: () => (completed = true) });
    return { got, ids: () => got.filter((m) => m.id !== undefined && m.type).map((m) => Number(m.id)), done: () => completed, sub };
  };

  beforeEach(async () => {
    bus = new MemoryBus();
    store = memoryStore(bus);
    loss = new StoreLoss();
    service = new StreamService(store, loss, config, new MetricsService());
    service.onModuleInit();
    await store.createRun(run, config.limits);
  });

  afterEach(() => service.beforeApplicationShutdown());

  it('sends a connected comment, replays after Last-Event-ID, then follows live, each id once', async () => {
    await append(3);
    const w = collect(1);
    await tick();
    expect(w.got[0]).toEqual({ comment: 'connected' });
    expect(w.ids()).toEqual([2, 3]);
    await append(2);
    await tick();
    expect(w.ids()).toEqual([2, 3, 4, 5]);
    w.sub.unsubscribe();
  });

  /** A stream on a store that publishes nowhere, holding event 1: the test plays the channel by hand. */
  async function watchQuietChannel() {
    bus = new QuietBus();
    store = memoryStore(bus);
    service = new StreamService(store, loss, config, new MetricsService());
    await store.createRun(run, config.limits);
    await append(1);
    const w = collect(0);
    await tick();
    expect(w.ids()).toEqual([1]);
    return w;
  }

  it('fills a gap in live messages from the log and drops duplicates', async () => {
    const w = await watchQuietChannel();
    // Event 2 is lost on the channel.
    await append(2);
    const log = await store.readEvents('s1', 0, 10);
    const channel = NAMES.eventsChannel('s1');
    bus.deliver(channel, encodeLiveEvents([log[2]]));
    bus.deliver(channel, encodeLiveEvents([log[2]]));
    // A gap re-reads the log, at most 10 times a second per stream.
    await new Promise((r) => setTimeout(r, 150));
    expect(w.ids()).toEqual([1, 2, 3]);
    bus.deliver(channel, encodeLiveEvents([log[1]]));
    await tick();
    expect(w.ids()).toEqual([1, 2, 3]);
    w.sub.unsubscribe();
  });

  it('sends every event of a message that carries several, in order', async () => {
    const w = await watchQuietChannel();
    await append(3);
    const log = await store.readEvents('s1', 1, 10);
    bus.deliver(NAMES.eventsChannel('s1'), encodeLiveEvents(log));
    await tick();
    expect(w.ids()).toEqual([1, 2, 3, 4]);
    w.sub.unsubscribe();
  });

  it('reads the log at most 10 times a second however many forged seqs arrive, and sends none of them', async () => {
    await append(1);
    const w = collect(0);
    await tick();
    let reads = 0;
    const read = store.readEvents.bind(store);
    store.readEvents = (...args) => (reads++, read(...args));
    const forged = (seq: number) => bus.deliver(NAMES.eventsChannel('s1'), encodeLiveEvents([{ seq, type: 'thought', json: '{"type":"thought","data":{}}' }]));
    const started = Date.now();
    while (Date.now() - started < 1000) {
      forged(1000 + (Date.now() % 7));
      await tick();
    }
    expect(reads).toBeGreaterThanOrEqual(1);
    expect(reads).toBeLessThanOrEqual(11);
    expect(w.ids()).toEqual([1]);
    w.sub.unsubscribe();
  });

  it('sends deltas only to streams that asked for them; the others skip their ids', async () => {
    const plain = collect(0);
    const got: MessageEvent[] = [];
    const withDeltas = service.watch('s1', 0, quietSink(), true).subscribe((m) => got.push(m));
    await tick();
    const current = (await store.getRun('s1'))!;
    await store.append({
      sessionId: 's1', owner: 'me', expectCursor: current.cursor, expectSeq: current.seq, nextCursor: current.cursor + 1, status: 'running', broadcasts: [], approvedRequestId: null,
      events: [
        { type: 'content', data: { content: 'Hel', messageId: 'm1', delta: true } },
        { type: 'content', data: { content: 'lo', messageId: 'm1', delta: true } },
        { type: 'content', data: { content: 'Hello', messageId: 'm1' } },
      ],
    });
    await tick();
    expect(plain.got.filter((m) => m.id).map((m) => [m.id, m.type, m.data])).toEqual([['3', 'content', '{"type":"content","data":{"content":"Hello","messageId":"m1"}}']]);
    expect(got.filter((m) => m.id).map((m) => [m.id, m.type])).toEqual([['1', 'content'], ['2', 'content'], ['3', 'content']]);
    expect(JSON.parse(String(got[1].data))).toEqual({ type: 'content', data: { content: 'Hel', messageId: 'm1', delta: true } });
    plain.sub.unsubscribe();
    withDeltas.unsubscribe();
  });

  it('completes after done, and ignores junk on the channel', async () => {
    const w = collect(0);
    await tick();
    bus.deliver(NAMES.eventsChannel('s1'), 'garbage');
    await append(1, 'done');
    await tick();
    expect(w.ids()).toEqual([1]);
    expect(w.got.at(-1)?.type).toBe('done');
    expect(w.done()).toBe(true);
  });

  it('ends a stream whose run the store lost with run_error {run_lost} and done {failed}, ids after the last sent', async () => {
    await append(2);
    const w = collect(0);
    await tick();
    const other = memoryStore(bus);
    const stream = new StreamService(other, loss, config, new MetricsService());
    stream.onModuleInit();
    const lostWatch = stream.watch('s1', 0, quietSink()).subscribe();
    loss.report();
    await tick();
    // s1 still exists in `store`: its stream goes on; the other service's store never had it.
    expect(w.done()).toBe(false);
    expect(lostWatch.closed).toBe(true);
    w.sub.unsubscribe();
    const got: MessageEvent[] = [];
    const again = stream.watch('s1', 5, quietSink()).subscribe((m) => got.push(m));
    loss.report();
    await tick();
    expect(got.slice(1)).toEqual([
      { id: '6', type: 'run_error', data: '{"type":"run_error","data":{"code":"run_lost","message":"The run’s stored state was lost; it cannot continue."}}' },
      { id: '7', type: 'done', data: '{"type":"done","data":{"status":"failed"}}' },
    ]);
    expect(again.closed).toBe(true);
    await stream.beforeApplicationShutdown();
  });

  it('on shutdown sends retry with the last id and completes without done', async () => {
    await append(2);
    const w = collect(0);
    await tick();
    await service.beforeApplicationShutdown();
    expect(w.got.at(-1)).toEqual({ id: '2', retry: config.sse.retryMs });
    expect(w.done()).toBe(true);
  });
});

describe('StreamService heartbeats', () => {
  afterEach(() => jest.useRealTimers());

  it('pings every watcher once per SSE_HEARTBEAT_SECONDS, spread over the interval', async () => {
    jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick', 'setImmediate'] });
    const config = loadAppConfig({ JWT_SECRET: 'x', SSE_HEARTBEAT_SECONDS: '1' });
    const bus = new MemoryBus();
    const service = new StreamService(memoryStore(bus), new StoreLoss(), config, new MetricsService());
    service.onModuleInit();
    const pings: number[] = [];
    const sink = { headersSent: true, writableEnded: false, write: (chunk: string) => chunk === ': ping\n' && pings.push(Date.now()), cork: () => undefined, uncork: () => undefined };
    const subs = Array.from({ length: 20 }, (_, i) => service.watch(`hb-${i}`, 0, sink).subscribe());
    jest.advanceTimersByTime(2000);
    subs.forEach((s) => s.unsubscribe());
    jest.useRealTimers();
    await service.beforeApplicationShutdown();
    // Exactly two pings each in 2 s, and not all in one instant: 20 ticks of 100 ms, 2 watchers each.
    expect(pings).toHaveLength(40);
    expect(new Set(pings).size).toBe(20);
  });
});
