import { IdempotencyStore, StoredAnswer } from './idempotency-store.port';

/** The in-process answers (no REDIS_URL: one instance), forgotten after their TTL as Redis keys would be. */
export class MemoryIdempotencyStore extends IdempotencyStore {
  private readonly answers = new Map<string, { answer: StoredAnswer; until: number }>();

  async get(key: string): Promise<StoredAnswer | null> {
    const hit = this.answers.get(key);
    if (!hit) return null;
    if (hit.until > Date.now()) return structuredClone(hit.answer);
    this.answers.delete(key);
    return null;
  }

  async putIfAbsent(key: string, answer: StoredAnswer, ttlSeconds: number): Promise<StoredAnswer> {
    const held = await this.get(key);
    if (held) return held;
    this.forgetOld();
    this.answers.set(key, { answer: structuredClone(answer), until: Date.now() + ttlSeconds * 1000 });
    return answer;
  }

  async put(key: string, answer: StoredAnswer, ttlSeconds: number): Promise<void> {
    this.answers.set(key, { answer: structuredClone(answer), until: Date.now() + ttlSeconds * 1000 });
  }

  async delete(key: string): Promise<void> {
    this.answers.delete(key);
  }

  private forgetOld(): void {
    const now = Date.now();
    for (const [key, hit] of this.answers) if (hit.until <= now) this.answers.delete(key);
  }
}
