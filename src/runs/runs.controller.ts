import { Body, ConflictException, Controller, Get, HttpCode, NotFoundException, Param, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProperty, ApiTags } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser } from '../auth/current-user.decorator';
import { ID_PATTERN_SOURCE, IdPipe } from '../common/id.pipe';
import { ApiAuthed } from '../common/swagger';
import { ListRunsQuery, RunPageDto, RunViewDto } from './dto/run-view.dto';
import { RunStartedDto, StartRunDto } from './dto/start-run.dto';
import { RunQueries } from './run-queries.service';
import { RunsService } from './runs.service';

class CancelledRunDto {
  @ApiProperty({ example: 'session-abc' }) sessionId!: string;
  @ApiProperty({ enum: ['cancelled'] }) status!: 'cancelled';
}

@ApiTags('runs')
@ApiAuthed()
@Controller('aura/runs')
export class RunsController {
  constructor(
    private readonly runs: RunsService,
    private readonly queries: RunQueries,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The tenant’s runs, newest first, one page (with RUN_ACCESS=owner, only the caller’s own unless they hold HITL_APPROVER_ROLE)' })
  @ApiOkResponse({ type: RunPageDto })
  @ApiBadRequestResponse({ description: 'Bad status, userId, limit or cursor (or a cursor of another query)' })
  list(@CurrentUser() user: AuthUser, @Query() query: ListRunsQuery): Promise<RunPageDto> {
    return this.queries.list(user, query);
  }

  @Get(':sessionId')
  @ApiOperation({ summary: 'One run’s status and position, without replaying it' })
  @ApiParam({ name: 'sessionId', schema: { type: 'string', pattern: ID_PATTERN_SOURCE } })
  @ApiOkResponse({ type: RunViewDto })
  @ApiNotFoundResponse({ description: 'Unknown, or another tenant’s; with RUN_ACCESS=owner, another user’s run unless the caller holds HITL_APPROVER_ROLE' })
  get(@CurrentUser() user: AuthUser, @Param('sessionId', new IdPipe('sessionId')) sessionId: string): Promise<RunViewDto> {
    return this.queries.get(user, sessionId);
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Start a run with its prompt in the body; watch it with GET /aura/test/stream?sessionId=…' })
  @ApiCreatedResponse({ type: RunStartedDto })
  @ApiConflictResponse({ type: RunStartedDto, description: 'The session already has a run: the body is that run’s {sessionId, status}' })
  async start(@CurrentUser() user: AuthUser, @Body() body: StartRunDto): Promise<RunStartedDto> {
    const sessionId = body.sessionId ?? randomUUID();
    const { run, created } = await this.runs.open(sessionId, user, body.prompt, body.metadata ?? {});
    if (!created) throw new ConflictException({ sessionId, status: run.status });
    return { sessionId, status: run.status };
  }

  @Post(':sessionId/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a run: a pending request becomes cancelled and the stream ends with done {status: cancelled}' })
  @ApiParam({ name: 'sessionId', schema: { type: 'string', pattern: ID_PATTERN_SOURCE } })
  @ApiOkResponse({ type: CancelledRunDto })
  @ApiNotFoundResponse({ description: 'Unknown, or another tenant’s; with RUN_ACCESS=owner, another user’s run unless the caller holds HITL_APPROVER_ROLE' })
  @ApiConflictResponse({ description: 'The run has already ended' })
  async cancel(@CurrentUser() user: AuthUser, @Param('sessionId', new IdPipe('sessionId')) sessionId: string): Promise<CancelledRunDto> {
    const outcome = await this.runs.cancel(sessionId, user);
    if (outcome === 'not_found') throw new NotFoundException(`Session ${sessionId} not found`);
    if (outcome === 'ended') throw new ConflictException(`Run ${sessionId} has already ended`);
    return { sessionId, status: 'cancelled' };
  }
}
