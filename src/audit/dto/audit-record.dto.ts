import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

const ACTIONS = ['requested', 'approved', 'edited', 'rejected', 'responded', 'expired', 'cancelled'];

export class AuditActorDto {
  @ApiProperty({ enum: ['user', 'system'] }) type!: string;
  @ApiProperty({ description: "A user's token sub; for system: expiry (the deadline) or redis (a message on hitl:channel)" }) id!: string;
}

export class AuditRecordDto {
  @ApiProperty() id!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty() tenantId!: string;
  @ApiProperty() sessionId!: string;
  @ApiProperty() requestId!: string;
  @ApiProperty() toolName!: string;
  @ApiProperty({ enum: ACTIONS }) action!: string;
  @ApiProperty({ type: AuditActorDto }) actor!: AuditActorDto;
  @ApiPropertyOptional({ description: 'sha256:<hex> of the request params (RFC 8785 canonical JSON)' }) paramsDigest?: string;
  @ApiPropertyOptional({ description: 'Digest of the params the tool ran with (approved, edited)' }) executedParamsDigest?: string;
  @ApiPropertyOptional() reason?: string;
  @ApiPropertyOptional({ description: 'A response decision’s message' }) message?: string;
}

export class AuditPageDto {
  @ApiProperty({ type: [AuditRecordDto] }) items!: AuditRecordDto[];
  @ApiPropertyOptional({ description: 'Opaque; pass as cursor for the next page' }) nextCursor?: string;
}
