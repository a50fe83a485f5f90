import { Module } from '@nestjs/common';
import { HitlModule } from '../hitl/hitl.module';
import { Agent } from './agent/agent';
import { DemoAgent } from './agent/demo-agent';
import { RunEngine } from './run-engine.service';
import { RunsController } from './runs.controller';

@Module({
  imports: [HitlModule],
  controllers: [RunsController],
  // The demo agent stands behind the Agent interface: a real agent replaces this one provider.
  providers: [RunEngine, { provide: Agent, useClass: DemoAgent }],
  exports: [RunEngine],
})
export class RunsModule {}
