/** Who is calling, from a verified token (or a stream ticket). */
export interface AuthUser {
  sub: string;
  tenantId: string;
  /** The token's `roles` claim ([] when absent); what HITL_APPROVER_ROLE is checked against (auth/access-policy.service.ts). */
  roles: string[];
  /** Set for a stream ticket: the only session it may open. */
  sessionId?: string;
  /** A worker token (scope `aura:worker`): no tenant, only the worker routes. */
  worker?: true;
}
