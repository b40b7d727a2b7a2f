import { domainCodes, isServerError, wireErrors, type WireErrorName, wireMessage } from '../wire/errors.js';

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

/** The registry's error of that name, its details in its message template. */
export function wireError(name: WireErrorName, details?: string, data?: unknown): RpcError {
  return new RpcError(wireErrors[name].code, wireMessage(name, details), data);
}

/**
 * The RpcError a thrown value stands for, or undefined when it is a bug (an internal error,
 * whose message and stack must not reach the caller). Domain errors keep their message; their
 * `data` members and `path` go into `data`. A server error (isServerError)
 * without a path of its own gets `path`, the path of the call it answers (DESIGN: every
 * server error carries the path in `data`).
 */
export function toRpcError(err: unknown, path?: string): RpcError | undefined {
  const error = asRpcError(err);
  if (error === undefined || path === undefined || !isServerError(error.code)) return error;
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
