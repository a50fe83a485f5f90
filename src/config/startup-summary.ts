import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppConfig } from './app-config';
import type { HostPort } from './redis-config';

/** The package's version, from the package.json next to dist/ (the Docker image copies it too). */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

const nodes = (list: readonly HostPort[]): string => list.map((n) => `${n.host.includes(':') ? `[${n.host}]` : n.host}:${n.port}`).join(',');

/** Where the state lives, as an operator needs to read it: the mode and its nodes, never a URL's credentials. */
export function describeRedis(config: AppConfig): string {
  const target = config.redis.target;
  if (!target) return 'in-memory (one instance only)';
  if (target.mode === 'sentinel') return `sentinel ${target.masterName} via ${nodes(target.sentinels)}`;
  if (target.mode === 'cluster') return `cluster ${nodes(target.nodes)}`;
  try {
    const u = new URL(target.url);
    const port = u.port || '6379';
    const db = u.pathname.replace(/^\//, '');
    return `${target.tls ? 'rediss' : 'redis'} ${u.hostname}:${port}${db ? ` db ${db}` : ''}`;
  } catch {
    return 'redis';
  }
}

/** The one line that says what started: read first when something behaves unexpectedly. */
export function startupSummary(config: AppConfig, port: number, instanceId: string, version = packageVersion()): string {
  return `Aura ${version} listening on port ${port}: agent ${config.agent.kind}, Redis ${describeRedis(config)}, instance ${instanceId}`;
}
