import { BadRequestException, Body, Controller, Headers, HttpCode, MessageEvent, NotFoundException, Post, Query, Res, ServiceUnavailableException, Sse } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiHeader, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { randomUUID } from 'node:crypto';
import { Observable } from 'rxjs';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser } from '../auth/current-user.decorator';
import { AllowsStreamTicket } from '../auth/public.decorator';
import { StreamTicketService } from '../auth/stream-ticket.service';
import { ApiAuthed } from '../common/swagger';
import { DrainState } from '../health/drain-state';
import { RunsService } from '../runs/runs.service';
import { CreateStreamTicketDto, StreamTicketDto } from './dto/stream-ticket.dto';
import { StreamQuery } from './dto/stream-query.dto';
import { SSE_DESCRIPTION, SSE_EVENT_SCHEMAS } from './sse-docs';
import { StreamService } from './stream.service';

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
  ) {}

  @Sse('test/stream')
  @AllowsStreamTicket()
  @ApiOperation({ summary: 'Watch an agent run (SSE); starts the run unless the session already has one', description: SSE_DESCRIPTION })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this event id' })
  @ApiOkResponse({
    description: 'text/event-stream; each `data` is {"type","data"} with `data` as below, by event type',
    content: { 'text/event-stream': { schema: { type: 'object', properties: SSE_EVENT_SCHEMAS as unknown as Record<string, object> } } },
  })
  @ApiNotFoundResponse({ description: 'The session belongs to another tenant; or, with RUN_ACCESS=owner, to another user and the caller lacks HITL_APPROVER_ROLE' })
  async stream(
    @CurrentUser() user: AuthUser,
    @Query() query: StreamQuery,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Observable<MessageEvent>> {
    if (this.drain.draining) throw new ServiceUnavailableException('This instance is shutting down; reconnect');
    if (user.sessionId && query.sessionId && query.sessionId !== user.sessionId) {
      throw new BadRequestException('sessionId does not match the stream ticket');
    }
    const sessionId = user.sessionId ?? query.sessionId ?? randomUUID();
    const afterSeq = parseLastEventId(lastEventId ?? query.lastEventId);
    // Resuming a session that has no run yet would start one only to answer 400.
    if (afterSeq > 0 && !(await this.runs.find(sessionId))) throw new NotFoundException(`Session ${sessionId} not found`);
    const { run } = await this.runs.open(sessionId, user, query.prompt ?? '');
    if (afterSeq > run.seq) throw new BadRequestException(`Last-Event-ID ${afterSeq} is ahead of the run (last event ${run.seq})`);
    res.setHeader('X-Session-ID', sessionId);
    return this.streams.watch(sessionId, afterSeq);
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
