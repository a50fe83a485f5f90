import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import type { AuthUser } from './auth-user';

/** What the rules need to know of a run or of a request: whose tenant and whose user it is. */
export interface Owned {
  tenantId: string;
  userId: string;
}

/** Tenant isolation: anything of another tenant is answered exactly as an unknown id (404). */
const inTenant = (user: AuthUser, thing: Owned): boolean => thing.tenantId === user.tenantId;

/**
 * Who may see and do what within a tenant (contract v1.2, HITL_APPROVER_ROLE, HITL_SELF_APPROVAL,
 * RUN_ACCESS): every access rule of the service is here, and the services ask it. Anything outside
 * the caller's tenant is invisible (404, exactly as unknown) before any of the 403 rules applies.
 *
 * - A run (watch, signals, cancel) is visible to its tenant; under RUN_ACCESS=owner only to its own
 *   user and holders of the approver role.
 * - A request (inbox, GET by id) is visible to its tenant; when an approver role is configured, a
 *   user without it sees only the requests of their own runs (others are 404, as for the inbox).
 * - Deciding a request of the tenant needs the approver role when one is configured (403, whoever's
 *   run it is: the role is what the caller lacks), and with HITL_SELF_APPROVAL=false is refused to
 *   the user who started the run (403, four-eyes). Cancelling follows the run rule, not these.
 */
@Injectable()
export class AccessPolicy {
  private readonly approverRole: string | null;
  private readonly selfApproval: boolean;
  private readonly ownerOnlyRuns: boolean;

  constructor(config: AppConfig) {
    this.approverRole = config.access.approverRole;
    this.selfApproval = config.access.selfApproval;
    this.ownerOnlyRuns = config.access.runAccess === 'owner';
  }

  /** Holds the configured approver role; nobody does when none is configured. */
  holdsApproverRole(user: AuthUser): boolean {
    return this.approverRole !== null && user.roles.includes(this.approverRole);
  }

  canAccessRun(user: AuthUser, run: Owned): boolean {
    if (!inTenant(user, run)) return false;
    return !this.ownerOnlyRuns || run.userId === user.sub || this.holdsApproverRole(user);
  }

  /** The user whose runs the caller may list (GET /aura/runs), as canAccessRun decides; undefined = the whole tenant's. */
  runsOwnerFilter(user: AuthUser): string | undefined {
    return !this.ownerOnlyRuns || this.holdsApproverRole(user) ? undefined : user.sub;
  }

  /** The user whose runs' requests the caller sees (inbox, GET by id); undefined = the whole tenant's. */
  requestsOwnerFilter(user: AuthUser): string | undefined {
    return this.approverRole === null || this.holdsApproverRole(user) ? undefined : user.sub;
  }

  canSeeRequest(user: AuthUser, request: Owned): boolean {
    if (!inTenant(user, request)) return false;
    const owner = this.requestsOwnerFilter(user);
    return owner === undefined || request.userId === owner;
  }

  /** True when no rule depends on who started the run: deciding then needs no read of the request (the decide step scopes it to the tenant). */
  get decidingIsOpenToTenant(): boolean {
    return this.approverRole === null && this.selfApproval;
  }

  /**
   * May `user` decide `request`? In the contract's order: another tenant's request is 'not_found'
   * (answered exactly as an unknown one, never 403), then the role, then the four-eyes rule.
   */
  decisionVerdict(user: AuthUser, request: Owned): 'allowed' | 'not_found' | { forbidden: string } {
    // A request the caller may not even see is unknown to them (404), never a 403 that confirms it exists.
    if (!this.canSeeRequest(user, request)) return 'not_found';
    if (this.approverRole !== null && !this.holdsApproverRole(user)) return { forbidden: `Approving or rejecting needs the role ${this.approverRole}` };
    if (!this.selfApproval && request.userId === user.sub) return { forbidden: 'The user who started the run may not decide its requests (four-eyes rule)' };
    return 'allowed';
  }
}
