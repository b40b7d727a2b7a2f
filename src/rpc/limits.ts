import { ErrorCode, RpcError } from './errors.js';

/** The RPC layer's share of DESIGN "Limits"; every one is enforced with an error naming it. */
export interface RpcLimits {
  /** Bytes in one HTTP body or one WebSocket message. */
  maxBodyBytes: number;
  /** Calls in one batch. */
  maxBatch: number;
  /** Arrays and objects nested inside one param value. */
  maxDepth: number;
}

export const defaultLimits: Readonly<RpcLimits> = {
  maxBodyBytes: 1024 * 1024,
  maxBatch: 100,
  maxDepth: 64,
};

export function resolveLimits(overrides: Partial<RpcLimits> = {}): RpcLimits {
  const limits = { ...defaultLimits, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new TypeError(`limits.${name} must be a positive integer, got ${String(value)}`);
    }
  }
  return limits;
}

/** The -32005 error for a limit, with its name and value in `data` so clients can adapt. */
export function limitExceeded(limit: keyof RpcLimits | 'rateLimit', max: number, message: string): RpcError {
  return new RpcError(ErrorCode.LimitExceeded, `${message} (limits.${limit} is ${max})`, { limit, max });
}

/**
 * Whether a value nests deeper than `max` arrays/objects. Recursion stops at the limit, so
 * an adversarial 500,000-deep value costs at most `max` stack frames.
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (max === 0) return true;
  for (const child of Array.isArray(value) ? value : Object.values(value)) {
    if (nestsDeeperThan(child, max - 1)) return true;
  }
  return false;
}
