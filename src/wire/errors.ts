// The one registry of the error codes on the wire (DESIGN "JSON-RPC 2.0"): the spec's, then
// Grove's server errors. Shaped like fastify's lib/errors.js: each entry has its code, its name
// (the key), the template of its message and the HTTP status a plain-HTTP route (SSE, export)
// answers it with. The station, the cluster and the browser client all import it, so nothing
// here may import Node modules or anything outside src/wire.

export interface WireError {
  readonly code: number;
  /** The message, `%s` replaced by the details (a domain error's own message for the server errors). */
  readonly message: string;
  readonly status: number;
  /** The `code` string of the domain errors (GroveError, AuthError) that become this code. */
  readonly domain?: string;
}

export const wireErrors = {
  ParseError: { code: -32700, message: 'Parse error: %s', status: 400 },
  InvalidRequest: { code: -32600, message: 'Invalid Request: %s', status: 400 },
  MethodNotFound: { code: -32601, message: 'Method not found: %s', status: 404 },
  InvalidParams: { code: -32602, message: '%s', status: 400, domain: 'INVALID_ARGUMENT' },
  /** A bug: its message and stack stay in the station's log. */
  InternalError: { code: -32603, message: 'Internal error', status: 500 },
  NotFound: { code: -32001, message: '%s', status: 404, domain: 'NOT_FOUND' },
  TypeMismatch: { code: -32002, message: '%s', status: 400, domain: 'TYPE_MISMATCH' },
  VersionConflict: { code: -32003, message: '%s', status: 409, domain: 'VERSION_CONFLICT' },
  Forbidden: { code: -32004, message: '%s', status: 403, domain: 'FORBIDDEN' },
  /** A limit a request passed; `data.limit` names it (429 instead when `data.retryAfterMs` says when to retry). */
  LimitExceeded: { code: -32005, message: '%s', status: 400, domain: 'LIMIT_EXCEEDED' },
  Unauthenticated: { code: -32006, message: '%s', status: 401, domain: 'UNAUTHENTICATED' },
  /** The station's disk refused the write. */
  StoreFailed: { code: -32007, message: '%s', status: 503 },
  /** The cluster cannot take the write now (NATS unreachable, owner silent): retry after `data.retryAfterMs`. */
  ClusterUnavailable: { code: -32008, message: '%s', status: 503 },
} as const satisfies Record<string, WireError>;

export type WireErrorName = keyof typeof wireErrors;

/** Each name's code: `ErrorCode.NotFound` is -32001. */
export const ErrorCode = Object.fromEntries(Object.entries(wireErrors).map(([name, { code }]) => [name, code])) as {
  readonly [Name in WireErrorName]: (typeof wireErrors)[Name]['code'];
};

const byCode: ReadonlyMap<number, WireErrorName> = new Map(
  Object.entries(wireErrors).map(([name, { code }]) => [code, name as WireErrorName]),
);

/** The name of a code ("NotFound"), or undefined for a code not in the registry. */
export function errorName(code: number): WireErrorName | undefined {
  return byCode.get(code);
}

/** The HTTP status of a code; 500 for one not in the registry. */
export function httpStatus(code: number): number {
  const name = byCode.get(code);
  return name === undefined ? 500 : wireErrors[name].status;
}

/** A name's message with its details in place of `%s`. */
export function wireMessage(name: WireErrorName, details = ''): string {
  return wireErrors[name].message.replace('%s', details);
}

/** The wire code of a domain error's `code` string, or undefined when it has none. */
export const domainCodes: ReadonlyMap<string, number> = new Map(
  Object.values(wireErrors as Record<string, WireError>).flatMap(({ code, domain }) => (domain === undefined ? [] : [[domain, code] as const])),
);

/** Whether a code is in the range JSON-RPC 2.0 reserves for a server's own errors (-32000..-32099). */
export function isServerError(code: number): boolean {
  return code <= -32000 && code >= -32099;
}
