import { Global, Inject, Logger, Module, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
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

@Global()
@Module({
  providers: [
    InstanceId,
    {
      provide: RedisConnections,
      inject: [AppConfig, InstanceId],
      useFactory: (config: AppConfig, id: InstanceId) => (config.redisUrl ? new RedisConnections(config.redisUrl, id.value) : null),
    },
    {
      provide: Bus,
      inject: [RedisConnections],
      useFactory: (c: RedisConnections | null) => (c ? new RedisBus(c.command, c.subscriber) : new MemoryBus()),
    },
    RedisLifecycle,
  ],
  exports: [InstanceId, RedisConnections, Bus],
})
export class RedisModule {}
