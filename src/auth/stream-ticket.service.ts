import { Injectable, UnauthorizedException } from '@nestjs/common';
import type { Request } from 'express';
import { randomBytes, randomUUID } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { isValidId } from '../contract/ids';
import type { AuthUser } from './auth-user';
import { TicketStore } from './persistence/ticket-store.port';

export const TICKET_TTL_SECONDS = 60;

/** A request the guard let in with a ticket: the ticket is used up by the route once it has validated everything else. */
export type TicketedRequest = Request & {
  streamTicket?: string;
  /** The ticket was already used: the route answers 204 when its run has ended, 401 otherwise. */
  usedTicket?: boolean;
};

interface TicketPayload {
  sub: string;
  tenantId: string;
  sessionId: string;
  /** The roles of the user who got the ticket: the stream it opens is theirs, with their access. */
  roles: string[];
}

/**
 * Single-use tickets that let a browser EventSource (which cannot send headers) open one stream:
 * 256 random bits, bound to tenant, user and session, stored with a 60 s TTL and consumed atomically.
 */
@Injectable()
export class StreamTicketService {
  constructor(
    private readonly store: TicketStore,
    private readonly config: AppConfig,
  ) {}

  async issue(user: AuthUser, sessionId: string | undefined): Promise<{ ticket: string; sessionId: string; expiresAt: string }> {
    const ticket = randomBytes(32).toString('hex');
    const session = sessionId ?? randomUUID();
    const payload: TicketPayload = { sub: user.sub, tenantId: user.tenantId, sessionId: session, roles: user.roles };
    await this.store.create(ticket, JSON.stringify(payload), TICKET_TTL_SECONDS);
    return { ticket, sessionId: session, expiresAt: new Date(Date.now() + TICKET_TTL_SECONDS * 1000).toISOString() };
  }

  /**
   * The caller a ticket stands for, without using it up; `used` when it was used already (the
   * route decides between 204 and 401). 401 for an expired, unknown or other-session ticket.
   */
  async check(ticket: unknown, sessionId: unknown): Promise<{ user: AuthUser; used: boolean }> {
    const invalid = () => new UnauthorizedException('Invalid or expired stream ticket');
    if (typeof ticket !== 'string' || !/^[a-f0-9]{64}$/.test(ticket)) throw invalid();
    let raw = await this.store.peek(ticket);
    const used = raw === null;
    if (used) raw = await this.store.peekUsed(ticket);
    if (!raw) throw invalid();
    const payload = JSON.parse(raw) as TicketPayload;
    if (sessionId !== undefined && sessionId !== payload.sessionId) throw invalid();
    if (!isValidId(payload.sessionId)) throw invalid();
    // A ticket issued before roles existed (a rolling deploy) carries none.
    return { user: { sub: payload.sub, tenantId: payload.tenantId, sessionId: payload.sessionId, roles: payload.roles ?? [] }, used };
  }

  /** Uses the ticket up, atomically: of any number of requests holding it, exactly one gets true. */
  async consume(ticket: string): Promise<boolean> {
    // Kept as long as the run it watches may be: a reconnect after its end is told to stop.
    return (await this.store.consume(ticket, this.config.runs.ttlSeconds)) !== null;
  }
}
