import { loadAppConfig } from './load-config';
import { describeRedis, packageVersion, startupSummary } from './startup-summary';

describe('startupSummary', () => {
  const config = (env: Record<string, string> = {}) => loadAppConfig({ JWT_SECRET: 'x', ...env });

  it('names the version, port, agent, Redis mode and instance in one line', () => {
    const line = startupSummary(config({ AGENT: 'worker' }), 8080, 'pod-1-abcd', '1.2.3');
    expect(line).toBe('Aura 1.2.3 listening on port 8080: agent worker, Redis in-memory (one instance only), instance pod-1-abcd');
  });

  it('shows a Redis URL as its host and port (and db), never its user or password', () => {
    expect(describeRedis(config({ REDIS_URL: 'redis://:s3cret@redis.internal:6380/2' }))).toBe('redis redis.internal:6380 db 2');
    expect(describeRedis(config({ REDIS_URL: 'rediss://aura:s3cret@cache.example.com' }))).toBe('rediss cache.example.com:6379');
  });

  it('names a Sentinel set and a Cluster with their nodes', () => {
    expect(describeRedis(config({ REDIS_SENTINELS: '10.0.0.1:26379,10.0.0.2:26379', REDIS_SENTINEL_MASTER: 'aura' }))).toBe('sentinel aura via 10.0.0.1:26379,10.0.0.2:26379');
    expect(describeRedis(config({ REDIS_CLUSTER_NODES: 'r1:7000, r2:7001' }))).toBe('cluster r1:7000,r2:7001');
  });

  it('reads the version from package.json', () => {
    expect(packageVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
