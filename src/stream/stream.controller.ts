import { BadRequestException, Body, Controller, Head, Headers, HttpCode, MessageEvent, NotFoundException, Post, Query, Req, Res, ServiceUnavailableException, Sse, UnauthorizedException } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiHeader, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import type { Response } from 'express';
import { randomUUID } from 'node:crypto';
import { EMPTY, Observable } from 'rxjs';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser } from '../auth/current-user.decorator';
import { AllowsStreamTicket } from '../auth/public.decorator';
import { StreamTicketService, TicketedRequest } from '../auth/stream-ticket.service';
import { ApiAuthed } from '../common/swagger';
import { AppConfig } from '../config/app-config';
import { isTerminal } from '../contract/run.types';
import { DrainState } from '../health/drain-state';
import { RUN_LIMIT_RETRY_AFTER_SECONDS, RunsService } from '../runs/runs.service';
import { CreateStreamTicketDto, StreamTicketDto } from './dto/stream-ticket.dto';
import { StreamQuery } from './dto/stream-query.dto';
import { SSE_DESCRIPTION, SSE_EVENT_SCHEMAS } from './sse-docs';
import { StreamService } from './stream.service';
import { StreamSlots } from './stream-slots';

/** Last-Event-ID: a seq this session has sent (0 = from the start). */
function parseLastEventId(header: string | undefined): number {
  if (header === undefined || header === '') return 0;
  if (!/^\d{1,15}$/.test(header)) throw new BadRequestException('Last-Event-ID must be an event id (a non-negative integer)');
  return Number(header);
}

@ApiTags('stream')
@ApiAuthed()
@Controller('aura')
export class StreamController {
  constructor(
    private readonly runs: RunsService,
    private readonly streams: StreamService,
    private readonly tickets: StreamTicketService,
    private readonly drain: DrainState,
    private readonly slots: StreamSlots,
    private readonly config: AppConfig,
  ) {}

  /** Registered before the GET route, so Express does not answer HEAD with it: a HEAD never starts a run. */
  @Head('test/stream')
  @AllowsStreamTicket()
  @ApiOperation({ summary: 'The stream route’s headers; starts nothing and does not use up a ticket' })
  async head(@CurrentUser() user: AuthUser, @Req() req: TicketedRequest, @Res({ passthrough: true }) res: Response): Promise<void> {
    if (req.usedTicket && (await this.endedWithUsedTicket(user, res))) return;
    res.setHeader('Content-Type', 'text/event-stream');
    res.setHeader('Cache-Control', 'no-cache');
  }

  @Sse('test/stream')
  @AllowsStreamTicket()
  @ApiOperation({ summary: 'Watch an agent run (SSE); starts the run unless the session already has one', description: SSE_DESCRIPTION })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this event id' })
  @ApiOkResponse({
    description: 'text/event-stream; each `data` is {"type","data"} with `data` as below, by event type',
    content: { 'text/event-stream': { schema: { type: 'object', properties: SSE_EVENT_SCHEMAS as unknown as Record<string, object> } } },
  })
  @ApiNoContentResponse({ description: 'The run has ended and Last-Event-ID is at or after its done, or the stream ticket was used already and its run has ended: nothing more will come (an EventSource stops reconnecting)' })
  @ApiNotFoundResponse({ description: 'The session belongs to another tenant (or, with RUN_ACCESS=owner, to another user and the caller lacks HITL_APPROVER_ROLE), or a Last-Event-ID names a session with no run' })
  @ApiTooManyRequestsResponse({
    description:
      'Starting a run would go beyond MAX_ACTIVE_RUNS_PER_USER or MAX_ACTIVE_RUNS_PER_TENANT unfinished runs (counted across all instances): ' +
      'attaching to a run the session already has is never refused by those; a slot frees as soon as a run ends (or is cancelled). ' +
      'Or the caller already has MAX_STREAMS_PER_USER streams open on this instance.',
    headers: { 'Retry-After': { description: 'Seconds to wait before trying again', schema: { type: 'integer', example: RUN_LIMIT_RETRY_AFTER_SECONDS } } },
  })
  @ApiServiceUnavailableResponse({ description: 'The instance is shutting down, or holds as many streams as its descriptors allow: reconnect (to another instance)' })
  async stream(
    @CurrentUser() user: AuthUser,
    @Query() query: StreamQuery,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() req: TicketedRequest,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Observable<MessageEvent>> {
    if (req.usedTicket && (await this.endedWithUsedTicket(user, res))) return EMPTY;
    if (this.drain.draining) throw new ServiceUnavailableException('This instance is shutting down; reconnect');
    if (user.sessionId && query.sessionId && query.sessionId !== user.sessionId) {
      throw new BadRequestException('sessionId does not match the stream ticket');
    }
    const sessionId = user.sessionId ?? query.sessionId ?? randomUUID();
    const afterSeq = parseLastEventId(lastEventId ?? query.lastEventId);
    // Only the demo has a default prompt (the source document's): a real agent would be started on
    // a hidden one by a mistyped session id.
    const needsPrompt = this.config.agent.kind !== 'demo' && !query.prompt?.trim();
    if (afterSeq > 0 || needsPrompt) {
      // Resuming: the run must exist (a new one would only answer 400), and one that has ended
      // with nothing after this id answers 204. A first open with a prompt needs no read: open()
      // checks access.
      const existing = await this.runs.findFor(user, sessionId);
      if (!existing && afterSeq === 0) throw new BadRequestException('prompt required');
      if (!existing) throw new NotFoundException(`Session ${sessionId} not found`);
      if (afterSeq > existing.seq) throw new BadRequestException(`Last-Event-ID ${afterSeq} is ahead of the run (last event ${existing.seq})`);
      if (isTerminal(existing.status) && afterSeq >= existing.seq) {
        res.status(204).end();
        return EMPTY;
      }
    }
    const release = this.slots.acquire(user);
    try {
      if (req.streamTicket) {
        // Everything that could refuse the request has passed, access included (a 404 here keeps the ticket): only now is it used up.
        if (afterSeq === 0) await this.runs.findFor(user, sessionId);
        if (!(await this.tickets.consume(req.streamTicket))) throw new UnauthorizedException('Invalid or expired stream ticket');
      }
      await this.runs.open(sessionId, user, query.prompt ?? '');
    } catch (err) {
      release();
      throw err;
    }
    res.setHeader('X-Session-ID', sessionId);
    return this.streams.watch(sessionId, afterSeq, res, query.deltas === 'true', release);
  }

  /**
   * A used ticket is good for one thing: telling an EventSource that reconnects with it after its
   * run's `done` to stop (204), where a 401 would report an error after every successful run.
   * Anything else it is refused for, as before.
   */
  private async endedWithUsedTicket(user: AuthUser, res: Response): Promise<true> {
    const run = user.sessionId ? await this.runs.findFor(user, user.sessionId).catch(() => null) : null;
    if (!run || !isTerminal(run.status)) throw new UnauthorizedException('Invalid or expired stream ticket');
    res.status(204).end();
    return true;
  }

  @Post('stream-tickets')
  @HttpCode(201)
  @ApiOperation({ summary: 'A single-use ticket for a browser EventSource (which cannot send headers)' })
  @ApiBody({ type: CreateStreamTicketDto, required: false })
  @ApiCreatedResponse({ type: StreamTicketDto })
  createTicket(@CurrentUser() user: AuthUser, @Body() body: CreateStreamTicketDto): Promise<StreamTicketDto> {
    return this.tickets.issue(user, body?.sessionId);
  }
}
