import { BadRequestException } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/** The deepest a JSON body may nest (objects and arrays); none of the API's bodies needs more than 1. */
export const MAX_JSON_DEPTH = 32;

/** What is wrong with a parsed JSON value, or null: it nests too deep, or a key or string is not valid Unicode. */
export type JsonFault = { kind: 'too_deep' } | { kind: 'lone_surrogate'; path: string };

const childPath = (path: string, key: string, isArray: boolean): string => (isArray ? `${path}[${key}]` : path ? `${path}.${key}` : key);

/**
 * Walks a parsed JSON value once, with an explicit stack (never recursion: the point is to stop bodies
 * deep enough to overflow whatever walks them next). `{}` and `[]` are one level each.
 *
 * Lone UTF-16 surrogates ("\ud800" in JSON) are refused here because Redis's Lua cjson cannot read
 * them: a script that fails half-way keeps its earlier writes, so one such string stuck a run.
 */
export function findJsonFault(value: unknown, maxDepth: number): JsonFault | null {
  if (typeof value === 'string') return value.isWellFormed() ? null : { kind: 'lone_surrogate', path: '' };
  const stack: { value: object; depth: number; path: string }[] = [];
  if (value !== null && typeof value === 'object') stack.push({ value, depth: 1, path: '' });
  while (stack.length > 0) {
    const { value: container, depth, path } = stack.pop()!;
    if (depth > maxDepth) return { kind: 'too_deep' };
    const isArray = Array.isArray(container);
    for (const [key, child] of Object.entries(container)) {
      if (!key.isWellFormed()) return { kind: 'lone_surrogate', path: childPath(path, key.toWellFormed(), isArray) };
      if (typeof child === 'string') {
        if (!child.isWellFormed()) return { kind: 'lone_surrogate', path: childPath(path, key, isArray) };
      } else if (child !== null && typeof child === 'object') {
        stack.push({ value: child as object, depth: depth + 1, path: childPath(path, key, isArray) });
      }
    }
  }
  return null;
}

/** Whether a parsed JSON value nests deeper than `max` levels. */
export const nestsDeeperThan = (value: unknown, max: number): boolean => findJsonFault(value, max)?.kind === 'too_deep';

const faultMessage = (fault: JsonFault, where: string, max: number): string =>
  fault.kind === 'too_deep'
    ? `JSON ${where} nested deeper than ${max} levels`
    : `${where === 'body' ? 'Body' : 'Query'} ${fault.path ? `field "${fault.path}"` : 'value'} is not valid Unicode (a lone UTF-16 surrogate)`;

/**
 * Runs after the JSON body parser: a body (or query) nested deeper than `max`, or holding a string
 * that is not valid Unicode, is a 400 before anything else reads it.
 */
export const rejectUnsafeJson =
  (max = MAX_JSON_DEPTH) =>
  (req: Request, _res: Response, next: NextFunction): void => {
    for (const [where, value] of [['body', req.body], ['query', req.query]] as const) {
      const fault = findJsonFault(value, max);
      if (fault) return next(new BadRequestException(faultMessage(fault, where, max)));
    }
    next();
  };
