import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { InstanceId } from '../redis/instance-id';
import { Agent } from '../runs/agent/agent.port';
import { RemoteAgent } from '../worker/remote-agent';
import { WorkerStore } from '../worker/persistence/worker-store.port';
import { DemoAgent } from './demo/demo-agent';

/** The agent behind every run, chosen here: the runs feature knows only the port. */
@Global()
@Module({
  providers: [
    {
      provide: Agent,
      inject: [AppConfig, WorkerStore, InstanceId],
      // AGENT=worker: runs are handed to external workers (src/worker) instead of stepped here.
      useFactory: (config: AppConfig, workers: WorkerStore, instance: InstanceId): Agent =>
        config.agent.kind === 'worker' ? new RemoteAgent(workers, instance) : new DemoAgent(config),
    },
  ],
  exports: [Agent],
})
export class AgentsModule {}
