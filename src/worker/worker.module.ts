import { Module } from '@nestjs/common';
import { RunsModule } from '../runs/runs.module';
import { WorkerController } from './worker.controller';
import { WorkerQueueMonitor } from './worker-queue-monitor.service';
import { WorkerService } from './worker.service';

/** The worker API (AGENT=worker): external workers claim runs and write their steps. Its agent, RemoteAgent, is bound in AgentsModule. */
@Module({ imports: [RunsModule], controllers: [WorkerController], providers: [WorkerService, WorkerQueueMonitor] })
export class WorkerModule {}
