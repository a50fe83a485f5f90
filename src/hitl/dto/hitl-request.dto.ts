import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { HITL_STATUSES, HitlStatus } from '../../contract/hitl.types';

/** The HITL request object (docs/protocol.md), for the OpenAPI document. */
export class HitlRequestDto {
  @ApiProperty({ example: 'req-5f0c2a4e-8d1b-4c53-9a57-2f7f0e1d9b11' }) requestId!: string;
  @ApiProperty({ example: 'session-abc' }) sessionId!: string;
  @ApiProperty({ example: 'acme' }) tenantId!: string;
  @ApiProperty({ example: 'alice' }) userId!: string;
  @ApiProperty({ example: 'send_email' }) toolName!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { to: 'cfo@acme.example', subject: 'Q3 report' } })
  params!: Record<string, unknown>;
  @ApiProperty({ example: 'The agent wants to send an email to cfo@acme.example. Approve?' }) message!: string;
  @ApiProperty({ enum: HITL_STATUSES, example: 'pending' }) status!: HitlStatus;
  @ApiProperty({ example: '2026-11-26T10:00:00.000Z' }) createdAt!: string;
  @ApiProperty({ example: '2026-11-26T10:05:00.000Z' }) expiresAt!: string;
  @ApiPropertyOptional({ description: 'Once decided (not while pending)', example: '2026-11-26T10:01:12.000Z' }) decidedAt?: string;
  @ApiPropertyOptional({ description: 'Who approved or rejected it', example: 'bob' }) decidedBy?: string;
  @ApiPropertyOptional({ description: 'The reason given with a rejection', example: 'Wrong recipient' }) reason?: string;
}

const PENDING: Omit<HitlRequestDto, 'decidedAt' | 'decidedBy' | 'reason'> = {
  requestId: 'req-5f0c2a4e-8d1b-4c53-9a57-2f7f0e1d9b11',
  sessionId: 'session-abc',
  tenantId: 'acme',
  userId: 'alice',
  toolName: 'send_email',
  params: { to: 'cfo@acme.example', subject: 'Q3 report' },
  message: 'The agent wants to send an email to cfo@acme.example. Approve?',
  status: 'pending',
  createdAt: '2026-11-26T10:00:00.000Z',
  expiresAt: '2026-11-26T10:05:00.000Z',
};

/**
 * Whole request objects as each route answers them (the schema's per-property examples would
 * combine `status: pending` with `decidedAt`); setupSwagger puts them on the responses.
 */
export const HITL_REQUEST_EXAMPLES = {
  pending: { ...PENDING } as HitlRequestDto,
  approved: { ...PENDING, status: 'approved', decidedAt: '2026-11-26T10:01:12.000Z', decidedBy: 'bob' } as HitlRequestDto,
  rejected: { ...PENDING, status: 'rejected', decidedAt: '2026-11-26T10:01:12.000Z', decidedBy: 'bob', reason: 'Wrong recipient' } as HitlRequestDto,
};

export class HitlSignalDto {
  @ApiProperty({ enum: ['approval', 'rejection', 'timeout', 'cancellation'] }) type!: string;
  @ApiProperty() requestId!: string;
  @ApiProperty() sessionId!: string;
  @ApiPropertyOptional() decidedBy?: string;
  @ApiPropertyOptional() reason?: string;
  @ApiProperty({ example: '2026-11-26T10:01:12.000Z' }) timestamp!: string;
}

export class SessionSignalsDto {
  @ApiProperty({ example: 'session-abc' }) sessionId!: string;
  @ApiProperty({ type: [HitlSignalDto] }) signals!: HitlSignalDto[];
}

export class RequestPageDto {
  @ApiProperty({ type: [HitlRequestDto] }) items!: HitlRequestDto[];
  @ApiPropertyOptional({ description: 'Pass as `cursor` for the next page; absent on the last page' }) nextCursor?: string;
}
