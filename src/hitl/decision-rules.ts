import { BadRequestException, ConflictException } from '@nestjs/common';
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import { DecisionKind, HitlRequest, MAX_PARAMS_BYTES, MAX_RESPONSE_CHARS } from '../contract/hitl.types';

/** What a human asks for, before it is checked against the request. */
export interface DecisionInput {
  status: 'approved' | 'rejected' | 'responded';
  reason?: string;
  /** An approval with these params is an edit. */
  params?: Record<string, unknown>;
  /** A response's message. */
  message?: string;
  /** When sent, must be the request's: the decision is bound to what the approver saw. */
  paramsDigest?: string;
}

const ajv = new Ajv({ allErrors: false, strict: false });
/** Compiled schemas by their JSON: a tool's schema is the same for every call, so it is compiled once. */
const compiled = new Map<string, ValidateFunction>();
const MAX_COMPILED = 200;

/** The validator of a JSON Schema, or the reason it is not one. */
export function compileSchema(schema: Record<string, unknown>): ValidateFunction | string {
  const key = JSON.stringify(schema);
  const known = compiled.get(key);
  if (known) return known;
  try {
    const validate = ajv.compile(schema);
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value as string);
    compiled.set(key, validate);
    return validate;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** One sentence naming the field that failed, e.g. `params.to must be string`. */
function describe(error: ErrorObject): string {
  const path = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const p = error.params as { missingProperty?: string; additionalProperty?: string };
  if (p.missingProperty) return `params${path ? `.${path}` : ''}.${p.missingProperty} is required`;
  if (p.additionalProperty) return `params${path ? `.${path}` : ''}.${p.additionalProperty} is not allowed (${error.message})`;
  return `params${path ? `.${path}` : ''} ${error.message ?? 'is invalid'}`;
}

export const kindOf = (input: DecisionInput): DecisionKind =>
  input.status === 'rejected' ? 'reject' : input.status === 'responded' ? 'respond' : input.params ? 'edit' : 'approve';

/**
 * Checks a decision against its request before anything is stored: the digest (409 with the
 * request: the approver saw something else), then what the request allows and the edit's params
 * (400). The request's params, schema and allowed decisions never change, so this read-then-decide
 * cannot be raced; whether it is still pending is the atomic decide's to answer.
 */
export function checkDecision(req: HitlRequest, input: DecisionInput): void {
  if (input.paramsDigest !== undefined && input.paramsDigest !== req.paramsDigest) throw new ConflictException(req);
  const kind = kindOf(input);
  if (!req.allowedDecisions.includes(kind)) {
    throw new BadRequestException(`Request ${req.requestId} does not allow ${kind}: it allows ${req.allowedDecisions.join(', ')}`);
  }
  if (kind === 'respond') {
    const length = input.message?.length ?? 0;
    if (length < 1 || length > MAX_RESPONSE_CHARS) throw new BadRequestException(`message must be 1 to ${MAX_RESPONSE_CHARS} characters (got ${length})`);
  }
  if (kind !== 'edit' || !input.params) return;
  const bytes = Buffer.byteLength(JSON.stringify(input.params));
  if (bytes > MAX_PARAMS_BYTES) throw new BadRequestException(`params may weigh at most ${MAX_PARAMS_BYTES} bytes of JSON (got ${bytes})`);
  if (!req.paramsSchema) return;
  const validate = compileSchema(req.paramsSchema);
  if (typeof validate === 'string') throw new BadRequestException(`Request ${req.requestId} cannot be edited: its paramsSchema is not a valid JSON Schema (${validate})`);
  if (!validate(input.params)) throw new BadRequestException(describe((validate.errors ?? [])[0] ?? ({ instancePath: '', params: {}, message: 'is invalid' } as ErrorObject)));
}
