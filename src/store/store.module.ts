import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { Bus } from '../redis/bus';
import { RedisConnections } from '../redis/redis-connections';
import { AuraStore } from './aura-store';
import { MemoryAuraStore } from './memory-aura-store';
import { RedisAuraStore } from './redis-aura-store';

@Global()
@Module({
  providers: [
    {
      provide: AuraStore,
      inject: [AppConfig, RedisConnections, Bus],
      useFactory: (config: AppConfig, redis: RedisConnections | null, bus: Bus) =>
        redis ? new RedisAuraStore(redis.command, config.runTtlSeconds) : new MemoryAuraStore(bus, config.runTtlSeconds),
    },
  ],
  exports: [AuraStore],
})
export class StoreModule {}
