import { spawn, spawnSync } from 'node:child_process';
import Redis from 'ioredis';
import { freePort } from './process';

async function ping(url: string, attempts: number): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') return true;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      client.disconnect();
    }
  }
  return false;
}

/**
 * Finds the Redis the tests use: REDIS_URL if set, else a private redis-server on a free port,
 * else fails with one line saying what to install. Tests never use a mock.
 */
export default async function globalSetup(): Promise<void> {
  const given = process.env.REDIS_URL;
  if (given) {
    if (!(await ping(given, 3))) throw new Error(`REDIS_URL=${given} does not answer PING`);
    process.env.AURA_TEST_REDIS_URL = given;
    return;
  }
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    throw new Error('The tests need Redis: install redis-server (e.g. `apt-get install redis-server`) or set REDIS_URL=redis://host:port');
  }
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore', detached: true });
  child.unref();
  const url = `redis://127.0.0.1:${port}`;
  if (!(await ping(url, 50))) throw new Error(`redis-server did not start on port ${port}`);
  process.env.AURA_TEST_REDIS_URL = url;
  process.env.AURA_TEST_REDIS_PID = String(child.pid);
}
