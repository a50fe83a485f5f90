import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, Matches, MaxLength, MinLength, ValidationArguments, ValidatorConstraint, ValidatorConstraintInterface, Validate } from 'class-validator';
import { ID_PATTERN } from '../../contract/ids';

export const MAX_PROMPT_CHARS = 32000;
export const MAX_METADATA_BYTES = 8 * 1024;

@ValidatorConstraint({ name: 'metadataSize' })
class MetadataSize implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return Buffer.byteLength(JSON.stringify(value ?? {})) <= MAX_METADATA_BYTES;
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be at most ${MAX_METADATA_BYTES} bytes of JSON`;
  }
}

/** POST /aura/runs: the prompt travels in the body, so it stays out of URLs and gateway logs. */
export class StartRunDto {
  @ApiPropertyOptional({ description: 'The run’s session; a UUID is made when absent', example: 'session-abc' })
  @IsOptional()
  @Matches(ID_PATTERN, { message: `sessionId must match ${ID_PATTERN.source}` })
  sessionId?: string;

  @ApiProperty({ description: 'What the agent is asked to do', maxLength: MAX_PROMPT_CHARS, example: 'Summarize the open incidents and notify their owner' })
  @IsString()
  @MinLength(1, { message: 'prompt must not be empty' })
  @MaxLength(MAX_PROMPT_CHARS, { message: `prompt must be at most ${MAX_PROMPT_CHARS} characters` })
  prompt!: string;

  @ApiPropertyOptional({ description: `Passed to the agent as it is (a JSON object, at most ${MAX_METADATA_BYTES} bytes)`, type: 'object', additionalProperties: true, example: { ticket: 'INC-101' } })
  @IsOptional()
  @IsObject({ message: 'metadata must be a JSON object' })
  @Validate(MetadataSize)
  metadata?: Record<string, unknown>;
}

export class RunStartedDto {
  @ApiProperty({ example: 'session-abc' }) sessionId!: string;
  @ApiProperty({ enum: ['running', 'paused', 'completed', 'rejected', 'expired', 'cancelled', 'failed'], example: 'running' }) status!: string;
}
