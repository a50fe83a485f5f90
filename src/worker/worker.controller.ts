import { Body, Controller, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiBody, ApiConflictResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser } from '../auth/current-user.decorator';
import { WorkerRoute } from '../auth/public.decorator';
import { ID_PATTERN_SOURCE, IdPipe } from '../common/id.pipe';
import { isoNow } from '../common/time';
import { ApiWorkerAuthed } from '../common/swagger';
import { ClaimDto, ClaimedRunDto, LeaseDto, LeaseResultDto, StepDto, StepResultDto } from './dto/worker.dto';
import { WorkerService } from './worker.service';

const sessionParam = () => ApiParam({ name: 'sessionId', schema: { type: 'string', pattern: ID_PATTERN_SOURCE } });

@ApiTags('worker')
@ApiWorkerAuthed()
@WorkerRoute()
@Controller('aura/worker')
export class WorkerController {
  constructor(private readonly worker: WorkerService) {}

  @Post('claim')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Claim a ready run (long poll)',
    description:
      'A run is ready when it was just opened, when its approvals were decided (`decisions` = every request of the group, in the order asked; `decision` = the first), ' +
      'or when the lease of the worker that had it lapsed. ' +
      'The run is leased to the caller for RUN_LEASE_MS: renew it while working.',
  })
  @ApiBody({ type: ClaimDto, required: false })
  @ApiOkResponse({ type: ClaimedRunDto })
  @ApiNoContentResponse({ description: 'No run became ready within waitSeconds' })
  async claim(@CurrentUser() worker: AuthUser, @Body() body: ClaimDto, @Res() res: Response): Promise<void> {
    const gone = new AbortController();
    res.on('close', () => gone.abort());
    // (A missing body is undefined at run time, though typed as the DTO so that the pipe validates it.)
    const claimed = await this.worker.claim(worker.sub, body?.waitSeconds ?? 0, gone.signal);
    if (!claimed) return void res.status(204).end();
    const { run, decision, leaseId, leaseExpiresMs } = claimed;
    const out: ClaimedRunDto = {
      sessionId: run.sessionId,
      tenantId: run.tenantId,
      userId: run.userId,
      prompt: run.prompt,
      metadata: run.metadata,
      state: run.state ?? null,
      seq: run.seq,
      ...(decision ? { decision, decisions: claimed.decisions ?? [decision] } : {}),
      leaseId,
      leaseExpiresAt: isoNow(leaseExpiresMs),
    };
    res.status(200).json(out);
  }

  @Post('runs/:sessionId/steps')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Write the next step of a claimed run: its events and state, atomically',
    description: '`approval` then writes the hitl request and pauses the run (the lease ends); `finish` writes `done` (the lease ends).',
  })
  @sessionParam()
  @ApiOkResponse({ type: StepResultDto })
  @ApiConflictResponse({
    description: 'The lease is no longer this worker’s (lapsed, taken over, run cancelled or ended) or was claimed with another token, or expectedSeq is not the run’s position; nothing was written',
  })
  step(@CurrentUser() worker: AuthUser, @Param('sessionId', new IdPipe('sessionId')) sessionId: string, @Body() body: StepDto): Promise<StepResultDto> {
    return this.worker.step(worker.sub, sessionId, body);
  }

  @Post('runs/:sessionId/lease')
  @HttpCode(200)
  @ApiOperation({ summary: 'Renew the lease on a claimed run' })
  @sessionParam()
  @ApiOkResponse({ type: LeaseResultDto })
  @ApiConflictResponse({ description: 'The lease is lost' })
  lease(@CurrentUser() worker: AuthUser, @Param('sessionId', new IdPipe('sessionId')) sessionId: string, @Body() body: LeaseDto): Promise<LeaseResultDto> {
    return this.worker.renew(worker.sub, sessionId, body.leaseId);
  }
}
