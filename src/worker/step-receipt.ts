import { createHash } from 'node:crypto';
import type { StepDto } from './dto/worker.dto';

/**
 * What a written worker step leaves on its run: which lease wrote it, from which position, what it
 * said (a digest of its events, state, approvals and finish) and the seq it ended at. A worker that
 * lost the answer and posts the same step again from the same position is answered that seq, and
 * nothing is written twice; anything else from an old position is a conflict.
 */
export function stepDigest(step: StepDto): string {
  const said = { events: step.events, state: step.state, approval: step.approval, finish: step.finish, approvals: step.approvals };
  return createHash('sha256').update(JSON.stringify(said)).digest('base64url').slice(0, 22);
}

export const makeReceipt = (leaseId: string, expectedSeq: number, digest: string, seq: number): string => `${leaseId} ${expectedSeq} ${digest} ${seq}`;

/** The seq the same step was answered with, when `receipt` records exactly this step; else null. */
export function repeatedStepSeq(receipt: string | undefined, leaseId: string, expectedSeq: number, digest: string): number | null {
  if (!receipt) return null;
  const [lease, from, said, seq] = receipt.split(' ');
  return lease === leaseId && from === String(expectedSeq) && said === digest ? Number(seq) : null;
}
