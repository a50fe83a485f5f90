import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/** Names this process in leases and Redis CLIENT LIST: the pod name plus a random suffix (restarts differ). */
export class InstanceId {
  readonly value = `${hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 60)}-${randomUUID().slice(0, 8)}`;
}
