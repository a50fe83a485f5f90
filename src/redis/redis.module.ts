import { Global, Inject, Logger, Module, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { StoreHealth, StoreStatus } from '../health/store-health.port';
import { MetricsService } from '../metrics/metrics.service';
import { Bus } from './bus';
import { InstanceId } from './instance-id';
import { MemoryBus } from './memory-bus';
import { RedisBus } from './redis-bus';
import { RedisConnections } from './redis-connections';

/** Closes the connections last, after every other module's shutdown hook has used them. */
class RedisLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  constructor(
    @Optional() @Inject(RedisConnections) private readonly connections: RedisConnections | null,
    private readonly metrics: MetricsService,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.connections) {
      this.logger.warn('REDIS_URL is not set: using the in-process bus and store. Run ONE instance only; state is lost on restart.');
      return;
    }
    this.connections.onReconnecting(() => this.metrics.redisReconnects.inc());
    if (!(await this.connections.connect(5000))) this.logger.error('Redis is not reachable yet; /health/ready answers 503 until it is.');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.connections?.close();
  }
}

class RedisHealth extends StoreHealth {
  constructor(private readonly connections: RedisConnections | null) {
    super();
  }

  async check(): Promise<StoreStatus> {
    if (!this.connections) return { up: true, mode: 'in-process' };
    try {
      await this.connections.ping();
      return this.connections.ready ? { up: true, mode: 'redis' } : { up: false, mode: 'redis', message: 'reconnecting' };
    } catch (err) {
      return { up: false, mode: 'redis', message: err instanceof Error ? err.message : String(err) };
    }
  }
}

/** The Redis connections (or none without REDIS_URL), the pub/sub bus over them, and their health. */
@Global()
@Module({
  providers: [
    InstanceId,
    {
      provide: RedisConnections,
      inject: [AppConfig, InstanceId],
      useFactory: (config: AppConfig, id: InstanceId) => (config.redis.url ? new RedisConnections(config.redis.url, id.value) : null),
    },
    {
      provide: Bus,
      inject: [RedisConnections],
      useFactory: (c: RedisConnections | null) => (c ? new RedisBus(c.command, c.subscriber) : new MemoryBus()),
    },
    { provide: StoreHealth, inject: [RedisConnections], useFactory: (c: RedisConnections | null) => new RedisHealth(c) },
    RedisLifecycle,
  ],
  exports: [InstanceId, RedisConnections, Bus, StoreHealth],
})
export class RedisModule {}
