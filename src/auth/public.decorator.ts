import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'aura:isPublic';
/** Marks a route (probes, docs, metrics) that needs neither a token nor a tenant header. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

export const ALLOWS_TICKET = 'aura:allowsTicket';
/** Marks the stream route, which also accepts `?ticket=` in place of the two headers (browser EventSource). */
export const AllowsStreamTicket = () => SetMetadata(ALLOWS_TICKET, true);

export const IS_WORKER_ROUTE = 'aura:isWorkerRoute';
/** Marks the worker API (AGENT=worker): a worker token only, and no X-Tenant-ID (a worker serves every tenant). */
export const WorkerRoute = () => SetMetadata(IS_WORKER_ROUTE, true);
