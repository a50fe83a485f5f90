/** The HITL request object and the signals on hitl:channel:{sessionId}, as the contract gives them. */

export type HitlStatus = 'pending' | 'approved' | 'rejected' | 'responded' | 'expired' | 'cancelled';
export type DecisionStatus = Exclude<HitlStatus, 'pending'>;
export const HITL_STATUSES: readonly HitlStatus[] = ['pending', 'approved', 'rejected', 'responded', 'expired', 'cancelled'];

/** What a human may answer a request with (contract v1.3): approve as asked, approve with other params, reject, or reply instead. */
export type DecisionKind = 'approve' | 'edit' | 'reject' | 'respond';
export const DECISION_KINDS: readonly DecisionKind[] = ['approve', 'edit', 'reject', 'respond'];
/** A worker's request that names no decisions offers only the v1.2 pair. */
export const V12_DECISIONS: readonly DecisionKind[] = ['approve', 'reject'];

export interface HitlRequest {
  requestId: string;
  sessionId: string;
  tenantId: string;
  userId: string;
  toolName: string;
  params: Record<string, unknown>;
  message: string;
  status: HitlStatus;
  createdAt: string;
  expiresAt: string;
  decidedAt?: string;
  decidedBy?: string;
  reason?: string;
  allowedDecisions: DecisionKind[];
  /** The tool's parameters as a JSON Schema, so a UI can build an edit form (and edits are checked against it). */
  paramsSchema?: Record<string, unknown>;
  /** `sha256:<hex>` of `params` in canonical JSON (RFC 8785): a decision may name it, to be bound to what the approver saw. */
  paramsDigest: string;
  /** Set when approved with edits: the tool runs with these. */
  editedParams?: Record<string, unknown>;
  /** Set when responded: the human's message, given to the agent instead of running the tool. */
  response?: string;
  /** The requests asked for together in one pause share it; a lone request's is its own id. */
  groupId: string;
  groupSize: number;
}

/** `cancellation` is this service's addition, for POST /aura/runs/{id}/cancel. */
export type SignalType = 'approval' | 'rejection' | 'response' | 'timeout' | 'cancellation';

export interface HitlSignal {
  type: SignalType;
  requestId: string;
  sessionId: string;
  decidedBy?: string;
  reason?: string;
  /** An approval with edits: the params the tool runs with. */
  params?: Record<string, unknown>;
  /** A response: the human's message. */
  message?: string;
  timestamp: string;
}

/** A signal as this service publishes it: with the decided request, so no instance has to read it back. */
export interface DecisionSignal extends HitlSignal {
  request?: HitlRequest;
}

export const SIGNAL_FOR_STATUS: Record<DecisionStatus, SignalType> = {
  approved: 'approval',
  rejected: 'rejection',
  responded: 'response',
  expired: 'timeout',
  cancelled: 'cancellation',
};

export const STATUS_FOR_SIGNAL: Record<SignalType, DecisionStatus> = {
  approval: 'approved',
  rejection: 'rejected',
  response: 'responded',
  timeout: 'expired',
  cancellation: 'cancelled',
};

export interface Decision {
  status: DecisionStatus;
  decidedAt: string;
  decidedBy?: string;
  reason?: string;
  editedParams?: Record<string, unknown>;
  response?: string;
  /** Made by a message on hitl:channel (anyone who can publish there): the audit's actor is system/redis, whatever it claims. */
  viaChannel?: boolean;
}

/** The outcome of an attempt to decide: exactly one attempt per request ever gets `decided`. */
export type DecideResult =
  | { outcome: 'decided'; request: HitlRequest }
  | { outcome: 'conflict'; request: HitlRequest }
  | { outcome: 'not_found' };

/** The most an approval request's `params` may weigh as JSON, from workers and models alike (and an edit's). */
export const MAX_PARAMS_BYTES = 16 * 1024;

/** The longest message a human may respond with. */
export const MAX_RESPONSE_CHARS = 4000;
