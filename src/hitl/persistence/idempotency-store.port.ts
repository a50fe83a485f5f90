/** The first answer to a decision sent with an Idempotency-Key. */
export interface StoredAnswer {
  /** Of the decision and its body: the same key with another one is 422. */
  fingerprint: string;
  /** The HTTP status of the first answer; 0 while the first attempt is still deciding. */
  status: number;
  body: unknown;
}

/** Answers to decisions by idempotency key, kept for a while (RUN_TTL_SECONDS), so a retried POST gets the first answer again. */
export abstract class IdempotencyStore {
  abstract get(key: string): Promise<StoredAnswer | null>;
  /** Keeps `answer` unless the key already has one; answers what the key holds now (atomic: two racing writers agree). */
  abstract putIfAbsent(key: string, answer: StoredAnswer, ttlSeconds: number): Promise<StoredAnswer>;
  /** Replaces what the key holds (the first attempt's final answer over its marker). */
  abstract put(key: string, answer: StoredAnswer, ttlSeconds: number): Promise<void>;
  abstract delete(key: string): Promise<void>;
}
