import { ErrorCode } from '../wire/errors.js';
import { RpcError } from './errors.js';

/** The RPC layer's share of DESIGN "Limits"; every one is enforced with an error naming it. */
export interface RpcLimits {
  /** Bytes in one HTTP body or one WebSocket message. */
  maxBodyBytes: number;
  /** Calls in one batch. */
  maxBatch: number;
  /** Arrays and objects nested inside one param value. */
  maxDepth: number;
  /**
   * Bytes sent to a connection and not yet taken by the network past which it is no longer
   * read (its next message waits) and its subscriptions end as too slow.
   */
  maxQueuedBytes: number;
  /**
   * Bytes one message's answer may take (results past them are refused with -32005), and
   * the unsent bytes past which a connection is closed (WebSocket 1008; HTTP: the socket).
   */
  maxUnsentBytes: number;
}

export const defaultLimits: Readonly<RpcLimits> = {
  maxBodyBytes: 1024 * 1024,
  maxBatch: 100,
  maxDepth: 64,
  maxQueuedBytes: 8 * 2 ** 20,
  maxUnsentBytes: 64 * 2 ** 20,
};

export function resolveLimits(overrides: Partial<RpcLimits> = {}): RpcLimits {
  const limits = { ...defaultLimits, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new TypeError(`limits.${name} must be a positive integer, got ${String(value)}`);
    }
  }
  if (limits.maxQueuedBytes > limits.maxUnsentBytes) {
    throw new TypeError(`limits.maxQueuedBytes (${limits.maxQueuedBytes}) must not be larger than limits.maxUnsentBytes (${limits.maxUnsentBytes})`);
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
