import type { CallTracker } from './calls.js';
import { GroveMethods } from './methods.js';
import type { RpcParams, RpcRequest } from './wire.js';

/**
 * Collects calls for one JSON-RPC batch. Each returns its own promise, settled by its own
 * answer: an error in one item rejects only that item.
 */
export class GroveBatch extends GroveMethods {
  readonly requests: RpcRequest[] = [];
  readonly results: Promise<unknown>[] = [];
  #sealed = false;

  constructor(private readonly calls: CallTracker) {
    super();
  }

  call<T = unknown>(method: string, params?: RpcParams): Promise<T> {
    if (this.#sealed) throw new Error(`${method}: this batch was already sent; add calls inside the batch callback`);
    const { request, result } = this.calls.open<T>(method, params);
    this.requests.push(request);
    this.results.push(result);
    // an item nobody awaits must not become an unhandled rejection; the caller still sees it
    result.catch(() => {});
    return result;
  }

  seal(): number[] {
    this.#sealed = true;
    return this.requests.map((request) => request.id!);
  }
}
