import { createHmac, randomUUID } from 'node:crypto';

/**
 * Lease ids that carry their holder: the last 12 hex digits of the UUID are a MAC of the worker's
 * `sub` and the rest, keyed by the service's secret. So a lease belongs to the token that claimed
 * it, checked without a read, and the id keeps the plain UUID shape of LEASE_ID_PATTERN.
 */
export class LeaseIds {
  constructor(private readonly secret: string) {}

  mint(sub: string): string {
    const head = `wl-${randomUUID().slice(0, 24)}`;
    return head + this.mac(head, sub);
  }

  /** Whether `leaseId` was minted for `sub` (false for any other id, forged or another worker's). */
  belongsTo(leaseId: string, sub: string): boolean {
    return leaseId.length === 39 && leaseId.slice(27) === this.mac(leaseId.slice(0, 27), sub);
  }

  private mac(head: string, sub: string): string {
    return createHmac('sha256', this.secret).update(`${head}\n${sub}`).digest('hex').slice(0, 12);
  }
}
