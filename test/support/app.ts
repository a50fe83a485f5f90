import type { NestExpressApplication } from '@nestjs/platform-express';
import { randomUUID } from 'node:crypto';
import { createApp } from '../../src/app.factory';
import { loadAppConfig } from '../../src/config/load-config';
import { ENV_DEFAULTS } from '../../src/config/env.schema';
import { TEST_SECRET } from './tokens';

export type Env = Partial<Record<keyof typeof ENV_DEFAULTS, string>>;

export interface TestApp {
  app: NestExpressApplication;
  url: string;
  close(): Promise<void>;
}

/**
 * The Redis the tests share (from the global setup), on a database of this Jest worker's own so
 * parallel test files never see each other's keys.
 */
export function testRedisUrl(): string {
  const base = process.env.AURA_TEST_REDIS_URL;
  if (!base) throw new Error('AURA_TEST_REDIS_URL is not set: run the tests through jest (test/support/global-setup.ts)');
  const db = Number(process.env.JEST_WORKER_ID ?? '1') % 16;
  return `${base.replace(/\/\d+$/, '')}/${db}`;
}

/** Boots the real service (what main.ts builds) on a free port. */
export async function startApp(env: Env = {}): Promise<TestApp> {
  const config = loadAppConfig({
    JWT_SECRET: TEST_SECRET,
    REDIS_URL: testRedisUrl(),
    LOG_LEVEL: 'silent',
    DEMO_STEP_DELAY_MS: '5',
    PORT: '0',
    ...env,
  });
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

export const uniqueId = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

/**
 * Empties the worker ready queue of this Jest worker's database: runs queued by an earlier test
 * file (they stay queued when no worker takes them) would otherwise be claimed by the next file's claim.
 */
export async function emptyWorkerQueue(): Promise<void> {
  const { default: Redis } = await import('ioredis');
  const { NAMES } = await import('../../src/redis/redis-names');
  const redis = new Redis(testRedisUrl());
  try {
    await redis.del(NAMES.workerReady);
  } finally {
    redis.disconnect();
  }
}
