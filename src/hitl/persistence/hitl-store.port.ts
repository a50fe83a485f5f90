import type { Decision, DecideResult, HitlRequest, HitlSignal, HitlStatus } from '../../contract/hitl.types';

export interface RequestPage {
  items: HitlRequest[];
  nextCursor?: string;
}

export interface DecisionScope {
  tenantId?: string;
  sessionId?: string;
}

/**
 * Approval requests, their decisions and expiry, the signals they publish and the tenants' inboxes.
 * Every change is atomic (one Lua script in Redis), so any number of instances may race on a
 * request and exactly one decision wins. A decision publishes its signal, with the decided request,
 * on hitl:channel:{sessionId} in the same step.
 */
export abstract class HitlStore {
  abstract getRequest(requestId: string): Promise<HitlRequest | null>;
  /** Decides a pending request; a request outside `scope` (another tenant's or session's) is not_found. */
  abstract decide(requestId: string, decision: Decision, scope?: DecisionScope): Promise<DecideResult>;
  /** Expires pending requests whose deadline has passed by the store's clock; answers the requests it expired. */
  abstract expireDue(limit: number): Promise<HitlRequest[]>;
  abstract signals(sessionId: string): Promise<HitlSignal[]>;
  /** The tenant's requests in `status`, newest first; `userId` narrows them to one user's runs, `sessionId` to one run. */
  abstract listRequests(query: { tenantId: string; status: HitlStatus; limit: number; cursor?: string; userId?: string; sessionId?: string }): Promise<RequestPage>;
}
