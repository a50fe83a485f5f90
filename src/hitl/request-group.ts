import type { HitlRequest } from '../contract/hitl.types';

/**
 * The ids of a group's requests, in the order they were asked: the first one's id is the group's
 * (so a lone request is a group of one under its own id, and the run waits on that id), the others
 * append their position. Ids are the service's own, so no other request can take one of these.
 */
export function groupMemberIds(groupId: string, groupSize: number): string[] {
  return Array.from({ length: Math.max(1, groupSize) }, (_, i) => (i === 0 ? groupId : `${groupId}-${i + 1}`));
}

/** How a decided group goes on: a rejection ends the run before an expiry, an expiry before a cancel; otherwise it runs on. */
export function groupOutcome(members: HitlRequest[]): 'pending' | 'running' | 'rejected' | 'expired' | 'cancelled' {
  for (const end of ['rejected', 'expired', 'cancelled'] as const) if (members.some((m) => m.status === end)) return end;
  return members.some((m) => m.status === 'pending') ? 'pending' : 'running';
}
