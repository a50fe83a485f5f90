import express from 'express';
import type { NextFunction, Request, Response } from 'express';

/** The body limit of the worker routes: a step carries up to 64 KB of events (checked, 400 beyond) and the agent's state. */
export const WORKER_BODY_LIMIT = '1mb';

/**
 * A JSON parser for the worker routes only (with or without the API prefix), registered before the
 * service's 64 KB parser, which then leaves the parsed body alone.
 */
export function workerBodyParser(apiPrefix: string): (req: Request, res: Response, next: NextFunction) => void {
  const parse = express.json({ limit: WORKER_BODY_LIMIT });
  const prefixes = ['/aura/worker/', ...(apiPrefix ? [`/${apiPrefix}/aura/worker/`] : [])];
  return (req, res, next) => (prefixes.some((p) => req.url.startsWith(p)) ? parse(req, res, next) : next());
}
