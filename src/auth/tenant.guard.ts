import { BadRequestException, CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { AuthUser } from './auth-user';
import { IS_PUBLIC, IS_WORKER_ROUTE } from './public.decorator';

/** X-Tenant-ID must name the token's tenant: missing 400, different 403. Runs after JwtAuthGuard and WorkerGuard. */
@Injectable()
export class TenantGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    // The worker routes have no tenant: WorkerGuard decided who may call them.
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets) || this.reflector.getAllAndOverride<boolean>(IS_WORKER_ROUTE, targets)) return true;
    const req = context.switchToHttp().getRequest<Request & { user: AuthUser; viaTicket?: boolean }>();
    // A ticket was bound to its tenant when it was issued: it replaces both headers.
    if (req.viaTicket) return true;
    const header = req.headers['x-tenant-id'];
    if (header === undefined || header === '') throw new BadRequestException('Missing X-Tenant-ID header');
    if (header !== req.user.tenantId) throw new ForbiddenException('Tenant ID mismatch');
    return true;
  }
}
