import type { RedisClient } from './redis-clients';
import { redisCall } from './redis-errors';

export type ScriptFn = (keys: string[], args: (string | number)[]) => Promise<unknown>;

/**
 * Registers a Lua script (EVALSHA, with EVAL on NOSCRIPT) that declares `numberOfKeys` KEYS, or
 * 'any' for a script given as many as the call names (a step with its requests).
 */
export function defineScript(redis: RedisClient, name: string, numberOfKeys: number | 'any', lua: string): ScriptFn {
  redis.defineCommand(name, numberOfKeys === 'any' ? { lua } : { numberOfKeys, lua });
  const command = (redis as unknown as Record<string, (...args: (string | number)[]) => Promise<unknown>>)[name].bind(redis);
  return (keys, args) => {
    if (numberOfKeys === 'any') return redisCall(() => command(keys.length, ...keys, ...args));
    if (keys.length !== numberOfKeys) throw new Error(`${name} declares ${numberOfKeys} keys, got ${keys.length}`);
    return redisCall(() => command(...keys, ...args));
  };
}
