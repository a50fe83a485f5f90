import { CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { AuthUser } from './auth-user';
import { IS_PUBLIC, IS_WORKER_ROUTE } from './public.decorator';

/**
 * Keeps the two kinds of caller apart: the worker routes take only a worker token (scope
 * `aura:worker`), every other route only a user's. Either mix-up is 403. Runs after JwtAuthGuard
 * (401 first) and before TenantGuard (a worker has no X-Tenant-ID to check).
 */
@Injectable()
export class WorkerGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const user = context.switchToHttp().getRequest<Request & { user?: AuthUser }>().user;
    const workerRoute = this.reflector.getAllAndOverride<boolean>(IS_WORKER_ROUTE, targets) === true;
    if (workerRoute && !user?.worker) throw new ForbiddenException('This route needs a worker token (scope aura:worker)');
    if (!workerRoute && user?.worker) throw new ForbiddenException('A worker token is only for the worker routes');
    return true;
  }
}
