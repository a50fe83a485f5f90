/** The HITL request object and signals exactly as CONTRACT.md gives them. */

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

/** What travels on hitl:channel:{sessionId}. `cancellation` is this service's addition for POST /runs/{id}/cancel. */
export type SignalType = 'approval' | 'rejection' | 'timeout' | 'cancellation';

export interface HitlSignal {
  type: SignalType;
  requestId: string;
  sessionId: string;
  decidedBy?: string;
  reason?: string;
  timestamp: string;
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

export const hitlChannel = (sessionId: string): string => `hitl:channel:${sessionId}`;
export const HITL_CHANNEL_PATTERN = 'hitl:channel:*';
export const BROADCAST_CHANNEL = 'dwp:events:all';
