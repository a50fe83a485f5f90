import { BadRequestException, Body, Controller, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser } from '../auth/current-user.decorator';
import { ID_PATTERN_SOURCE, IdPipe } from '../common/id.pipe';
import { ApiAuthed } from '../common/swagger';
import { HitlRequest } from '../contract/hitl.types';
import { HitlRequestDto, RequestPageDto, SessionSignalsDto } from './dto/hitl-request.dto';
import { ListRequestsQuery } from './dto/list-requests.query';
import { isValidId } from '../contract/ids';
import { ApproveDto, RejectDto, RespondDto } from './dto/reject.dto';
import { HitlService } from './hitl.service';

const requestIdParam = () => ApiParam({ name: 'requestId', schema: { type: 'string', pattern: ID_PATTERN_SOURCE } });
const decisionForbidden = () =>
  ApiForbiddenResponse({
    description:
      'Tenant ID mismatch; or the caller lacks the role HITL_APPROVER_ROLE names (when set); or, with HITL_SELF_APPROVAL=false, the caller started the run (four-eyes rule). Nothing is decided. Another tenant’s request is 404, never 403.',
  });

/** The v1.3 parts every decision route documents alike. */
const decisionV13 = () => (target: object, key: string | symbol, descriptor: PropertyDescriptor) => {
  ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    schema: { type: 'string', pattern: ID_PATTERN_SOURCE },
    description: 'The same key from the same user for the same request answers the first answer again (same status and body) for RUN_TTL_SECONDS',
  })(target, key, descriptor);
  ApiUnprocessableEntityResponse({ description: 'This Idempotency-Key was already used for another decision or body on this request' })(target, key, descriptor);
};

/** The Idempotency-Key header, when sent: an id (400 otherwise). */
function idempotencyKey(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!isValidId(value)) throw new BadRequestException(`Invalid Idempotency-Key: must match ${ID_PATTERN_SOURCE}`);
  return value;
}

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
    return this.hitl.list(user, query.status, query.limit, query.cursor, query.sessionId);
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
  @ApiConflictResponse({ type: HitlRequestDto, description: 'No longer pending, or paramsDigest is not the request’s: the body is the current request' })
  @ApiBadRequestResponse({ description: 'params given but the request does not allow edit, params that break its paramsSchema (the message names the field) or over 16 KB; nothing is decided' })
  @decisionV13()
  approve(
    @CurrentUser() user: AuthUser,
    @Param('requestId', new IdPipe('requestId')) requestId: string,
    @Body() body: ApproveDto,
    @Headers('idempotency-key') key?: string,
  ): Promise<HitlRequest> {
    return this.hitl.decideAsUser(requestId, user, 'approved', body?.reason, { params: body?.params, paramsDigest: body?.paramsDigest, idempotencyKey: idempotencyKey(key) });
  }

  @Post('respond/:requestId')
  @HttpCode(200)
  @ApiOperation({ summary: 'Respond to a pending request instead of running its tool: the agent gets the message and goes on' })
  @requestIdParam()
  @ApiOkResponse({ type: HitlRequestDto, description: 'The updated request (status responded)' })
  @ApiNotFoundResponse({ description: 'Unknown, or another tenant’s' })
  @decisionForbidden()
  @ApiConflictResponse({ type: HitlRequestDto, description: 'No longer pending, or paramsDigest is not the request’s: the body is the current request' })
  @ApiBadRequestResponse({ description: 'The request does not allow respond, or message is not 1–4000 characters; nothing is decided' })
  @decisionV13()
  respond(
    @CurrentUser() user: AuthUser,
    @Param('requestId', new IdPipe('requestId')) requestId: string,
    @Body() body: RespondDto,
    @Headers('idempotency-key') key?: string,
  ): Promise<HitlRequest> {
    return this.hitl.decideAsUser(requestId, user, 'responded', undefined, { message: body.message, paramsDigest: body.paramsDigest, idempotencyKey: idempotencyKey(key) });
  }

  @Post('reject/:requestId')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reject a pending request: the paused run ends with done {status: rejected}' })
  @requestIdParam()
  @ApiOkResponse({ type: HitlRequestDto, description: 'The updated request' })
  @ApiNotFoundResponse({ description: 'Unknown, or another tenant’s' })
  @decisionForbidden()
  @ApiConflictResponse({ type: HitlRequestDto, description: 'No longer pending, or paramsDigest is not the request’s: the body is the current request' })
  @decisionV13()
  reject(
    @CurrentUser() user: AuthUser,
    @Param('requestId', new IdPipe('requestId')) requestId: string,
    @Body() body: RejectDto,
    @Headers('idempotency-key') key?: string,
  ): Promise<HitlRequest> {
    return this.hitl.decideAsUser(requestId, user, 'rejected', body?.reason, { paramsDigest: body?.paramsDigest, idempotencyKey: idempotencyKey(key) });
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
