import { randomUUID } from 'node:crypto';
import { decodeLiveEvents } from '../../contract/live-event.codec';
import { isTerminal, LoggedEvent, RunRecord, RunStatus } from '../../contract/run.types';
import { pairsToObject, requestFromFields } from '../../hitl/persistence/request-fields.codec';
import type { Bus } from '../../redis/bus';
import { LedgerOutbox } from '../../redis/ledger-outbox.port';
import { nodeFor, RedisClient, ReplicaSync } from '../../redis/redis-clients';
import { redisCall } from '../../redis/redis-errors';
import { NAMES } from '../../redis/redis-names';
import { defineScript, ScriptFn } from '../../redis/redis-script';
import { runFromFields, runToFields } from './run-fields.codec';
import { appendCall, cancelCall } from './run-script-args';
import { listRedisRuns } from './redis-run-index';
import { appendTextBatch, isTextBatch, logSeq } from './text-batch';
import { AppendResult, CancelInput, CancelResult, CreateRunResult, RunFollower, RunLimits, RunPage, RunQuery, RunStore, StepWrite, StoreHeartbeat } from './run-store.port';
import { APPEND, CANCEL, CREATE_RUN, RESERVE_RUN } from './runs.lua';
import { HEARTBEAT, LAPSED, LEASE_LAPSED, TAKEOVER } from './leases.lua';
import { RunLeases } from './run-leases';

type ScriptName = 'createRun' | 'reserve' | 'append' | 'cancel' | 'heartbeat';

/**
 * Runs in hashes and logs in streams on their session's slot, every change one script there; the
 * tenant's limits and index, and the instances' run sets, on their own slots (RunLeases), learn of
 * a run's end through the session's outbox. Live events go out on the session's sharded channel.
 */
export class RedisRunStore extends RunStore {
  /** The server's run_id as read on the current connection; undefined until read after each (re)connect. */
  private serverId?: string;
  private serverNode?: RedisClient;
  private readonly scripts: Record<ScriptName, ScriptFn>;
  private readonly leases: RunLeases;

  constructor(
    private readonly redis: RedisClient,
    private readonly bus: Bus,
    private readonly ttlSeconds: number,
    private readonly outbox: LedgerOutbox,
    /** Set with REDIS_WAIT_REPLICAS. */
    private readonly replicas: ReplicaSync | null = null,
    /** Told each request this store creates, with its session (the HITL store's cache of request sessions). */
    private readonly requestCreated: (requestId: string, sessionId: string) => void = () => undefined,
  ) {
    super();
    redis.on('ready', () => (this.serverId = undefined));
    this.scripts = {
      createRun: defineScript(redis, 'auraCreateRun', 1, CREATE_RUN),
      reserve: defineScript(redis, 'auraReserveRun', 3, RESERVE_RUN),
      append: defineScript(redis, 'auraAppend', 'any', APPEND),
      cancel: defineScript(redis, 'auraCancel', 'any', CANCEL),
      heartbeat: defineScript(redis, 'auraHeartbeat', 2, HEARTBEAT),
    };
    this.leases = new RunLeases(redis, {
      leaseLapsed: defineScript(redis, 'auraLeaseLapsed', 1, LEASE_LAPSED),
      takeover: defineScript(redis, 'auraTakeover', 1, TAKEOVER),
      lapsed: defineScript(redis, 'auraLapsed', 1, LAPSED),
    });
  }

  /**
   * The tenant's limits first (a place in its active sets, on the tenant's slot) with the owner's
   * run set, then the run on its own slot. A crash after the first leaves a place whose run never
   * came: the next refusal prunes it (RunLeases.prune), as it prunes ended and expired runs.
   */
  async createRun(run: RunRecord, limits: RunLimits): Promise<CreateRunResult> {
    const reserveKeys = [NAMES.activeRuns(run.tenantId), NAMES.activeUserRuns(run.tenantId, run.userId), NAMES.tenantRuns(run.tenantId)];
    const reserveArg = JSON.stringify({ sid: run.sessionId, userLimit: limits.activeRunsPerUser, tenantLimit: limits.activeRunsPerTenant, createdMs: Date.parse(run.createdAt), ttl: this.ttlSeconds });
    const reserve = async () => (await this.scripts.reserve(reserveKeys, [reserveArg])) as [number, string?];
    const listed = NAMES.instanceRuns(run.owner);
    // The owner's set is only a hint (a member whose run never comes is dropped by the orphan sweep): written beside the reservation.
    let [reserved] = await Promise.all([reserve(), redisCall(() => this.redis.sadd(listed, run.sessionId))]);
    if (reserved[0] === 2) {
      const existing = await this.getRun(run.sessionId);
      if (existing) {
        if (existing.owner !== run.owner) await redisCall(() => this.redis.srem(listed, run.sessionId));
        return { created: false, run: existing };
      }
    }
    // Each full set is pruned once (the user's first, then the tenant's), and the place asked for again.
    const pruned = new Set<string>();
    while (reserved[0] === 2 && !pruned.has(reserved[1]!)) {
      pruned.add(reserved[1]!);
      if (await this.leases.prune(reserveKeys[reserved[1] === 'user' ? 1 : 0])) reserved = await reserve();
    }
    if (reserved[0] === 2) {
      await redisCall(() => this.redis.srem(listed, run.sessionId));
      return { created: false, limited: reserved[1] as 'user' | 'tenant' };
    }
    const fields = { ...runToFields(run), updatedMs: String(Date.parse(run.createdAt)), refreshedMs: String(Date.parse(run.createdAt)) };
    const res = (await this.scripts.createRun([NAMES.run(run.sessionId)], [JSON.stringify({ fields, ttl: this.ttlSeconds })])) as [number, string[]?];
    if (res[0] === 0) return { created: true, run };
    // Read again for the log's seq (a batch of text leaves the hash's behind).
    const existing = (await this.getRun(run.sessionId)) ?? runFromFields(pairsToObject(res[1] ?? []));
    await this.leases.afterFoundExisting(run, existing);
    return { created: false, run: existing };
  }

  async getRun(sessionId: string): Promise<RunRecord | null> {
    const [fields, top] = await redisCall(() => Promise.all([this.redis.hgetall(NAMES.run(sessionId)), this.redis.xrevrange(NAMES.events(sessionId), '+', '-', 'COUNT', 1)]));
    return fields.status ? runFromFields({ ...fields, seq: String(logSeq(top, fields.seq)) }) : null;
  }

  async holder(sessionId: string): Promise<Pick<RunRecord, 'status' | 'owner'> | null> {
    const [status, owner] = await redisCall(() => this.redis.hmget(NAMES.run(sessionId), 'status', 'owner'));
    return status && owner ? { status: status as RunStatus, owner } : null;
  }

  listRuns(query: RunQuery): Promise<RunPage> {
    return listRedisRuns(this.redis, query);
  }

  async append(s: StepWrite): Promise<AppendResult> {
    if (isTextBatch(s)) {
      const seq = await appendTextBatch(this.redis, s, this.replicas);
      if (seq !== null) return { ok: true, seq };
    }
    const keepRunEnd = this.outbox.webhooksMayListen();
    const call = appendCall(s, this.ttlSeconds, this.replicas !== null, keepRunEnd);
    const records = Boolean(s.request) || (isTerminal(s.status) && keepRunEnd);
    const requests = s.request ? [s.request, ...(s.group ?? [])] : [];
    // Before the step: an approver who sees the request's event finds its session; the outbox mark lets a repair find the step's records.
    const [mark] = await Promise.all([
      records ? this.outbox.mark(s.sessionId) : null,
      ...requests.map((r) => redisCall(() => this.redis.set(NAMES.requestSession(r.requestId), s.sessionId, 'EX', this.ttlSeconds))),
    ]);
    requests.forEach((r) => this.requestCreated(r.requestId, s.sessionId));
    const [tag, value, approved, live, changes] = (await this.scripts.append(call.keys, [call.arg])) as [string, string | number | undefined, string[] | null | undefined, string[]?, string[]?];
    if (tag === 'ok') await this.afterReplicas(s.sessionId, live);
    if (changes?.length || mark) await this.outbox.apply(s.sessionId, changes ?? [], mark);
    if (tag === 'ok') return approved ? { ok: true, seq: Number(value), approved: requestFromFields(pairsToObject(approved)) } : { ok: true, seq: Number(value) };
    if (tag === 'ended') return { ok: false, reason: 'ended', status: value as RunStatus };
    return { ok: false, reason: tag as 'gone' | 'not_owner' | 'stale' };
  }

  async cancel(c: CancelInput): Promise<CancelResult> {
    const call = cancelCall(c, this.ttlSeconds, this.replicas !== null);
    const mark = await this.outbox.mark(c.sessionId);
    const [tag, value, live, changes] = (await this.scripts.cancel(call.keys, [call.arg])) as [string, string | number | undefined, string[]?, string[]?];
    if (tag === 'cancelled') await this.afterReplicas(c.sessionId, live);
    await this.outbox.apply(c.sessionId, changes ?? [], mark);
    if (tag === 'cancelled') return { outcome: 'cancelled', seq: Number(value) };
    if (tag === 'ended') return { outcome: 'ended', status: value as RunStatus };
    return { outcome: tag as 'not_found' | 'retry' };
  }

  /** Paced by the replicas, but a step stands without them: the run goes on (the lag is logged), and its events go live. */
  private async afterReplicas(sessionId: string, live: string[] | undefined): Promise<void> {
    if (!this.replicas) return;
    await this.replicas.wait(NAMES.run(sessionId));
    await this.replicas.publish(NAMES.run(sessionId), live ?? []);
  }

  async readEvents(sessionId: string, afterSeq: number, limit: number): Promise<LoggedEvent[]> {
    const entries = await redisCall(() => this.redis.xrange(NAMES.events(sessionId), `${afterSeq + 1}-0`, '+', 'COUNT', limit));
    return entries.map(([id, fields]) => {
      const f = pairsToObject(fields);
      return { seq: parseInt(id, 10), type: f.t, json: f.e };
    });
  }

  follow(sessionId: string, follower: RunFollower): Promise<() => void> {
    return this.bus.subscribeWithResync(
      { shard: NAMES.eventsChannel(sessionId) },
      (message) => {
        for (const event of decodeLiveEvents(message)) follower.onEvent(event);
      },
      () => follower.onResync(),
    );
  }

  async heartbeat(instanceId: string, leaseMs: number): Promise<StoreHeartbeat> {
    const [now, epoch] = (await this.scripts.heartbeat([NAMES.instances, NAMES.epoch], [JSON.stringify({ instanceId, leaseMs, newEpoch: randomUUID() })])) as [number, string];
    // The epoch key is in every snapshot, so a restart from an older one keeps it: the server's run_id
    // tells that case. A restart or failover always drops the connection, so it is read once per
    // connection; in Cluster mode, once per master of the epoch's slot (a failover promotes another).
    const node = nodeFor(this.redis, NAMES.epoch) ?? this.redis;
    if (this.serverId === undefined || this.serverNode !== node) {
      this.serverNode = node;
      this.serverId = /^run_id:(\w+)/m.exec(await redisCall(() => node.info('server')))?.[1] ?? '';
    }
    return { nowMs: Number(now), epoch, serverId: this.serverId };
  }

  /** Two reads per run, on its own slot (a pipeline may not span slots in a Cluster): the hash's seq, and the log's last entry. */
  async storedSeqs(sessionIds: string[]): Promise<Map<string, number>> {
    const replies = await redisCall(() =>
      Promise.all(sessionIds.map((sid) => Promise.all([this.redis.hget(NAMES.run(sid), 'seq'), this.redis.xrevrange(NAMES.events(sid), '+', '-', 'COUNT', 1)]))),
    );
    const seqs = new Map<string, number>();
    sessionIds.forEach((sid, i) => typeof replies[i][0] === 'string' && seqs.set(sid, logSeq(replies[i][1], replies[i][0])));
    return seqs;
  }

  claim(sessionId: string, instanceId: string, fromInstance = ''): Promise<boolean> {
    return this.leases.claim(sessionId, instanceId, fromInstance);
  }

  orphans(limit: number): Promise<{ sessionId: string; instanceId: string }[]> {
    return this.leases.orphans(limit);
  }

  async releaseLease(instanceId: string): Promise<void> {
    await redisCall(() => this.redis.zadd(NAMES.instances, 0, instanceId));
  }
}
