// The one error class of the public API. The addon throws it too (src/native.ts registers
// it), so a failure from any layer carries the same codes as the C++ core's ErrorCode.

export type GroveErrorCode =
  | 'INVALID_ARGUMENT' // a malformed name, path, value, option or argument
  | 'NOT_FOUND' // no node at a path, index, name or id
  | 'TYPE_MISMATCH' // a value that does not convert exactly, or an op the type lacks
  | 'VERSION_CONFLICT' // an ifVersion that no longer holds
  | 'LIMIT_EXCEEDED' // a configured limit
  | 'RELEASED'; // a handle or tree used after release or close

export class GroveError extends Error {
  readonly code: GroveErrorCode;
  /** The path the failure is about, when there is one. */
  readonly path?: string;

  constructor(code: GroveErrorCode, message: string, path?: string) {
    super(message);
    this.name = 'GroveError';
    this.code = code;
    if (path !== undefined) this.path = path;
  }
}

/** What a value is, for "expected X, got Y" messages: "string", "array", "Uint8Array", "null", ... */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') {
    const name = Object.getPrototypeOf(value)?.constructor?.name;
    return typeof name === 'string' && name !== 'Object' ? name : 'object';
  }
  return typeof value;
}

/** An INVALID_ARGUMENT error for a JavaScript argument of the wrong kind. */
export function argumentError(where: string, expected: string, got: unknown): GroveError {
  return new GroveError('INVALID_ARGUMENT', `${where}: expected ${expected}, got ${describeType(got)}`);
}
