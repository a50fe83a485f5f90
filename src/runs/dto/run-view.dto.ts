import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { RUN_STATUSES, RunStatus } from '../../contract/run.types';

/** GET /aura/runs/{sessionId} and the items of GET /aura/runs: a run without replaying it. */
export class RunViewDto {
  @ApiProperty({ example: 'session-abc' }) sessionId!: string;
  @ApiProperty({ example: 'acme' }) tenantId!: string;
  @ApiProperty({ description: 'The `sub` of the user who started the run', example: 'alice' }) userId!: string;
  @ApiProperty({ enum: RUN_STATUSES, example: 'paused' }) status!: RunStatus;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', description: 'When a step or a cancel last changed the run' }) updatedAt!: string;
  @ApiProperty({ type: [String], description: 'The approval requests the run waits on (pending); empty unless paused', example: ['req-1'] }) pendingRequestIds!: string[];
  @ApiProperty({ description: 'The id (seq) of the last event in the run’s log; 0 before the first', example: 7 }) lastSeq!: number;
  @ApiProperty({ enum: ['demo', 'openai', 'worker'], description: 'The AGENT the run was started under' }) agent!: string;
}

export class RunPageDto {
  @ApiProperty({ type: [RunViewDto] }) items!: RunViewDto[];
  @ApiPropertyOptional({ description: 'Pass as `cursor` for the next page; absent on the last page' }) nextCursor?: string;
}

const LIMIT_MESSAGE = 'limit must be an integer from 1 to 200';

export class ListRunsQuery {
  @ApiPropertyOptional({ type: 'string', enum: RUN_STATUSES, description: 'Only runs with this status' })
  @IsOptional()
  @IsIn(RUN_STATUSES as unknown as string[], { message: `status must be one of ${RUN_STATUSES.join(', ')}` })
  status?: RunStatus;

  @ApiPropertyOptional({ type: 'string', description: 'Only the runs of this user (a token `sub`). With RUN_ACCESS=owner, a caller without HITL_APPROVER_ROLE sees only their own runs whatever this says' })
  @IsOptional()
  @IsString()
  @MinLength(1, { message: 'userId must not be empty' })
  @MaxLength(256, { message: 'userId must be at most 256 characters' })
  userId?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: LIMIT_MESSAGE })
  @Min(1, { message: LIMIT_MESSAGE })
  @Max(200, { message: LIMIT_MESSAGE })
  limit: number = 50;

  @ApiPropertyOptional({ type: 'string', description: 'The nextCursor of the previous page (with the same status and userId)' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,1024}$/, { message: 'cursor is not a cursor this service issued' })
  cursor?: string;
}
