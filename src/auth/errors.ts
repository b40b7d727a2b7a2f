/**
 * `code` strings the RPC layer maps to wire errors (src/rpc/errors.ts): -32006, -32004, -32602.
 * The `path` goes into the error's `data`.
 */
export type AuthErrorCode = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'INVALID_ARGUMENT';

/** A caller's call refused by authentication, path rules or owner signatures. */
export class AuthError extends Error {
  constructor(
    readonly code: AuthErrorCode,
    message: string,
    readonly path?: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

/** A rules file or --token the station must not start with; the message names the source and entry. */
export class RulesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RulesError';
  }
}
