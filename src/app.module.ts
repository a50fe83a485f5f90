import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AuthModule } from './auth/auth.module';
import { ConsoleModule } from './console/console.module';
import { loggerOptions } from './common/logger-options';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { HealthModule } from './health/health.module';
import { HitlModule } from './hitl/hitl.module';
import { MetricsModule } from './metrics/metrics.module';
import { RedisModule } from './redis/redis.module';
import { RunsModule } from './runs/runs.module';
import { StoreModule } from './store/store.module';
import { StreamModule } from './stream/stream.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(loggerOptions(config)),
        MetricsModule,
        HealthModule,
        RedisModule,
        StoreModule,
        AuthModule,
        HitlModule,
        RunsModule,
        StreamModule,
        ConsoleModule,
      ],
    };
  }
}
