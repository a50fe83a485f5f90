import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { AppConfig } from '../config/app-config';
import { AccessPolicy } from './access-policy.service';
import { JwtAuthGuard } from './jwt-auth.guard';
import { JwtStrategy } from './jwt.strategy';
import { StreamTicketService } from './stream-ticket.service';
import { TenantGuard } from './tenant.guard';
import { WorkerGuard } from './worker.guard';

@Module({
  imports: [
    PassportModule,
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({ secret: config.auth.jwtSecret, signOptions: { algorithm: 'HS256' } }),
    }),
  ],
  providers: [
    JwtStrategy,
    StreamTicketService,
    AccessPolicy,
    // Global guards run in this order: 401 is decided before the worker/user 403 and the tenant header's 400/403.
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: WorkerGuard },
    { provide: APP_GUARD, useClass: TenantGuard },
  ],
  exports: [StreamTicketService, JwtModule, AccessPolicy],
})
export class AuthModule {}
