import { Global, Module } from '@nestjs/common';
import { MemoryTicketStore } from '../auth/persistence/memory-ticket.store';
import { RedisTicketStore } from '../auth/persistence/redis-ticket.store';
import { TicketStore } from '../auth/persistence/ticket-store.port';
import { ChangeRecorder } from '../audit/change-recorder';
import { AppConfig } from '../config/app-config';
import { HitlStore } from '../hitl/persistence/hitl-store.port';
import { IdempotencyStore } from '../hitl/persistence/idempotency-store.port';
import { MemoryIdempotencyStore } from '../hitl/persistence/memory-idempotency.store';
import { RedisIdempotencyStore } from '../hitl/persistence/redis-idempotency.store';
import { MemoryHitlStore } from '../hitl/persistence/memory-hitl.store';
import { RedisHitlStore } from '../hitl/persistence/redis-hitl.store';
import { RunLookup } from '../hitl/persistence/run-lookup.port';
import { Bus } from '../redis/bus';
import { RedisConnections } from '../redis/redis-connections';
import { MemoryRunStore } from '../runs/persistence/memory-run.store';
import { RedisRunStore } from '../runs/persistence/redis-run.store';
import { RunStore } from '../runs/persistence/run-store.port';
import { MemoryWorkerStore } from '../worker/persistence/memory-worker.store';
import { RedisWorkerStore } from '../worker/persistence/redis-worker.store';
import { WorkerStore } from '../worker/persistence/worker-store.port';
import { LedgerOutbox } from '../redis/ledger-outbox.port';
import { RedisLedgerOutbox } from './ledger-changes';
import { LedgerRepair } from './ledger-repair.service';

/**
 * The one place that chooses the persistence adapters: Redis when one is configured, else the
 * in-process stores (one instance). Features depend on their ports only.
 */
@Global()
@Module({
  providers: [
    // Without Redis, the memory stores write webhook events and audit records through it (with Redis, the scripts do).
    { provide: ChangeRecorder, inject: [RedisConnections], useFactory: (redis: RedisConnections | null) => (redis ? null : new ChangeRecorder()) },
    // With Redis: what a session's scripts record for other slots, applied after each write and by the repair sweep.
    {
      provide: LedgerOutbox,
      inject: [AppConfig, RedisConnections],
      useFactory: (config: AppConfig, redis: RedisConnections | null) => (redis ? new RedisLedgerOutbox(redis.command, config.runs.ttlSeconds, config.audit.retentionDays, config.webhooks.urls.length > 0) : null),
    },
    {
      provide: HitlStore,
      inject: [AppConfig, RedisConnections, Bus, ChangeRecorder, LedgerOutbox],
      useFactory: (config: AppConfig, redis: RedisConnections | null, bus: Bus, recorder: ChangeRecorder | null, outbox: LedgerOutbox) =>
        redis
          ? new RedisHitlStore(redis.command, config.runs.ttlSeconds, outbox, (key) => redis.waitForReplicas(key))
          : new MemoryHitlStore(bus, config.runs.ttlSeconds, recorder ?? undefined),
    },
    {
      provide: RunStore,
      inject: [AppConfig, RedisConnections, Bus, HitlStore, LedgerOutbox],
      useFactory: (config: AppConfig, redis: RedisConnections | null, bus: Bus, hitl: HitlStore, outbox: LedgerOutbox) =>
        redis
          ? new RedisRunStore(redis.command, bus, config.runs.ttlSeconds, outbox, config.redis.waitReplicas > 0 ? redis.replicaSync() : null, (rid, sid) => (hitl as RedisHitlStore).remember(rid, sid))
          : new MemoryRunStore(bus, hitl as MemoryHitlStore, config.runs.ttlSeconds),
    },
    { provide: RunLookup, useExisting: RunStore },
    {
      provide: WorkerStore,
      inject: [RedisConnections, Bus, RunStore, HitlStore, LedgerOutbox],
      useFactory: (redis: RedisConnections | null, bus: Bus, runs: RunStore, hitl: HitlStore, outbox: LedgerOutbox) =>
        redis ? new RedisWorkerStore(redis.command, bus, outbox) : new MemoryWorkerStore(runs as MemoryRunStore, hitl, bus),
    },
    {
      provide: IdempotencyStore,
      inject: [RedisConnections],
      useFactory: (redis: RedisConnections | null) => (redis ? new RedisIdempotencyStore(redis.command) : new MemoryIdempotencyStore()),
    },
    {
      provide: TicketStore,
      inject: [RedisConnections],
      useFactory: (redis: RedisConnections | null) => (redis ? new RedisTicketStore(redis.command) : new MemoryTicketStore()),
    },
    LedgerRepair,
  ],
  exports: [ChangeRecorder, HitlStore, IdempotencyStore, RunStore, RunLookup, TicketStore, WorkerStore],
})
export class PersistenceModule {}
