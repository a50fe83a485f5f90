import { BadRequestException } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { Allow, ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsIn, IsInt, IsNumber, IsObject, IsOptional, IsString, Length, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { DECISION_KINDS, DecisionKind, MAX_PARAMS_BYTES } from '../../contract/hitl.types';
import { compileSchema } from '../../hitl/decision-rules';
import type { AuraEvent, EventType } from '../../contract/run.types';
import { HitlRequestDto } from '../../hitl/dto/hitl-request.dto';

/** Lease ids are minted here (`wl-` + a UUID) and never look like an instance id, so a worker cannot write as an instance. */
export const LEASE_ID_PATTERN = /^wl-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The event types a worker writes; `hitl` and `done` are the service's (use `approval` and `finish`). */
export const WORKER_EVENT_TYPES: readonly EventType[] = ['thought', 'plan_step', 'tool_execution', 'content', 'run_error'];
/** The most a step's events may weigh, as JSON (bytes). */
export const MAX_STEP_EVENT_BYTES = 64 * 1024;
/** The most approvals one step may ask for: as many as a model turn's tool calls. */
export const MAX_APPROVALS = 16;

export class ClaimDto {
  @ApiPropertyOptional({ minimum: 0, maximum: 30, default: 0, description: 'How long to wait for a ready run (long poll); 0 answers at once' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'waitSeconds must be a number from 0 to 30' })
  @Min(0, { message: 'waitSeconds must be a number from 0 to 30' })
  @Max(30, { message: 'waitSeconds must be a number from 0 to 30' })
  waitSeconds?: number;
}

export class ClaimedRunDto {
  @ApiProperty({ example: 'session-abc' }) sessionId!: string;
  @ApiProperty({ example: 'acme' }) tenantId!: string;
  @ApiProperty({ example: 'alice' }) userId!: string;
  @ApiProperty() prompt!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'From POST /aura/runs; {} otherwise' }) metadata!: Record<string, unknown>;
  @ApiProperty({ nullable: true, description: 'The state the last written step stored (any JSON); null before the first step' }) state!: unknown;
  @ApiPropertyOptional({ type: HitlRequestDto, description: 'Set when the run resumes after its approval was decided: the first request of the group (v1.2 workers)' })
  decision?: unknown;
  @ApiPropertyOptional({
    type: [HitlRequestDto],
    description: 'Set with `decision`: every request of the group, in the order asked (approved: run the tool, with editedParams when set; responded: give the agent the response)',
  })
  decisions?: unknown[];
  @ApiProperty({ description: 'The seq (SSE id) of the last event of the run so far: send it as the first step’s expectedSeq', example: 7 }) seq!: number;
  @ApiProperty({ example: 'wl-0b8e5c1e-5f43-4a43-9d6e-0f3c2b7a9e10', description: 'Send it with every step and lease call, with the token that claimed it' }) leaseId!: string;
  @ApiProperty({ example: '2025-01-01T12:00:05.000Z', description: 'Renew before this (POST …/lease), or another worker gets the run' }) leaseExpiresAt!: string;
}

export class ApprovalDto {
  @ApiProperty({ example: 'send_email' }) @IsString() @Length(1, 128) toolName!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { to: 'owner@example.com' } }) @IsObject() params!: Record<string, unknown>;
  @ApiProperty({ example: 'The agent wants to send an email. Approve?' }) @IsString() @MaxLength(4000) message!: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'The tool’s parameters as a JSON Schema: a UI builds its edit form from it, and edits are checked against it' })
  @IsOptional()
  @IsObject({ message: 'paramsSchema must be a JSON Schema object' })
  paramsSchema?: Record<string, unknown>;
  @ApiPropertyOptional({ type: [String], enum: DECISION_KINDS, description: 'What the human may answer; approve and reject when omitted', example: ['approve', 'edit', 'reject', 'respond'] })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(DECISION_KINDS.length)
  @ArrayUnique()
  @IsIn(DECISION_KINDS as unknown as string[], { each: true, message: `allowedDecisions must be some of ${DECISION_KINDS.join(', ')}` })
  allowedDecisions?: DecisionKind[];
}

class WorkerEventDto {
  @ApiProperty({ enum: WORKER_EVENT_TYPES }) type!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) data!: Record<string, unknown>;
}

export class StepDto {
  @ApiProperty({ description: 'From the claim' }) @IsString() @Matches(LEASE_ID_PATTERN, { message: 'leaseId is not a lease this service issued' }) leaseId!: string;
  @ApiPropertyOptional({
    description:
      'The seq of the last event this worker saw (the claim’s `seq`, then each step’s answer). The same step posted again from the same position ' +
      '(a retry after a lost answer) is answered with the seq it was written at and writes nothing; a step from another position is 409. ' +
      'Omitted (v1.2 workers): the step is written at the run’s current position, with no retry protection.',
    minimum: 0,
  })
  @IsOptional()
  @IsInt({ message: 'expectedSeq must be a non-negative integer' })
  @Min(0, { message: 'expectedSeq must be a non-negative integer' })
  expectedSeq?: number;
  @ApiProperty({ type: [WorkerEventDto], description: `Written in order, atomically with the state; at most ${MAX_STEP_EVENT_BYTES} bytes of JSON` })
  @IsArray()
  events!: unknown[];
  @ApiPropertyOptional({ description: 'The agent’s new state (any JSON), stored with the events; omitted = unchanged' }) @Allow() state?: unknown;
  @ApiPropertyOptional({ type: ApprovalDto, description: 'Ask a human: writes the hitl request after the events and pauses the run; the lease ends' })
  @IsOptional()
  @ValidateNested()
  @Type(() => ApprovalDto)
  approval?: ApprovalDto;
  @ApiPropertyOptional({
    type: [ApprovalDto],
    description: 'Ask a human about several calls at once (v1.3): one request each, one group; the run goes on when all are decided. Instead of `approval`',
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_APPROVALS)
  @ValidateNested({ each: true })
  @Type(() => ApprovalDto)
  approvals?: ApprovalDto[];
  @ApiPropertyOptional({ enum: ['completed', 'failed'], description: 'Ends the run: writes done {status} after the events; the lease ends' })
  @IsOptional()
  @IsIn(['completed', 'failed'])
  finish?: 'completed' | 'failed';
}

export class StepResultDto {
  @ApiProperty({ description: 'The seq (SSE id) of the last event written' }) seq!: number;
}

export class LeaseDto {
  @ApiProperty() @IsString() @Matches(LEASE_ID_PATTERN, { message: 'leaseId is not a lease this service issued' }) leaseId!: string;
}

export class LeaseResultDto {
  @ApiProperty({ example: '2025-01-01T12:00:05.000Z' }) leaseExpiresAt!: string;
}

/** A step's events as the log takes them; 400 (nothing written) for an unknown type, a `data` that is not an object, or too much. */
export function checkStep(step: StepDto): AuraEvent[] {
  if ((step.approval || step.approvals) && step.finish) throw new BadRequestException('A step either asks for approval or finishes, not both');
  if (step.approval && step.approvals) throw new BadRequestException('A step sends approval or approvals, not both');
  const events = step.events.map((e, i) => {
    if (typeof e !== 'object' || e === null || Array.isArray(e)) throw new BadRequestException(`events[${i}] must be an object {type, data}`);
    const { type, data, ...rest } = e as Record<string, unknown>;
    if (Object.keys(rest).length > 0) throw new BadRequestException(`events[${i}] has unknown fields: ${Object.keys(rest).slice(0, 5).join(', ')}`);
    if (!WORKER_EVENT_TYPES.includes(type as EventType)) throw new BadRequestException(`events[${i}].type must be one of ${WORKER_EVENT_TYPES.join(', ')}`);
    if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new BadRequestException(`events[${i}].data must be an object`);
    return { type: type as EventType, data: data as Record<string, unknown> };
  });
  const asks = step.approvals ? step.approvals.map((a, i) => [`approvals[${i}]`, a] as const) : step.approval ? [['approval', step.approval] as const] : [];
  for (const [where, ask] of asks) {
    const paramBytes = Buffer.byteLength(JSON.stringify(ask.params));
    if (paramBytes > MAX_PARAMS_BYTES) throw new BadRequestException(`${where}.params may weigh at most ${MAX_PARAMS_BYTES} bytes of JSON (got ${paramBytes})`);
    const schema = ask.paramsSchema;
    const schemaBytes = schema ? Buffer.byteLength(JSON.stringify(schema)) : 0;
    if (schemaBytes > MAX_PARAMS_BYTES) throw new BadRequestException(`${where}.paramsSchema may weigh at most ${MAX_PARAMS_BYTES} bytes of JSON (got ${schemaBytes})`);
    const compiled = schema ? compileSchema(schema) : null;
    if (typeof compiled === 'string') throw new BadRequestException(`${where}.paramsSchema is not a valid JSON Schema: ${compiled}`);
  }
  const bytes = Buffer.byteLength(JSON.stringify(events));
  if (bytes > MAX_STEP_EVENT_BYTES) throw new BadRequestException(`A step's events may weigh at most ${MAX_STEP_EVENT_BYTES} bytes of JSON (got ${bytes})`);
  return events;
}
