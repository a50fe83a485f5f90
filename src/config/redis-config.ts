import { readFileSync } from 'node:fs';
import type { EnvSchema } from './env.schema';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** How the service reaches Redis: one URL (plain or TLS), a Sentinel set, or a Cluster. */
export type RedisTarget =
  | { readonly mode: 'url'; readonly url: string; readonly tls: boolean; readonly tlsCa: string | null }
  | { readonly mode: 'sentinel'; readonly sentinels: readonly HostPort[]; readonly masterName: string }
  | { readonly mode: 'cluster'; readonly nodes: readonly HostPort[] };

export interface RedisSettings {
  /** null = in-process bus and stores: one instance only. */
  readonly target: RedisTarget | null;
  /** The URL of mode `url` (kept for readers that only know that mode), else null. */
  readonly url: string | null;
  /** Replicas that must acknowledge a decision or a step write before it is answered (WAIT); 0 = none. */
  readonly waitReplicas: number;
  readonly waitTimeoutMs: number;
}

/** Thrown with a one-line reason; load-config turns it into its ConfigError. */
export class RedisConfigError extends Error {}

function hostPorts(list: string): HostPort[] {
  return list.split(',').map((item) => {
    const at = item.trim().lastIndexOf(':');
    const host = item.trim().slice(0, at).replace(/^\[(.*)\]$/, '$1');
    const port = Number(item.trim().slice(at + 1));
    if (port < 1 || port > 65535) throw new RedisConfigError(`port ${port} of "${item.trim()}" is out of range`);
    return { host, port };
  });
}

type RedisEnv = Pick<EnvSchema, 'REDIS_URL' | 'REDIS_TLS_CA_FILE' | 'REDIS_SENTINELS' | 'REDIS_SENTINEL_MASTER' | 'REDIS_CLUSTER_NODES' | 'REDIS_WAIT_REPLICAS' | 'REDIS_WAIT_TIMEOUT_MS'>;

/** The Redis part of the configuration: at most one mode, and what it needs, checked here once. */
export function redisSettings(env: RedisEnv): RedisSettings {
  const chosen = [['REDIS_URL', env.REDIS_URL], ['REDIS_SENTINELS', env.REDIS_SENTINELS], ['REDIS_CLUSTER_NODES', env.REDIS_CLUSTER_NODES]].filter(([, v]) => v);
  if (chosen.length > 1) {
    throw new RedisConfigError(`${chosen.map(([n]) => n).join(' and ')} are both set: choose one Redis mode (a URL, Sentinel or Cluster)`);
  }
  if (env.REDIS_SENTINEL_MASTER && !env.REDIS_SENTINELS) throw new RedisConfigError('REDIS_SENTINEL_MASTER is set without REDIS_SENTINELS');
  if (env.REDIS_SENTINELS && !env.REDIS_SENTINEL_MASTER) throw new RedisConfigError('REDIS_SENTINELS needs REDIS_SENTINEL_MASTER (the name the sentinels monitor)');
  const tls = env.REDIS_URL.startsWith('rediss://');
  if (env.REDIS_TLS_CA_FILE && !tls) throw new RedisConfigError('REDIS_TLS_CA_FILE is set but REDIS_URL is not a rediss:// URL');
  let tlsCa: string | null = null;
  if (env.REDIS_TLS_CA_FILE) {
    try {
      tlsCa = readFileSync(env.REDIS_TLS_CA_FILE, 'utf8');
    } catch (err) {
      throw new RedisConfigError(`REDIS_TLS_CA_FILE=${JSON.stringify(env.REDIS_TLS_CA_FILE)} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    if (!tlsCa.includes('-----BEGIN CERTIFICATE-----')) throw new RedisConfigError(`REDIS_TLS_CA_FILE=${JSON.stringify(env.REDIS_TLS_CA_FILE)} holds no PEM certificate`);
  }
  let target: RedisTarget | null = null;
  if (env.REDIS_URL) target = { mode: 'url', url: env.REDIS_URL, tls, tlsCa };
  else if (env.REDIS_SENTINELS) target = { mode: 'sentinel', sentinels: hostPorts(env.REDIS_SENTINELS), masterName: env.REDIS_SENTINEL_MASTER };
  else if (env.REDIS_CLUSTER_NODES) target = { mode: 'cluster', nodes: hostPorts(env.REDIS_CLUSTER_NODES) };
  if (!target && env.REDIS_WAIT_REPLICAS > 0) throw new RedisConfigError('REDIS_WAIT_REPLICAS is set but no Redis is configured');
  return { target, url: target?.mode === 'url' ? target.url : null, waitReplicas: env.REDIS_WAIT_REPLICAS, waitTimeoutMs: env.REDIS_WAIT_TIMEOUT_MS };
}

/** Where the service connects, for the start-up log: never a password. */
export function describeTarget(target: RedisTarget): string {
  const list = (nodes: readonly HostPort[]) => nodes.map((n) => (n.host.includes(':') ? `[${n.host}]:${n.port}` : `${n.host}:${n.port}`)).join(',');
  if (target.mode === 'sentinel') return `Sentinel mode, master "${target.masterName}" via ${list(target.sentinels)}`;
  if (target.mode === 'cluster') return `Cluster mode, seed nodes ${list(target.nodes)}`;
  let where = '(unparsable URL)';
  try {
    const u = new URL(target.url);
    const db = u.pathname.replace(/^\//, '');
    where = `${u.host}${db ? ` db ${db}` : ''}${u.username ? ` as user "${decodeURIComponent(u.username)}"` : u.password ? ' with a password' : ''}`;
  } catch {
    // The schema let it through as rediss?://…; ioredis will say what is wrong with it.
  }
  return `${target.tls ? `TLS mode${target.tlsCa ? ' (own CA)' : ''}` : 'single-node mode'}, ${where}`;
}
