import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { MAX_RESPONSE_CHARS } from '../../contract/hitl.types';
import { PARAMS_DIGEST_PATTERN } from '../params-digest';

const DIGEST_DOC = 'The request’s paramsDigest as the approver saw it: when it is not the request’s, nothing is decided and the answer is 409 with the request';

export class RejectDto {
  @ApiPropertyOptional({ description: 'Why the action was rejected (shown to the watcher)', maxLength: 1000, example: 'Wrong recipient' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  reason?: string;

  @ApiPropertyOptional({ description: DIGEST_DOC, pattern: PARAMS_DIGEST_PATTERN.source })
  @IsOptional()
  @IsString()
  @Matches(PARAMS_DIGEST_PATTERN, { message: 'paramsDigest must be sha256:<64 lowercase hex digits>' })
  paramsDigest?: string;
}

export class ApproveDto extends RejectDto {
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'An edit: the tool runs with these params instead (the request must allow edit; checked against its paramsSchema; at most 16 KB)',
    example: { to: 'cfo@acme.example', subject: 'Q3 report', body: 'Attached.' },
  })
  @IsOptional()
  @IsObject({ message: 'params must be a JSON object' })
  params?: Record<string, unknown>;
}

export class RespondDto {
  @ApiProperty({ description: 'The reply the agent gets instead of the tool running', minLength: 1, maxLength: MAX_RESPONSE_CHARS, example: 'Send it to the finance list instead.' })
  @IsString({ message: 'message must be a string' })
  @Length(1, MAX_RESPONSE_CHARS, { message: `message must be 1 to ${MAX_RESPONSE_CHARS} characters` })
  message!: string;

  @ApiPropertyOptional({ description: DIGEST_DOC, pattern: PARAMS_DIGEST_PATTERN.source })
  @IsOptional()
  @IsString()
  @Matches(PARAMS_DIGEST_PATTERN, { message: 'paramsDigest must be sha256:<64 lowercase hex digits>' })
  paramsDigest?: string;
}
