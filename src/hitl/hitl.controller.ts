import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser } from '../auth/current-user.decorator';
import { ID_PATTERN_SOURCE, IdPipe } from '../common/id.pipe';
import { ApiAuthed } from '../common/swagger';
import { HitlRequest } from '../contract/hitl.types';
import { HitlRequestDto, RequestPageDto, SessionSignalsDto } from './dto/hitl-request.dto';
import { ListRequestsQuery } from './dto/list-requests.query';
import { RejectDto } from './dto/reject.dto';
import { HitlService } from './hitl.service';

const requestIdParam = () => ApiParam({ name: 'requestId', schema: { type: 'string', pattern: ID_PATTERN_SOURCE } });
const decisionForbidden = () =>
  ApiForbiddenResponse({
    description:
      'Tenant ID mismatch; or the caller lacks the role HITL_APPROVER_ROLE names (when set); or, with HITL_SELF_APPROVAL=false, the caller started the run (four-eyes rule). Nothing is decided. Another tenant’s request is 404, never 403.',
  });

@ApiTags('hitl')
@ApiAuthed()
@Controller('aura/hitl')
export class HitlController {
  constructor(private readonly hitl: HitlService) {}

  @Get('requests')
  @ApiOperation({
    summary: "The tenant's approvals inbox, newest first",
    description: 'When HITL_APPROVER_ROLE is set, a caller without that role sees only the requests of their own runs.',
  })
  @ApiOkResponse({ type: RequestPageDto })
  @ApiBadRequestResponse({ description: 'Bad status, limit or cursor' })
  list(@CurrentUser() user: AuthUser, @Query() query: ListRequestsQuery) {
    return this.hitl.list(user, query.status, query.limit, query.cursor);
  }

  @Get('requests/:requestId')
  @ApiOperation({ summary: 'One approval request' })
  @requestIdParam()
  @ApiOkResponse({ type: HitlRequestDto })
  @ApiNotFoundResponse({ description: 'Unknown, or another tenant’s; when HITL_APPROVER_ROLE is set and the caller lacks it, another user’s run’s' })
  get(@CurrentUser() user: AuthUser, @Param('requestId', new IdPipe('requestId')) requestId: string): Promise<HitlRequest> {
    return this.hitl.get(requestId, user);
  }

  @Post('approve/:requestId')
  @HttpCode(200)
  @ApiOperation({ summary: 'Approve a pending request: the paused run resumes, on whichever instance holds it' })
  @requestIdParam()
  @ApiOkResponse({ type: HitlRequestDto, description: 'The updated request' })
  @ApiNotFoundResponse({ description: 'Unknown, or another tenant’s' })
  @decisionForbidden()
  @ApiConflictResponse({ type: HitlRequestDto, description: 'No longer pending: the body is the current request' })
  approve(@CurrentUser() user: AuthUser, @Param('requestId', new IdPipe('requestId')) requestId: string): Promise<HitlRequest> {
    return this.hitl.decideAsUser(requestId, user, 'approved');
  }

  @Post('reject/:requestId')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reject a pending request: the paused run ends with done {status: rejected}' })
  @requestIdParam()
  @ApiOkResponse({ type: HitlRequestDto, description: 'The updated request' })
  @ApiNotFoundResponse({ description: 'Unknown, or another tenant’s' })
  @decisionForbidden()
  @ApiConflictResponse({ type: HitlRequestDto, description: 'No longer pending: the body is the current request' })
  reject(
    @CurrentUser() user: AuthUser,
    @Param('requestId', new IdPipe('requestId')) requestId: string,
    @Body() body: RejectDto,
  ): Promise<HitlRequest> {
    return this.hitl.decideAsUser(requestId, user, 'rejected', body?.reason);
  }

  @Get('signals/:sessionId')
  @ApiOperation({ summary: 'The signals recorded for a session' })
  @ApiParam({ name: 'sessionId', schema: { type: 'string', pattern: ID_PATTERN_SOURCE } })
  @ApiOkResponse({ type: SessionSignalsDto })
  @ApiNotFoundResponse({ description: 'Unknown, or another tenant’s; with RUN_ACCESS=owner, another user’s run unless the caller holds HITL_APPROVER_ROLE' })
  signals(@CurrentUser() user: AuthUser, @Param('sessionId', new IdPipe('sessionId')) sessionId: string) {
    return this.hitl.signals(sessionId, user);
  }
}
