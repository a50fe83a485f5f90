import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { HitlModule } from '../hitl/hitl.module';
import { LeaseKeeper } from './lease-keeper.service';
import { RunDriver } from './run-driver.service';
import { RunQueries } from './run-queries.service';
import { RunsController } from './runs.controller';
import { RunsService } from './runs.service';
import { StepWriter } from './step-writer.service';
import { StoreClock } from './store-clock';
import { StoreLoss } from './store-loss';

@Module({
  imports: [AuthModule, HitlModule],
  controllers: [RunsController],
  providers: [RunsService, RunQueries, RunDriver, StepWriter, LeaseKeeper, StoreClock, StoreLoss],
  exports: [RunsService, RunDriver, StoreClock, StoreLoss],
})
export class RunsModule {}
