import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { HITL_STATUSES, HitlStatus } from '../../contract/hitl.types';
import { ID_PATTERN } from '../../contract/ids';

export class ListRequestsQuery {
  @ApiPropertyOptional({ type: 'string', enum: HITL_STATUSES, default: 'pending' })
  @IsOptional()
  @IsIn(HITL_STATUSES as unknown as string[], { message: `status must be one of ${HITL_STATUSES.join(', ')}` })
  status: HitlStatus = 'pending';

  // The type is explicit: from `limit = 50` alone the metadata says Object, and the parameter was
  // published as a $ref to an "Object" schema, which Swagger UI's "Try it out" could not send.
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer from 1 to 200' })
  @Min(1, { message: 'limit must be an integer from 1 to 200' })
  @Max(200, { message: 'limit must be an integer from 1 to 200' })
  limit: number = 50;

  @ApiPropertyOptional({ type: 'string', pattern: ID_PATTERN.source, description: 'Only this run’s requests (a UI restores its open approvals after a reload)' })
  @IsOptional()
  @Matches(ID_PATTERN, { message: `sessionId must match ${ID_PATTERN.source}` })
  sessionId?: string;

  @ApiPropertyOptional({ type: 'string', description: 'The nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,256}$/, { message: 'cursor is not a cursor this service issued' })
  cursor?: string;
}
