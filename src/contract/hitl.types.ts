/** The HITL request object and the signals on hitl:channel:{sessionId}, as the contract gives them. */

export type HitlStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled';
export type DecisionStatus = Exclude<HitlStatus, 'pending'>;
export const HITL_STATUSES: readonly HitlStatus[] = ['pending', 'approved', 'rejected', 'expired', 'cancelled'];

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
}

/** `cancellation` is this service's addition, for POST /aura/runs/{id}/cancel. */
export type SignalType = 'approval' | 'rejection' | 'timeout' | 'cancellation';

export interface HitlSignal {
  type: SignalType;
  requestId: string;
  sessionId: string;
  decidedBy?: string;
  reason?: string;
  timestamp: string;
}

/** A signal as this service publishes it: with the decided request, so no instance has to read it back. */
export interface DecisionSignal extends HitlSignal {
  request?: HitlRequest;
}

export const SIGNAL_FOR_STATUS: Record<DecisionStatus, SignalType> = {
  approved: 'approval',
  rejected: 'rejection',
  expired: 'timeout',
  cancelled: 'cancellation',
};

export const STATUS_FOR_SIGNAL: Record<SignalType, DecisionStatus> = {
  approval: 'approved',
  rejection: 'rejected',
  timeout: 'expired',
  cancellation: 'cancelled',
};

export interface Decision {
  status: DecisionStatus;
  decidedAt: string;
  decidedBy?: string;
  reason?: string;
}

/** The outcome of an attempt to decide: exactly one attempt per request ever gets `decided`. */
export type DecideResult =
  | { outcome: 'decided'; request: HitlRequest }
  | { outcome: 'conflict'; request: HitlRequest }
  | { outcome: 'not_found' };

/** The most an approval request's `params` may weigh as JSON, from workers and models alike (and an edit's). */
export const MAX_PARAMS_BYTES = 16 * 1024;
