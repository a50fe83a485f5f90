import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { ID_PATTERN } from '../../contract/ids';

export class StreamQuery {
  @ApiPropertyOptional({ description: 'The run to start or attach to; a UUID is made when absent', example: 'session-abc' })
  @IsOptional()
  @Matches(ID_PATTERN, { message: `sessionId must match ${ID_PATTERN.source}` })
  sessionId?: string;

  @ApiPropertyOptional({ description: 'What the agent is asked to do (used when the run starts). Required to start a run unless AGENT=demo (which has a default): a session with no run and no prompt is 400 "prompt required"', maxLength: 4000 })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  prompt?: string;

  @ApiPropertyOptional({ description: 'Resume after this event id, for clients that cannot send the Last-Event-ID header (the header wins)', example: '7' })
  @IsOptional()
  @Matches(/^\d{1,15}$/, { message: 'lastEventId must be an event id (a non-negative integer)' })
  lastEventId?: string;

  @ApiPropertyOptional({ description: 'true: also receive streamed text as it is produced (content events with delta: true)', enum: ['true', 'false'], type: String })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'deltas must be true or false' })
  deltas?: 'true' | 'false';

  @ApiPropertyOptional({ description: 'A stream ticket from POST /aura/stream-tickets, in place of the Authorization and X-Tenant-ID headers' })
  @IsOptional()
  @IsString()
  ticket?: string;
}
