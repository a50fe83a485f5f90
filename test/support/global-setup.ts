import { spawn } from 'node:child_process';
import Redis from 'ioredis';
import { freePort } from './process';
import { findPrerequisites, missingLine } from './prerequisites';

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
 * Finds what the tests need (test/support/prerequisites.js): a Redis (REDIS_URL if set, else a
 * private redis-server on a free port), Chromium, nginx and curl. When one is missing it stops at
 * once with ONE line naming the install command, not with a stack trace per test file.
 * Tests never use a mock.
 */
export default async function globalSetup(): Promise<void> {
  const { found, missing } = findPrerequisites();
  const line = missingLine(missing);
  if (line) {
    process.stderr.write(`\n${line}\n`);
    process.exit(1);
  }
  process.env.AURA_TEST_CHROMIUM = found.chromium;
  process.env.AURA_TEST_NGINX = found.nginx;
  const given = process.env.REDIS_URL;
  if (given) {
    if (!(await ping(given, 3))) throw new Error(`REDIS_URL=${given} does not answer PING`);
    process.env.AURA_TEST_REDIS_URL = given;
    return;
  }
  const port = await freePort();
  const child = spawn(found.redis as string, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore', detached: true });
  child.unref();
  const url = `redis://127.0.0.1:${port}`;
  if (!(await ping(url, 50))) throw new Error(`redis-server did not start on port ${port}`);
  process.env.AURA_TEST_REDIS_URL = url;
  process.env.AURA_TEST_REDIS_PID = String(child.pid);
}
