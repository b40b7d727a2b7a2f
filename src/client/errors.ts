import { errorName } from '../wire/errors.js';
import type { RpcErrorObject } from './wire.js';

/** An error the station answered with. */
export class GroveRpcError extends Error {
  readonly code: number;
  readonly data: unknown;
  /** The method that failed, or undefined when the error answered a whole message. */
  readonly method: string | undefined;

  constructor({ code, message, data }: RpcErrorObject, method?: string) {
    const name = errorName(code) ?? 'error';
    super(`${method ?? 'request'} failed: ${message} (${name} ${code})`);
    this.name = 'GroveRpcError';
    this.code = code;
    this.data = data;
    this.method = method;
  }
}

/** No answer came within the client's timeout; a write may still have been applied. */
export class GroveTimeoutError extends Error {
  constructor(
    readonly method: string,
    readonly timeoutMs: number,
  ) {
    super(`${method} timed out after ${timeoutMs} ms without an answer from the station`);
    this.name = 'GroveTimeoutError';
  }
}

/** The call could not be delivered or its answer was lost (network, HTTP status, closed socket). */
export class GroveConnectionError extends Error {
  constructor(
    message: string,
    /** The HTTP status, when an HTTP response carried no JSON-RPC answer. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'GroveConnectionError';
  }
}
