import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { ID_PATTERN } from '../../contract/ids';

export class CreateStreamTicketDto {
  @ApiPropertyOptional({ description: 'The session the ticket opens; a new one is made when absent', example: 'session-abc' })
  @IsOptional()
  @Matches(ID_PATTERN, { message: `sessionId must match ${ID_PATTERN.source}` })
  sessionId?: string;
}

export class StreamTicketDto {
  @ApiProperty({ description: 'Single use, valid 60 s: GET /aura/test/stream?ticket=…', example: '9f2c…' }) ticket!: string;
  @ApiProperty({ example: 'session-abc' }) sessionId!: string;
  @ApiProperty({ example: '2026-11-26T10:01:00.000Z' }) expiresAt!: string;
}
