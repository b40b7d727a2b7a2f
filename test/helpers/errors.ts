// Shared by the Tree and Node tests: what a call that Grove must refuse throws.
import { expect } from 'vitest';
import { GroveError, type GroveErrorCode } from '../../src/index.js';

/** Runs `fn`, expecting a GroveError with `code` whose message matches `message`; returns it. */
export function expectGroveError(fn: () => unknown, code: GroveErrorCode, message?: RegExp | string): GroveError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(GroveError);
    const grove = error as GroveError;
    expect(grove.code).toBe(code);
    if (message !== undefined) expect(grove.message).toMatch(message);
    return grove;
  }
  throw new Error(`expected a GroveError ${code}, but nothing was thrown`);
}
