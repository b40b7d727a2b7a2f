// Rate limits (DESIGN "Limits"). Calls are counted, not requests: a batch of 100 counts 100,
// and so does every WebSocket message's calls. They are counted per caller across all of its
// connections: by its token when it presents one this station knows, else by its client
// address (an unknown token counts as the address, so made-up tokens buy no budget). Failed
// authentications (a token presented and not known) are counted per client address; past the
// limit, every authentication from that address is refused until the window ends, so guessing
// is bounded by time, not by how many connections a client opens. Plain HTTP requests (the
// explorer's files, the /ws upgrade, /events) count one each against the address.
import type { FastifyPluginAsync } from 'fastify';

import { ErrorCode, type RpcContext, RpcError, sendRpcError } from '../rpc/index.js';
import { AuthError, type Authorizer, type Identity } from '../auth/index.js';

/** At most `max` per `timeWindowMs`. */
export interface RateLimit {
  max: number;
  timeWindowMs: number;
}

/** Counts per key in fixed windows: when a window ends, every count starts again from zero. */
export class RateWindow {
  readonly limit: RateLimit;
  #start = Date.now();
  #counts = new Map<unknown, number>();

  constructor(limit: RateLimit) {
    for (const [name, value] of Object.entries(limit)) {
      if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`a rate limit's ${name} must be a positive integer, got ${String(value)}`);
    }
    this.limit = limit;
  }

  /** Adds `n` to the count of `key`: 0 while the count is within the limit, else the milliseconds until the window ends. */
  add(key: unknown, n: number): number {
    this.#roll();
    const count = (this.#counts.get(key) ?? 0) + n;
    this.#counts.set(key, count);
    return count > this.limit.max ? this.#remaining() : 0;
  }

  /** 0 while one more for `key` would be within the limit, else the milliseconds until the window ends; counts nothing. */
  full(key: unknown): number {
    this.#roll();
    return (this.#counts.get(key) ?? 0) >= this.limit.max ? this.#remaining() : 0;
  }

  #roll(): void {
    const now = Date.now();
    if (now - this.#start < this.limit.timeWindowMs) return;
    this.#start = now;
    this.#counts = new Map();
  }

  #remaining(): number {
    return Math.max(1, this.limit.timeWindowMs - (Date.now() - this.#start));
  }
}

/** Who a call comes from, as the transports know it. */
export interface Caller {
  token?: string;
  address?: string;
}

export interface CallerLimitOptions {
  /** Calls per caller; false for none. */
  calls: RateLimit | false;
  /** Failed authentications per client address; false for none. */
  authFailures: RateLimit | false;
}

/** The station's rate limits, and authentication counted against them. */
export class CallerLimits {
  readonly #auth: Authorizer;
  readonly #calls: RateWindow | undefined;
  readonly #failures: RateWindow | undefined;

  constructor(auth: Authorizer, { calls, authFailures }: CallerLimitOptions) {
    this.#auth = auth;
    this.#calls = calls === false ? undefined : new RateWindow(calls);
    this.#failures = authFailures === false ? undefined : new RateWindow(authFailures);
  }

  /**
   * The caller a token identifies (Authorizer.authenticate); an unknown token counts as a
   * failed authentication of its address, and an address past that limit is refused (-32005)
   * whatever it presents.
   */
  identify({ token, address }: Caller): Identity {
    const counted = this.#failures !== undefined && token !== undefined && address !== undefined;
    const wait = counted ? this.#failures!.full(address) : 0;
    if (wait > 0) {
      const { max, timeWindowMs } = this.#failures!.limit;
      throw rateError(
        `too many failed authentications from ${address}: ${max} in ${timeWindowMs} ms; authentication from it is refused for ${wait} ms more`,
        'authFailures',
        max,
        wait,
      );
    }
    try {
      return this.#auth.authenticate(token);
    } catch (error) {
      if (counted && error instanceof AuthError && error.code === 'UNAUTHENTICATED') this.#failures!.add(address, 1);
      throw error;
    }
  }

  /** The engine's admission (RpcEngineOptions.admit): counts a message's calls against its caller. */
  admit(calls: number, context: RpcContext): RpcError | undefined {
    if (this.#calls === undefined || context.address === undefined) return undefined;
    const known = this.#known(context.token);
    const wait = this.#calls.add(known ?? context.address, calls);
    return wait === 0 ? undefined : this.#refusal(known === undefined ? 'client address' : 'token', wait);
  }

  /** Counts one plain HTTP request against its client address. */
  request(address: string): RpcError | undefined {
    const wait = this.#calls?.add(address, 1) ?? 0;
    return wait === 0 ? undefined : this.#refusal('client address', wait);
  }

  /** The identity of a token this station knows (not counted as an authentication), else undefined. */
  #known(token: string | undefined): Identity | undefined {
    if (token === undefined || this.#auth.open) return undefined;
    try {
      return this.#auth.authenticate(token);
    } catch {
      return undefined;
    }
  }

  #refusal(by: string, wait: number): RpcError {
    const { max, timeWindowMs } = this.#calls!.limit;
    return rateError(`rate limit exceeded: at most ${max} calls per ${timeWindowMs} ms from one ${by}; retry in ${wait} ms`, 'rateLimit', max, wait);
  }
}

function rateError(message: string, limit: string, max: number, retryAfterMs: number): RpcError {
  return new RpcError(ErrorCode.LimitExceeded, `${message} (limits.${limit} is ${max})`, { limit, max, retryAfterMs });
}

/**
 * Counts every HTTP request but POST /rpc (whose calls the engine counts) against its client
 * address, answering 429 past the limit. Registered on the root, so it sees every route.
 */
export const requestRateLimit: FastifyPluginAsync<{ limits: CallerLimits }> = async (app, { limits }) => {
  app.addHook('onRequest', async (request, reply) => {
    if (request.method === 'POST' && request.url.split('?', 1)[0] === '/rpc') return;
    const refusal = limits.request(request.ip);
    if (refusal !== undefined) return sendRpcError(reply, 429, refusal);
  });
};
// applies to the whole app rather than to a context of its own (what fastify-plugin does)
(requestRateLimit as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
