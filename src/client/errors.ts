import type { RpcErrorObject } from './wire.js';

/** JSON-RPC 2.0's error codes, then the station's (DESIGN "JSON-RPC 2.0"). */
export const RpcErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  NotFound: -32001,
  TypeMismatch: -32002,
  VersionConflict: -32003,
  Forbidden: -32004,
  LimitExceeded: -32005,
  Unauthenticated: -32006,
  /** The station's disk refused the write. */
  StoreFailed: -32007,
  /** The cluster cannot take the write now (NATS unreachable, owner silent). */
  ClusterUnavailable: -32008,
} as const;

const codeNames: ReadonlyMap<number, string> = new Map(
  Object.entries(RpcErrorCode).map(([name, code]) => [code, name]),
);

/** An error the station answered with. */
export class GroveRpcError extends Error {
  readonly code: number;
  readonly data: unknown;
  /** The method that failed, or undefined when the error answered a whole message. */
  readonly method: string | undefined;

  constructor({ code, message, data }: RpcErrorObject, method?: string) {
    const name = codeNames.get(code) ?? 'error';
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
