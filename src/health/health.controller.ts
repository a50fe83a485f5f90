import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { Public } from '../auth/public.decorator';
import { DrainState } from './drain-state';
import { StoreHealth } from './store-health.port';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly drain: DrainState,
    private readonly store: StoreHealth,
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
        const status = await this.store.check();
        if (status.mode === 'in-process') return check.up({ mode: status.mode });
        return status.up ? check.up() : check.down({ message: status.message });
      },
    ]);
  }
}
