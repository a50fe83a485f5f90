import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { RedisConnections } from '../redis/redis-connections';
import { ChangeRecorder } from './change-recorder';
import { AuditController } from './audit.controller';
import { AuditService } from './audit.service';
import { AuditStore } from './persistence/audit-store.port';
import { RedisAuditStore } from './persistence/redis-audit.store';

/** The audit trail (contract v1.3): written by the HITL scripts, read by GET /aura/audit. */
@Module({
  imports: [AuthModule],
  controllers: [AuditController],
  providers: [
    {
      provide: AuditStore,
      inject: [RedisConnections, ChangeRecorder],
      useFactory: (redis: RedisConnections | null, recorder: ChangeRecorder | null) => (redis ? new RedisAuditStore(redis.command) : recorder!.audit),
    },
    AuditService,
  ],
})
export class AuditModule {}
