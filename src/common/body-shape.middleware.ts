import { BadRequestException } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/** No form or API body here needs more than a few levels; 32 leaves ample room. */
export const MAX_BODY_DEPTH = 32;
/** Keys that mean something to JavaScript objects themselves, never a field of ours. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Checks the shape of a parsed body before anything validates or copies it: nesting deeper than
 * MAX_BODY_DEPTH (2,000 levels of "[" overflowed the validator's recursion) and keys such as __proto__
 * (which the validators skip, so they were silently accepted) answer 400 naming the problem. The walk keeps
 * its own stack, so a deep body cannot overflow this check either.
 */
export function checkBodyShape(request: Request, _response: Response, next: NextFunction): void {
  const body: unknown = request.body;
  if (body === null || typeof body !== 'object') return next();
  const pending: { value: object; depth: number; path: string }[] = [{ value: body, depth: 1, path: '' }];
  while (pending.length > 0) {
    const { value, depth, path } = pending.pop()!;
    if (depth > MAX_BODY_DEPTH) {
      return next(
        new BadRequestException(`The body is nested too deeply (more than ${MAX_BODY_DEPTH} levels).`),
      );
    }
    for (const key of Object.keys(value)) {
      const at = path === '' ? key : `${path}.${key}`;
      if (FORBIDDEN_KEYS.has(key)) return next(new BadRequestException(`${at} is not an allowed field`));
      const inner = (value as Record<string, unknown>)[key];
      if (inner !== null && typeof inner === 'object')
        pending.push({ value: inner, depth: depth + 1, path: at });
    }
  }
  next();
}
