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
