import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppConfig } from './app-config';

/** The package's version, from the package.json next to dist/ (the Docker image copies it too). */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Where the state lives, as an operator needs to read it: never the URL's credentials or database path. */
export function describeRedis(config: AppConfig): string {
  const url = config.redis.url;
  if (!url) return 'in-memory (one instance only)';
  try {
    const u = new URL(url);
    const port = u.port || '6379';
    const db = u.pathname.replace(/^\//, '');
    return `${u.protocol === 'rediss:' ? 'rediss' : 'redis'} ${u.hostname}:${port}${db ? ` db ${db}` : ''}`;
  } catch {
    return 'redis';
  }
}

/** The one line that says what started: read first when something behaves unexpectedly. */
export function startupSummary(config: AppConfig, port: number, instanceId: string, version = packageVersion()): string {
  return `Aura ${version} listening on port ${port}: agent ${config.agent.kind}, Redis ${describeRedis(config)}, instance ${instanceId}`;
}
