import { Controller, Get, Inject, Optional } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { Public } from '../auth/public.decorator';
import { RedisConnections } from '../redis/redis-connections';
import { DrainState } from './drain-state';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly drain: DrainState,
    @Optional() @Inject(RedisConnections) private readonly redis: RedisConnections | null,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process is up' })
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: not shutting down, and Redis reachable when Redis is configured (503 otherwise)' })
  @HealthCheck()
  ready() {
    return this.health.check([
      async () => {
        const check = this.indicator.check('shutdown');
        return this.drain.draining ? check.down({ message: 'shutting down' }) : check.up();
      },
      async () => {
        const check = this.indicator.check('redis');
        if (!this.redis) return check.up({ mode: 'in-process' });
        try {
          await this.redis.command.ping();
          return this.redis.ready ? check.up() : check.down({ message: 'reconnecting' });
        } catch (err) {
          return check.down({ message: err instanceof Error ? err.message : String(err) });
        }
      },
    ]);
  }
}
