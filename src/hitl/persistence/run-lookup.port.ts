import type { RunRecord } from '../../contract/run.types';

/** What HITL needs to know of a run (its tenant, its user, the request it waits on); the runs store answers it. */
export abstract class RunLookup {
  abstract getRun(sessionId: string): Promise<Pick<RunRecord, 'sessionId' | 'tenantId' | 'userId' | 'requestId'> | null>;
}
