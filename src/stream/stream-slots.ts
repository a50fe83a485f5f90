import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import type { AuthUser } from '../auth/auth-user';
import { TooManyRequestsException } from '../common/too-many-requests.exception';
import { AppConfig } from '../config/app-config';
import { openFileSoftLimit, streamCapacity } from './descriptor-limit';

/** Seconds a refused client waits before it tries again. */
export const STREAM_SLOT_RETRY_AFTER_SECONDS = 5;

/**
 * The open streams of this instance, per user and in all: a user past MAX_STREAMS_PER_USER is 429,
 * and an instance near its descriptor limit is 503 to new streams (another pod takes them) while it
 * keeps answering everything else. Counted per instance: a stream holds a socket here, not in Redis.
 */
@Injectable()
export class StreamSlots {
  private readonly perUser = new Map<string, number>();
  private total = 0;
  private readonly capacity: number;

  constructor(private readonly config: AppConfig) {
    this.capacity = streamCapacity(openFileSoftLimit());
  }

  /** Takes a slot for the user, or throws; the returned function gives it back (once). */
  acquire(user: AuthUser): () => void {
    if (this.total >= this.capacity) {
      throw new ServiceUnavailableException('This instance holds as many streams as it can; try again (another instance may take it)');
    }
    // The tenant id has no ':' (id pattern), so no two (tenant, sub) pairs share a key.
    const key = `${user.tenantId}:${user.sub}`;
    const open = this.perUser.get(key) ?? 0;
    const max = this.config.limits.streamsPerUser;
    if (open >= max) throw new TooManyRequestsException(`At most ${max} open streams per user on one instance; close one first`, STREAM_SLOT_RETRY_AFTER_SECONDS);
    this.perUser.set(key, open + 1);
    this.total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.perUser.get(key) ?? 1) - 1;
      if (left > 0) this.perUser.set(key, left);
      else this.perUser.delete(key);
    };
  }
}
