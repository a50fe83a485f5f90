import { ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import { ALLOWS_TICKET, IS_PUBLIC } from './public.decorator';
import { StreamTicketService, TicketedRequest } from './stream-ticket.service';

/** 401 for every route not marked public; decided before the tenant guard's 400/403. */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly tickets: StreamTicketService,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const req = context.switchToHttp().getRequest<TicketedRequest & { user?: unknown; viaTicket?: boolean }>();
    const ticket = req.query?.ticket;
    if (ticket !== undefined && this.reflector.getAllAndOverride<boolean>(ALLOWS_TICKET, targets)) {
      const { user, used } = await this.tickets.check(ticket, req.query?.sessionId);
      req.user = user;
      req.viaTicket = true;
      // A HEAD, or a GET that fails validation, leaves the ticket unused: the route uses it up.
      if (used) req.usedTicket = true;
      else req.streamTicket = ticket as string;
      return true;
    }
    return (await super.canActivate(context)) as boolean;
  }

  override handleRequest<TUser>(_err: unknown, user: TUser | false, _info: unknown, context: ExecutionContext): TUser {
    if (user) return user;
    const header = context.switchToHttp().getRequest<Request>().headers.authorization;
    if (typeof header !== 'string' || !header.startsWith('Bearer ')) throw new UnauthorizedException('Invalid authorization header');
    throw new UnauthorizedException('Invalid token');
  }
}
