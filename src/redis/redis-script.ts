import type { RedisClient } from './redis-clients';
import { redisCall } from './redis-errors';

export type ScriptFn = (keys: string[], args: (string | number)[]) => Promise<unknown>;

/** Registers a Lua script (EVALSHA, with EVAL on NOSCRIPT) that declares `numberOfKeys` KEYS. */
export function defineScript(redis: RedisClient, name: string, numberOfKeys: number, lua: string): ScriptFn {
  redis.defineCommand(name, { numberOfKeys, lua });
  const command = (redis as unknown as Record<string, (...args: (string | number)[]) => Promise<unknown>>)[name].bind(redis);
  return (keys, args) => {
    if (keys.length !== numberOfKeys) throw new Error(`${name} declares ${numberOfKeys} keys, got ${keys.length}`);
    return redisCall(() => command(...keys, ...args));
  };
}
