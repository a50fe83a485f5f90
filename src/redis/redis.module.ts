import { Global, Inject, Logger, Module, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { ConfigError } from '../config/load-config';
import { StoreHealth, StoreStatus } from '../health/store-health.port';
import { MetricsService } from '../metrics/metrics.service';
import { Bus } from './bus';
import { InstanceId } from './instance-id';
import { MemoryBus } from './memory-bus';
import { RedisBus } from './redis-bus';
import { RedisConnections, versionProblem } from './redis-connections';

/** Closes the connections last, after every other module's shutdown hook has used them. */
class RedisLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  constructor(
    @Optional() @Inject(RedisConnections) private readonly connections: RedisConnections | null,
    private readonly metrics: MetricsService,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.connections) {
      this.logger.warn('No Redis is configured (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES): using the in-process bus and store. Run ONE instance only; state is lost on restart.');
      return;
    }
    const connections = this.connections;
    connections.onReconnecting(() => this.metrics.redisReconnects.inc());
    this.logger.log(`Redis: ${connections.description}`);
    if (await connections.connect(5000)) {
      // A version that cannot be read (a blip, or an ACL without INFO) is not a reason to refuse: only a known old one is.
      const version = await connections.serverVersion().catch((err: unknown) => {
        this.logger.warn(`Could not read the Redis version (${String(err)}); going on`);
        return null;
      });
      const problem = version === null ? null : versionProblem(version);
      if (problem) throw new ConfigError(problem);
      return;
    }
    this.logger.error('Redis is not reachable yet; /health/ready answers 503 until it is.');
    // Checked once it answers: a server too old stays "not ready", with the reason on /health/ready.
    connections.command.once('ready', () => {
      connections.serverVersion().then(
        (version) => {
          connections.refusal = versionProblem(version);
          if (connections.refusal) this.logger.error(connections.refusal);
        },
        () => undefined,
      );
    });
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
    if (this.connections.refusal) return { up: false, mode: 'redis', message: this.connections.refusal };
    try {
      await this.connections.ping();
      return this.connections.ready ? { up: true, mode: 'redis' } : { up: false, mode: 'redis', message: 'reconnecting' };
    } catch (err) {
      return { up: false, mode: 'redis', message: err instanceof Error ? err.message : String(err) };
    }
  }
}

/** The Redis connections (or none when no Redis is configured), the pub/sub bus over them, and their health. */
@Global()
@Module({
  providers: [
    InstanceId,
    {
      provide: RedisConnections,
      inject: [AppConfig, InstanceId],
      useFactory: (config: AppConfig, id: InstanceId) => (config.redis.target ? new RedisConnections(config.redis.target, id.value, config.redis) : null),
    },
    {
      provide: Bus,
      inject: [RedisConnections],
      useFactory: (c: RedisConnections | null) => (c ? new RedisBus(c.command, c.subscriber, c.shardSubscriber) : new MemoryBus()),
    },
    { provide: StoreHealth, inject: [RedisConnections], useFactory: (c: RedisConnections | null) => new RedisHealth(c) },
    RedisLifecycle,
  ],
  exports: [InstanceId, RedisConnections, Bus, StoreHealth],
})
export class RedisModule {}
