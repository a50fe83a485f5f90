import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { RedisConnections } from '../redis/redis-connections';
import { AuditController } from './audit.controller';
import { AuditService } from './audit.service';
import { AuditStore } from './persistence/audit-store.port';
import { MemoryAuditStore } from './persistence/memory-audit.store';
import { RedisAuditStore } from './persistence/redis-audit.store';

/** The audit trail (contract v1.3): written by the HITL scripts, read by GET /aura/audit. */
@Module({
  imports: [AuthModule],
  controllers: [AuditController],
  providers: [
    { provide: AuditStore, inject: [RedisConnections], useFactory: (redis: RedisConnections | null) => (redis ? new RedisAuditStore(redis.command) : new MemoryAuditStore()) },
    AuditService,
  ],
})
export class AuditModule {}
