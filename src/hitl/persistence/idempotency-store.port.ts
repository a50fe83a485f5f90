/** The first answer to a decision sent with an Idempotency-Key. */
export interface StoredAnswer {
  /** Of the decision and its body: the same key with another one is 422. */
  fingerprint: string;
  status: number;
  body: unknown;
}

/** Answers to decisions by idempotency key, kept for a while (RUN_TTL_SECONDS), so a retried POST gets the first answer again. */
export abstract class IdempotencyStore {
  abstract get(key: string): Promise<StoredAnswer | null>;
  /** Keeps `answer` unless the key already has one; answers what the key holds now (atomic: two racing writers agree). */
  abstract putIfAbsent(key: string, answer: StoredAnswer, ttlSeconds: number): Promise<StoredAnswer>;
}
