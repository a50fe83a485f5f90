import { BadRequestException } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/** The deepest a JSON body may nest (objects and arrays); none of the API's bodies needs more than 1. */
export const MAX_JSON_DEPTH = 32;

/**
 * Whether a parsed JSON value nests deeper than `max` levels (`{}` and `[]` are one level each).
 * Walked with an explicit stack, never recursion: the point is to stop bodies deep enough to
 * overflow the call stack of whatever walks them next (the validation pipe did: a 500). Stops at the
 * first container past `max`.
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: { value: object; depth: number }[] = [];
  if (value !== null && typeof value === 'object') stack.push({ value, depth: 1 });
  while (stack.length > 0) {
    const { value: container, depth } = stack.pop()!;
    if (depth > max) return true;
    for (const child of Object.values(container)) {
      if (child !== null && typeof child === 'object') stack.push({ value: child as object, depth: depth + 1 });
    }
  }
  return false;
}

/** Runs after the JSON body parser: a body nested deeper than `max` is a 400 before anything else reads it. */
export const rejectDeepJson =
  (max = MAX_JSON_DEPTH) =>
  (req: Request, _res: Response, next: NextFunction): void => {
    const body: unknown = req.body;
    if (body !== null && typeof body === 'object' && nestsDeeperThan(body, max)) {
      return next(new BadRequestException(`JSON body nested deeper than ${max} levels`));
    }
    next();
  };
