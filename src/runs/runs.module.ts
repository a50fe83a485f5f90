import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { HitlModule } from '../hitl/hitl.module';
import { LeaseKeeper } from './lease-keeper.service';
import { RunDriver } from './run-driver.service';
import { RunsController } from './runs.controller';
import { RunsService } from './runs.service';
import { StoreClock } from './store-clock';

@Module({
  imports: [AuthModule, HitlModule],
  controllers: [RunsController],
  providers: [RunsService, RunDriver, LeaseKeeper, StoreClock],
  exports: [RunsService],
})
export class RunsModule {}
