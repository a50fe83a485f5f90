import calculateSlot from 'cluster-key-slot';
import Redis, { Cluster, ClusterOptions, RedisOptions } from 'ioredis';
import type { RedisTarget } from '../config/redis-config';

/** A command connection in any mode: one node (URL or behind Sentinel) or a Cluster. */
export type RedisClient = Redis | Cluster;

/** Reconnect with a capped backoff so a Redis failover is ridden out, never given up on. */
export const retryStrategy = (times: number): number => Math.min(50 * 2 ** Math.min(times, 5), 1000);

export interface ClientRole {
  connectionName: string;
  /** false for commands: they fail fast (503) while Redis is unreachable instead of hanging. */
  offlineQueue: boolean;
  /** The process's one subscriber: in Cluster mode it holds a connection per master for the sharded channels. */
  subscriber?: boolean;
}

/** One client of the target's mode, not yet connected (lazyConnect): the caller connects it. */
export function createClient(target: RedisTarget, role: ClientRole): RedisClient {
  const base: RedisOptions = {
    retryStrategy,
    connectionName: role.connectionName,
    lazyConnect: true,
    enableOfflineQueue: role.offlineQueue,
    ...(role.offlineQueue ? {} : { maxRetriesPerRequest: 1 }),
  };
  if (target.mode === 'url') return new Redis(target.url, target.tlsCa ? { ...base, tls: { ca: target.tlsCa } } : base);
  if (target.mode === 'sentinel') {
    return new Redis({
      ...base,
      sentinels: target.sentinels.map((s) => ({ host: s.host, port: s.port })),
      name: target.masterName,
      role: 'master',
      sentinelRetryStrategy: retryStrategy,
      // Hears +switch-master from the sentinels, so a promotion is followed at once, not at the next failed write.
      failoverDetector: true,
    });
  }
  const options: ClusterOptions = {
    redisOptions: { connectionName: role.connectionName },
    lazyConnect: true,
    // SSUBSCRIBE goes to the master of the channel's slot: one connection per master, shared by its sessions.
    shardedSubscribers: role.subscriber === true,
    enableOfflineQueue: role.offlineQueue,
    clusterRetryStrategy: retryStrategy,
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    ...(role.offlineQueue ? {} : { maxRedirections: 16 }),
  };
  return new Cluster(target.nodes.map((n) => ({ host: n.host, port: n.port })), options);
}

/** Called after a write that should reach replicas before it is answered; false = fewer acknowledged in time. */
export type AfterWrite = (key: string) => Promise<boolean>;
export const NO_WAIT: AfterWrite = async () => true;

/**
 * With REDIS_WAIT_REPLICAS: a run's step waits for the replicas, and its live messages
 * ([channel, message, …], returned by the script instead of published) go out only then.
 */
export interface ReplicaSync {
  wait: AfterWrite;
  /** Publishes in order; never throws (the write stands: a stream that misses one re-reads the log). */
  publish(key: string, live: string[]): Promise<void>;
}

/**
 * Where a command without keys (WAIT, INFO) about `key` must go: the client itself, or in Cluster
 * mode the connection to the master that serves the key's slot (undefined while unknown).
 */
export function nodeFor(client: RedisClient, key: string): Redis | undefined {
  if (!(client instanceof Cluster)) return client;
  const nodeKey = client.slots[calculateSlot(key)]?.[0];
  return client.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === nodeKey);
}
