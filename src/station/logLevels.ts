// The station's log levels, pino's, in a file of their own so that the CLI can check
// --log-level without loading the logger.
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export type LogLevel = (typeof LOG_LEVELS)[number];
