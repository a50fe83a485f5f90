import { logKind, serializeEvent } from '../../contract/events';
import type { RedisClient, ReplicaSync } from '../../redis/redis-clients';
import { redisCall } from '../../redis/redis-errors';
import { NAMES } from '../../redis/redis-names';
import { EVENT_LOG_MAX, StepWrite } from './run-store.port';

/**
 * A batch of streamed text that changes nothing but the log: one delta event, the position, status
 * and everything else as they are. It is most of what a streaming run writes, so it skips the step
 * script (which reads and writes the run's hash): one XADD, then the live message, two commands a
 * frame. Its seq is the writer's next one, and the log itself refuses it when that is taken (a
 * stream's ids only grow) or when there is no log (NOMKSTREAM: a run that is gone); the caller
 * then writes the batch through the step script, which tells why. The run's hash keeps the seq of
 * its last step; the log's last entry is the run's true seq (`logSeq`).
 */
export function isTextBatch(s: StepWrite): boolean {
  return (
    s.nextCursor === s.expectCursor &&
    s.status === 'running' &&
    s.events.length === 1 &&
    logKind(s.events[0]) === 'delta' &&
    !s.request &&
    !s.expectDecided &&
    s.state === undefined &&
    !s.receipt
  );
}

/** The seq written, or null when the log refused it (the caller falls back to the step script). */
export async function appendTextBatch(redis: RedisClient, s: StepWrite, replicas: ReplicaSync | null): Promise<number | null> {
  const seq = s.expectSeq + 1;
  const type = logKind(s.events[0]);
  const json = serializeEvent(s.events[0]);
  const events = NAMES.events(s.sessionId);
  let added: string | null;
  try {
    added = await redisCall(() => redis.xadd(events, 'NOMKSTREAM', 'MAXLEN', '~', EVENT_LOG_MAX, `${seq}-0`, 't', type, 'e', json));
  } catch (err) {
    if (/equal or smaller than the target stream top item/.test(String(err))) return null;
    throw err;
  }
  if (added === null) return null;
  const live = [NAMES.eventsChannel(s.sessionId), `${seq} ${type} ${json}`, ...s.broadcasts.filter(Boolean).flatMap((b) => [NAMES.broadcastChannel, b])];
  if (replicas) {
    await replicas.wait(NAMES.run(s.sessionId));
    await replicas.publish(NAMES.run(s.sessionId), live);
  } else {
    await redisCall(() => redis.spublish(live[0], live[1]));
    for (let i = 2; i + 1 < live.length; i += 2) await redisCall(() => redis.publish(live[i], live[i + 1]));
  }
  return seq;
}

/** The run's seq: its log's last entry, or what its hash says when the log is empty or gone. */
export function logSeq(top: [string, string[]][] | undefined, stored: string | null | undefined): number {
  const fromLog = top?.[0] ? parseInt(top[0][0], 10) : 0;
  return Math.max(fromLog, Number(stored ?? 0) || 0);
}
