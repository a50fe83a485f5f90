import { Global, Module } from '@nestjs/common';
import { InstanceId } from '../../src/redis/instance-id';
import { WorkerStore } from '../../src/worker/persistence/worker-store.port';

/** What AgentsModule needs from the rest of the app for AGENT=worker, for unit specs that boot it alone. */
@Global()
@Module({ providers: [{ provide: WorkerStore, useValue: {} }, InstanceId], exports: [WorkerStore, InstanceId] })
export class WorkerStubs {}
