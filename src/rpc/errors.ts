/** JSON-RPC 2.0 error codes: the spec's, then Grove's server errors (DESIGN "JSON-RPC 2.0"). */
export const ErrorCode = {
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
} as const;

/** An error a caller may see: handlers throw it to answer with this code, message and data. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

/** `code` strings the tree and its helpers throw, and the wire code each becomes. */
const domainCodes: ReadonlyMap<string, number> = new Map([
  ['NOT_FOUND', ErrorCode.NotFound],
  ['TYPE_MISMATCH', ErrorCode.TypeMismatch],
  ['VERSION_CONFLICT', ErrorCode.VersionConflict],
  ['FORBIDDEN', ErrorCode.Forbidden],
  ['LIMIT_EXCEEDED', ErrorCode.LimitExceeded],
  ['UNAUTHENTICATED', ErrorCode.Unauthenticated],
  ['INVALID_ARGUMENT', ErrorCode.InvalidParams],
]);

/**
 * The RpcError a thrown value stands for, or undefined when it is a bug (an internal error,
 * whose message and stack must not reach the caller). Domain errors keep their message; their
 * `data` members and `path` go into `data`. A server error (the reserved -32000..-32099)
 * without a path of its own gets `path`, the path of the call it answers (DESIGN: every
 * server error carries the path in `data`).
 */
export function toRpcError(err: unknown, path?: string): RpcError | undefined {
  const error = asRpcError(err);
  if (error === undefined || path === undefined || error.code > -32000 || error.code < -32099) return error;
  const data = isPlainObject(error.data) ? error.data : {};
  if (typeof data.path === 'string') return error;
  return new RpcError(error.code, error.message, { ...data, path });
}

function asRpcError(err: unknown): RpcError | undefined {
  if (err instanceof RpcError) return err;
  if (!(err instanceof Error)) return undefined;
  const { code: name, path, data } = err as Error & { code?: unknown; path?: unknown; data?: unknown };
  const code = typeof name === 'string' ? domainCodes.get(name) : undefined;
  if (code === undefined) return undefined;
  const details = { ...(isPlainObject(data) ? data : {}), ...(path === undefined ? {} : { path }) };
  return new RpcError(code, err.message, Object.keys(details).length > 0 ? details : undefined);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
