import { GroveRpcError, GroveTimeoutError } from './errors.js';
import type { RpcErrorObject, RpcParams, RpcRequest, RpcResponse } from './wire.js';

interface Pending {
  readonly method: string;
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** Makes the error one call fails with, from the method it was calling. */
export type CallFailure = (method: string) => Error;

/**
 * The calls awaiting an answer, by request id. Every call settles exactly once: with its
 * answer, with a failure a transport reports, or with a timeout.
 */
export class CallTracker {
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();

  constructor(readonly timeoutMs: number) {}

  open<T>(method: string, params?: RpcParams): { request: RpcRequest; result: Promise<T> } {
    const id = this.#nextId++;
    const result = new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => this.fail([id], () => new GroveTimeoutError(method, this.timeoutMs)), this.timeoutMs);
      this.#pending.set(id, { method, resolve: resolve as (result: unknown) => void, reject, timer });
    });
    return { request: { jsonrpc: '2.0', method, params, id }, result };
  }

  isPending(id: number): boolean {
    return this.#pending.has(id);
  }

  /**
   * Settles the calls one response message (an object or a batch array) answers. Returns the
   * error that answered the whole message (`id: null`: unparseable, too large, ...), if any.
   */
  answer(message: unknown): RpcErrorObject | undefined {
    let wholeMessageError: RpcErrorObject | undefined;
    for (const response of Array.isArray(message) ? message : [message]) {
      if (!isResponse(response)) continue;
      const pending = typeof response.id === 'number' ? this.#take(response.id) : undefined;
      if (pending === undefined) {
        // an unknown id answers a call that already timed out
        if (response.id === null && response.error !== undefined) wholeMessageError = response.error;
      } else if (response.error !== undefined) {
        pending.reject(new GroveRpcError(response.error, pending.method));
      } else {
        pending.resolve(response.result);
      }
    }
    return wholeMessageError;
  }

  /** Fails those of `ids` still pending. */
  fail(ids: Iterable<number>, failure: CallFailure): void {
    for (const id of ids) {
      const pending = this.#take(id);
      pending?.reject(failure(pending.method));
    }
  }

  failAll(failure: CallFailure): void {
    this.fail([...this.#pending.keys()], failure);
  }

  #take(id: number): Pending | undefined {
    const pending = this.#pending.get(id);
    if (pending === undefined) return undefined;
    clearTimeout(pending.timer);
    this.#pending.delete(id);
    return pending;
  }
}

function isResponse(value: unknown): value is RpcResponse {
  if (typeof value !== 'object' || value === null || !('id' in value)) return false;
  const { error } = value as { error?: unknown };
  return error === undefined || (typeof error === 'object' && error !== null && 'code' in error);
}
