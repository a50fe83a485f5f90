import { randomUUID } from 'node:crypto';
import { decodeLiveEvents } from '../../contract/live-event.codec';
import { LoggedEvent, RunRecord, RunStatus } from '../../contract/run.types';
import { pairsToObject, requestFromFields } from '../../hitl/persistence/request-fields.codec';
import type { Bus } from '../../redis/bus';
import { nodeFor, RedisClient, ReplicaSync } from '../../redis/redis-clients';
import { execPipeline, redisCall } from '../../redis/redis-errors';
import { NAMES, QUIET_SCRIPT_PREFIXES, SCRIPT_PREFIXES } from '../../redis/redis-names';
import { defineScript, ScriptFn } from '../../redis/redis-script';
import { runFromFields, runToFields } from './run-fields.codec';
import { appendArgs, cancelArgs } from './run-script-args';
import { listRedisRuns } from './redis-run-index';
import { AppendResult, CancelInput, CancelResult, CreateRunResult, RunFollower, RunLimits, RunPage, RunQuery, RunStore, StepWrite, StoreHeartbeat } from './run-store.port';
import { APPEND, CANCEL, CLAIM, CREATE_RUN, HEARTBEAT, ORPHANS } from './runs.lua';

/** Runs in hashes, logs in streams, leases in a sorted set; every change one script; live events over the shared bus. */
export class RedisRunStore extends RunStore {
  /** The server's run_id as read on the current connection; undefined until read after each (re)connect. */
  private serverId?: string;
  private serverNode?: RedisClient;
  private readonly scripts: Record<'createRun' | 'append' | 'cancel' | 'heartbeat' | 'claim' | 'orphans', ScriptFn>;

  constructor(
    private readonly redis: RedisClient,
    private readonly bus: Bus,
    private readonly ttlSeconds: number,
    /** Set with REDIS_WAIT_REPLICAS. */
    private readonly replicas: ReplicaSync | null = null,
  ) {
    super();
    redis.on('ready', () => (this.serverId = undefined));
    this.scripts = {
      createRun: defineScript(redis, 'auraCreateRun', 4, CREATE_RUN),
      append: defineScript(redis, 'auraAppend', 2, APPEND),
      cancel: defineScript(redis, 'auraCancel', 2, CANCEL),
      heartbeat: defineScript(redis, 'auraHeartbeat', 2, HEARTBEAT),
      claim: defineScript(redis, 'auraClaim', 2, CLAIM),
      orphans: defineScript(redis, 'auraOrphans', 1, ORPHANS),
    };
  }

  async createRun(run: RunRecord, limits: RunLimits): Promise<CreateRunResult> {
    const res = (await this.scripts.createRun(
      [NAMES.run(run.sessionId), NAMES.activeRuns(run.tenantId), NAMES.activeUserRuns(run.tenantId, run.userId), NAMES.tenantRuns(run.tenantId)],
      [run.sessionId, JSON.stringify(runToFields(run)), this.ttlSeconds, limits.activeRunsPerUser, limits.activeRunsPerTenant, Date.parse(run.createdAt), SCRIPT_PREFIXES],
    )) as [number, (string[] | string)?];
    if (res[0] === 0) return { created: true, run };
    if (res[0] === 2) return { created: false, limited: res[1] as 'user' | 'tenant' };
    return { created: false, run: runFromFields(pairsToObject((res[1] as string[] | undefined) ?? [])) };
  }

  async getRun(sessionId: string): Promise<RunRecord | null> {
    const fields = await redisCall(() => this.redis.hgetall(NAMES.run(sessionId)));
    return fields.status ? runFromFields(fields) : null;
  }

  listRuns(query: RunQuery): Promise<RunPage> {
    return listRedisRuns(this.redis, query);
  }

  async append(s: StepWrite): Promise<AppendResult> {
    const [tag, value, approved, live] = (await this.scripts.append(
      [NAMES.run(s.sessionId), NAMES.events(s.sessionId)],
      [appendArgs(s, this.ttlSeconds), this.prefixes],
    )) as [string, string | number | undefined, string[] | null | undefined, string[] | undefined];
    if (tag === 'ok') await this.afterReplicas(s.sessionId, live);
    if (tag === 'ok') return approved ? { ok: true, seq: Number(value), approved: requestFromFields(pairsToObject(approved)) } : { ok: true, seq: Number(value) };
    if (tag === 'ended') return { ok: false, reason: 'ended', status: value as RunStatus };
    return { ok: false, reason: tag as 'gone' | 'not_owner' | 'stale' };
  }

  async cancel(c: CancelInput): Promise<CancelResult> {
    const [tag, value, live] = (await this.scripts.cancel(
      [NAMES.run(c.sessionId), NAMES.events(c.sessionId)],
      [cancelArgs(c, this.ttlSeconds), this.prefixes],
    )) as [string, string | number | undefined, string[] | undefined];
    if (tag === 'cancelled') await this.afterReplicas(c.sessionId, live);
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

  /** The scripts' last argument: quiet when the store publishes the live messages itself (ReplicaSync). */
  private get prefixes(): string {
    return this.replicas ? QUIET_SCRIPT_PREFIXES : SCRIPT_PREFIXES;
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
      NAMES.eventsChannel(sessionId),
      (message) => {
        for (const event of decodeLiveEvents(message)) follower.onEvent(event);
      },
      () => follower.onResync(),
    );
  }

  async heartbeat(instanceId: string, leaseMs: number): Promise<StoreHeartbeat> {
    const [now, epoch] = (await this.scripts.heartbeat([NAMES.instances, NAMES.epoch], [instanceId, leaseMs, randomUUID(), SCRIPT_PREFIXES])) as [number, string];
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

  async storedSeqs(sessionIds: string[]): Promise<Map<string, number>> {
    const pipeline = this.redis.pipeline();
    sessionIds.forEach((sid) => pipeline.hget(NAMES.run(sid), 'seq'));
    const replies = await execPipeline(pipeline);
    const seqs = new Map<string, number>();
    sessionIds.forEach((sid, i) => typeof replies[i] === 'string' && seqs.set(sid, Number(replies[i])));
    return seqs;
  }

  async claim(sessionId: string, instanceId: string, fromInstance = ''): Promise<boolean> {
    return Number(await this.scripts.claim([NAMES.run(sessionId), NAMES.instances], [sessionId, instanceId, fromInstance, SCRIPT_PREFIXES])) === 1;
  }

  async orphans(limit: number): Promise<{ sessionId: string; instanceId: string }[]> {
    const flat = (await this.scripts.orphans([NAMES.instances], [limit, SCRIPT_PREFIXES])) as string[];
    const out: { sessionId: string; instanceId: string }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ sessionId: flat[i], instanceId: flat[i + 1] });
    return out;
  }

  async releaseLease(instanceId: string): Promise<void> {
    await redisCall(() => this.redis.zadd(NAMES.instances, 0, instanceId));
  }
}
