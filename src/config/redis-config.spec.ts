import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadAppConfig } from './load-config';
import { describeTarget } from './redis-config';

describe('Redis configuration', () => {
  const base = { JWT_SECRET: 's3cret' };
  const dir = mkdtempSync(join(tmpdir(), 'aura-redis-config-'));
  const ca = join(dir, 'ca.pem');
  writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');

  it('defaults to no Redis, no replica wait', () => {
    expect(loadAppConfig(base).redis).toEqual({ target: null, url: null, waitReplicas: 0, waitTimeoutMs: 1000 });
  });

  it('reads a TLS URL with an ACL user and a CA, and names it without the password', () => {
    const c = loadAppConfig({ ...base, REDIS_URL: 'rediss://aura:pa55@r.example:6380/2', REDIS_TLS_CA_FILE: ca, REDIS_WAIT_REPLICAS: '1', REDIS_WAIT_TIMEOUT_MS: '500' });
    expect(c.redis).toMatchObject({ url: 'rediss://aura:pa55@r.example:6380/2', waitReplicas: 1, waitTimeoutMs: 500 });
    expect(c.redis.target).toMatchObject({ mode: 'url', tls: true, tlsCa: expect.stringContaining('BEGIN CERTIFICATE') });
    const line = describeTarget(c.redis.target!);
    expect(line).toBe('TLS mode (own CA), r.example:6380 db 2 as user "aura"');
    expect(line).not.toContain('pa55');
    expect(describeTarget(loadAppConfig({ ...base, REDIS_URL: 'redis://:secret@h:1' }).redis.target!)).toBe('single-node mode, h:1 with a password');
  });

  it('reads Sentinel and Cluster nodes', () => {
    const s = loadAppConfig({ ...base, REDIS_SENTINELS: 'a:26379, b:26380,[::1]:26381', REDIS_SENTINEL_MASTER: 'aura' }).redis;
    expect(s).toMatchObject({ url: null, target: { mode: 'sentinel', masterName: 'aura', sentinels: [{ host: 'a', port: 26379 }, { host: 'b', port: 26380 }, { host: '::1', port: 26381 }] } });
    expect(describeTarget(s.target!)).toBe('Sentinel mode, master "aura" via a:26379,b:26380,[::1]:26381');
    const c = loadAppConfig({ ...base, REDIS_CLUSTER_NODES: '10.0.0.1:7000,10.0.0.2:7001' }).redis;
    expect(c.target).toEqual({ mode: 'cluster', nodes: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7001 }] });
    expect(describeTarget(c.target!)).toBe('Cluster mode, seed nodes 10.0.0.1:7000,10.0.0.2:7001');
  });

  it.each([
    [{ REDIS_URL: 'redis://a:1', REDIS_CLUSTER_NODES: 'b:2' }, /^Invalid configuration: REDIS_URL and REDIS_CLUSTER_NODES are both set: choose one Redis mode/],
    [{ REDIS_SENTINELS: 'a:1', REDIS_SENTINEL_MASTER: 'm', REDIS_CLUSTER_NODES: 'b:2' }, /REDIS_SENTINELS and REDIS_CLUSTER_NODES are both set/],
    [{ REDIS_SENTINELS: 'a:1' }, /REDIS_SENTINELS needs REDIS_SENTINEL_MASTER/],
    [{ REDIS_SENTINEL_MASTER: 'm' }, /REDIS_SENTINEL_MASTER is set without REDIS_SENTINELS/],
    [{ REDIS_CLUSTER_NODES: 'a' }, /REDIS_CLUSTER_NODES="a": REDIS_CLUSTER_NODES must be host:port pairs/],
    [{ REDIS_CLUSTER_NODES: 'a:99999' }, /port 99999 of "a:99999" is out of range/],
    [{ REDIS_URL: 'redis://a:1', REDIS_TLS_CA_FILE: ca }, /REDIS_TLS_CA_FILE is set but REDIS_URL is not a rediss:\/\/ URL/],
    [{ REDIS_URL: 'rediss://a:1', REDIS_TLS_CA_FILE: join(dir, 'none.pem') }, /REDIS_TLS_CA_FILE="[^"]+none.pem" cannot be read \(ENOENT\)/],
    [{ REDIS_WAIT_REPLICAS: '1' }, /REDIS_WAIT_REPLICAS is set but no Redis is configured/],
    [{ REDIS_URL: 'redis://a:1', REDIS_WAIT_REPLICAS: '-1' }, /REDIS_WAIT_REPLICAS="-1"/],
    [{ REDIS_URL: 'redis://a:1', REDIS_WAIT_TIMEOUT_MS: '0' }, /REDIS_WAIT_TIMEOUT_MS="0"/],
  ])('refuses to start in one line: %j', (env, message) => {
    expect(() => loadAppConfig({ ...base, ...env })).toThrow(ConfigError);
    expect(() => loadAppConfig({ ...base, ...env })).toThrow(message);
    try {
      loadAppConfig({ ...base, ...env });
    } catch (err) {
      expect((err as Error).message).not.toContain('\n');
    }
  });
});
