import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DECISION_KINDS, DecisionKind, HITL_STATUSES, HitlStatus } from '../../contract/hitl.types';

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
  @ApiProperty({ enum: DECISION_KINDS, isArray: true, description: 'What this request accepts', example: ['approve', 'edit', 'reject', 'respond'] })
  allowedDecisions!: DecisionKind[];
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'The tool’s parameters as a JSON Schema: edits are checked against it', example: { type: 'object', properties: { to: { type: 'string' } }, required: ['to'] } })
  paramsSchema?: Record<string, unknown>;
  @ApiProperty({ description: 'sha256:<hex> of params in canonical JSON (RFC 8785): send it with a decision to bind it to what you saw', example: 'sha256:4f8a1c…' })
  paramsDigest!: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Set when approved with edits: the tool runs with these' }) editedParams?: Record<string, unknown>;
  @ApiPropertyOptional({ description: 'Set when responded: the human’s message, given to the agent instead of running the tool' }) response?: string;
  @ApiProperty({ description: 'The requests asked for together in one pause share it (the first one’s id)', example: 'req-5f0c2a4e-8d1b-4c53-9a57-2f7f0e1d9b11' }) groupId!: string;
  @ApiProperty({ description: 'How many requests the group has', example: 1 }) groupSize!: number;
}

const PENDING: Omit<HitlRequestDto, 'decidedAt' | 'decidedBy' | 'reason' | 'editedParams' | 'response'> = {
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
  allowedDecisions: ['approve', 'edit', 'reject', 'respond'],
  paramsDigest: 'sha256:9b1f0c7e5d4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c',
  groupId: 'req-5f0c2a4e-8d1b-4c53-9a57-2f7f0e1d9b11',
  groupSize: 1,
};

/**
 * Whole request objects as each route answers them (the schema's per-property examples would
 * combine `status: pending` with `decidedAt`); setupSwagger puts them on the responses.
 */
export const HITL_REQUEST_EXAMPLES = {
  pending: { ...PENDING } as HitlRequestDto,
  approved: { ...PENDING, status: 'approved', decidedAt: '2026-11-26T10:01:12.000Z', decidedBy: 'bob' } as HitlRequestDto,
  rejected: { ...PENDING, status: 'rejected', decidedAt: '2026-11-26T10:01:12.000Z', decidedBy: 'bob', reason: 'Wrong recipient' } as HitlRequestDto,
  edited: { ...PENDING, status: 'approved', decidedAt: '2026-11-26T10:01:12.000Z', decidedBy: 'bob', editedParams: { to: 'finance@acme.example', subject: 'Q3 report' } } as HitlRequestDto,
  responded: { ...PENDING, status: 'responded', decidedAt: '2026-11-26T10:01:12.000Z', decidedBy: 'bob', response: 'Send it to the finance list instead.' } as HitlRequestDto,
};

export class HitlSignalDto {
  @ApiProperty({ enum: ['approval', 'rejection', 'response', 'timeout', 'cancellation'] }) type!: string;
  @ApiProperty() requestId!: string;
  @ApiProperty() sessionId!: string;
  @ApiPropertyOptional() decidedBy?: string;
  @ApiPropertyOptional() reason?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'An approval with edits: the params the tool runs with' }) params?: Record<string, unknown>;
  @ApiPropertyOptional({ description: 'A response: the human’s message' }) message?: string;
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
