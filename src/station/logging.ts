// The station's logs: one JSON object a line (pino), with an ISO timestamp and the level by
// name, written to stderr. Requests are logged at debug. No secrets: headers are not logged,
// and a token in a URL (GET /events?token=...) is masked.
import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { type DestinationStream, type Logger, pino } from 'pino';

import type { LogLevel } from './logLevels.js';

export type { Logger } from 'pino';
export { LOG_LEVELS, type LogLevel } from './logLevels.js';

/** stderr, shared by every logger of the process (a test may build hundreds of stations). */
let stderr: DestinationStream | undefined;

/** A logger at `level`, writing to `destination` (default stderr). */
export function createLogger(level: LogLevel, destination: DestinationStream = (stderr ??= pino.destination(2))): Logger {
  return pino(
    {
      level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { req: requestFields },
    },
    destination,
  );
}

/** What a log line says of a request: never its headers, and its URL without a token. */
function requestFields(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: maskToken(request.url),
    host: request.host,
    remoteAddress: request.ip,
  };
}

/** A request URL without the value of its `token` query parameter (however its name is encoded), for logs. */
export function maskToken(url: string): string {
  const query = url.indexOf('?');
  if (query === -1) return url;
  const params = url
    .slice(query + 1)
    .split('&')
    .map((param) => (queryKey(param) === 'token' ? 'token=[masked]' : param));
  return `${url.slice(0, query)}?${params.join('&')}`;
}

/** A query parameter's name as the query parser reads it ("%74oken" is "token"), lower case. */
function queryKey(param: string): string {
  const key = param.split('=', 1)[0]!.replaceAll('+', ' ');
  try {
    return decodeURIComponent(key).toLowerCase();
  } catch {
    return key.toLowerCase();
  }
}


/**
 * Fastify's own lines about requests, at debug rather than info: one line per answered
 * request, and refused ones (4xx, no such route) too; a failure of the station's (5xx) stays
 * an error.
 */
export class StationLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const ms = Math.round(reply.elapsedTime * 100) / 100;
    if (error) reply.log.error({ req: request, res: reply, err: error, ms }, 'request failed');
    else reply.log.debug({ req: request, res: reply, ms }, 'request');
  }

  override routeNotFound(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'no such route');
  }

  override defaultErrorLog(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    if (reply.statusCode >= 500) super.defaultErrorLog(error, request, reply);
    else reply.log.debug({ res: reply, err: error }, error.message);
  }
}

/** The `(line) => void` logs of the store and the cluster, as warnings of the station's logger. */
export function componentLog(logger: Logger, component: 'store' | 'cluster'): (line: string) => void {
  return (line) => logger.warn({ component }, line);
}

/** The station's logger: the one given, or one at the level given (default warn: what the store and the cluster report, and failures). */
export function stationLogger(logger: Logger | LogLevel = 'warn'): Logger {
  return typeof logger === 'string' ? createLogger(logger) : logger;
}
