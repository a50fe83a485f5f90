import { ConflictException, Controller, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser } from '../auth/current-user.decorator';
import { ID_PATTERN_SOURCE, IdPipe } from '../common/id.pipe';
import { ApiAuthed } from '../common/swagger';
import { RunsService } from './runs.service';

class CancelledRunDto {
  @ApiProperty({ example: 'session-abc' }) sessionId!: string;
  @ApiProperty({ enum: ['cancelled'] }) status!: 'cancelled';
}

@ApiTags('runs')
@ApiAuthed()
@Controller('aura/runs')
export class RunsController {
  constructor(private readonly runs: RunsService) {}

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
