import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDateString, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { ID_PATTERN_SOURCE } from '../../common/id.pipe';

export class AuditQuery {
  @ApiPropertyOptional({ type: 'string', format: 'date-time', description: 'Oldest record to list (ISO 8601); default: as far back as kept' })
  @IsOptional()
  @IsDateString({ strict: true }, { message: 'from must be an ISO 8601 date-time' })
  from?: string;

  @ApiPropertyOptional({ type: 'string', format: 'date-time', description: 'Newest record to list (ISO 8601); default: now' })
  @IsOptional()
  @IsDateString({ strict: true }, { message: 'to must be an ISO 8601 date-time' })
  to?: string;

  @ApiPropertyOptional({ type: 'string', pattern: ID_PATTERN_SOURCE, description: "Only this run's records" })
  @IsOptional()
  @IsString()
  @Matches(new RegExp(ID_PATTERN_SOURCE), { message: 'sessionId is not a valid id' })
  sessionId?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer from 1 to 200' })
  @Min(1, { message: 'limit must be an integer from 1 to 200' })
  @Max(200, { message: 'limit must be an integer from 1 to 200' })
  limit: number = 50;

  @ApiPropertyOptional({ type: 'string', description: 'The nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,512}$/, { message: 'cursor is not a cursor this service issued' })
  cursor?: string;
}
