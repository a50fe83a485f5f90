import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

export class RejectDto {
  @ApiPropertyOptional({ description: 'Why the action was rejected (shown to the watcher)', maxLength: 1000, example: 'Wrong recipient' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  reason?: string;
}
