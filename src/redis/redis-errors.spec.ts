import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { StoreUnavailableError } from '../common/store-errors';
import { execPipeline } from './redis-errors';

describe('execPipeline (real Redis)', () => {
  let admin: Redis;
  let client: Redis;
  const key = `aura:test:pipeline:${randomUUID()}`;

  beforeAll(async () => {
    const url = process.env.AURA_TEST_REDIS_URL;
    if (!url) throw new Error('AURA_TEST_REDIS_URL is not set: run the tests through jest (test/support/global-setup.ts)');
    admin = new Redis(url);
    // As the service's command connection: no offline queue, one retry; and no reconnect, so a killed connection stays closed.
    client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: true });
    await client.connect();
  });
  afterAll(async () => {
    await admin.del(key);
    admin.disconnect();
    client.disconnect();
  });

  it('answers the replies in order', async () => {
    await admin.set(key, 'v');
    expect(await execPipeline(client.pipeline().get(key).exists(key).exists(`${key}:none`))).toEqual(['v', 1, 0]);
  });

  it('fails with the command error when one command fails (not a missing key)', async () => {
    await admin.set(key, 'v');
    const failing = execPipeline(client.pipeline().exists(key).hgetall(key));
    await expect(failing).rejects.toThrow(/WRONGTYPE/);
    await expect(failing).rejects.not.toBeInstanceOf(StoreUnavailableError);
  });

  it('fails as "store unavailable" when the connection closes with part of the pipeline unanswered', async () => {
    const id = await client.client('ID');
    // PING is answered; BLPOP waits on Redis until the connection is killed, so ioredis aborts it.
    const outcome = execPipeline(client.pipeline().ping().blpop(`${key}:empty`, 5)).catch((err: unknown) => err);
    await new Promise((r) => setTimeout(r, 100));
    await admin.client('KILL', 'ID', String(id));
    const err = await outcome;
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as Error).message).toMatch(/Command aborted due to connection close/);
  });
});
