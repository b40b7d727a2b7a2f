// GET /events?path=...&since=...: the change events of a subtree as Server-Sent Events, for
// clients that only speak HTTP. Each event's id is its version, so a reconnecting
// EventSource resumes where it left off (Last-Event-ID) from the same change log; a
// "progress" event moves that id on for a stream whose path has been quiet.
import type { ServerResponse } from 'node:http';

import type { FastifyPluginAsync } from 'fastify';

import { GroveError } from '../errors.js';
import { bearerToken, toRpcError } from '../rpc/index.js';
import { httpStatus } from '../wire/errors.js';
import { eventJson, type Subscription } from './changes.js';
import type { StationContext } from './context.js';
import { readerOf } from './methods/station.js';
import { normalise } from './methods/tree.js';

const HEARTBEAT_MS = 15_000;
/** How long a stream ended as too slow may take to hand over what it holds before its connection is closed. */
const ENDED_MS = 30_000;

export const eventsRoute: FastifyPluginAsync<{ station: StationContext; streams: Set<unknown> }> = async (app, { station, streams }) => {
  // open streams never end by themselves: end them, or closing the server waits for them
  app.addHook('preClose', async () => {
    for (const stream of streams) (stream as ServerResponse).end();
  });

  app.get(
    '/events',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: { path: { type: 'string', default: '' }, since: { type: 'integer', minimum: 0 }, token: { type: 'string' } },
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const query = request.query as { path: string; since?: number; token?: string };
      // EventSource cannot send headers, so a browser gives the token in the URL (never logged: maskToken, src/station/logging.ts)
      const token = bearerToken(request.headers.authorization) ?? query.token;
      const lastEventId = Number(request.headers['last-event-id']);
      const since = Number.isSafeInteger(lastEventId) && lastEventId >= 0 ? lastEventId : query.since;
      const { maxQueuedBytes } = station.engine.limits;
      // Replayed events arrive before the stream is open: they wait here until it is, as
      // many as the connection may hold unsent; a replay longer than that ends the stream
      // once they are written, and the reader resumes from the last id it read.
      const pending: string[] = [];
      let pendingBytes = 0;
      let send = (text: string) => {
        if (pendingBytes > maxQueuedBytes) return;
        pending.push(text);
        pendingBytes += text.length;
      };
      let subscription: Subscription;
      try {
        wellEncoded(request.url);
        const identity = station.identify({ token, address: request.ip });
        const path = normalise(station, query.path);
        station.auth.check(identity, 'read', path);
        subscription = station.hub.subscribe(path, (event) => send(frame('tree.changed', eventJson(event), event.version)), {
          since,
          mayRead: readerOf(identity),
          // its id moves the reader's Last-Event-ID on, so a quiet stream can resume from the log
          onProgress: (version) => send(frame('progress', `{"version":${version}}`, version)),
        });
      } catch (err) {
        const error = toRpcError(err);
        if (error === undefined) throw err;
        const retryAfterMs = (error.data as { retryAfterMs?: number } | undefined)?.retryAfterMs;
        if (retryAfterMs !== undefined) reply.header('retry-after', Math.ceil(retryAfterMs / 1000));
        const full = (error.data as { limit?: string } | undefined)?.limit === 'maxStationSubscriptions';
        const status = retryAfterMs !== undefined ? 429 : full ? 503 : httpStatus(error.code);
        return reply.code(status).send({ error: { code: error.code, message: error.message, data: error.data } });
      }
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      raw.write(': grove change events\n\n');
      const slow = () => {
        // a reader this slow resumes from the log: EventSource reconnects with Last-Event-ID;
        // one that reads nothing at all is let go of after a while
        subscription.close();
        setTimeout(() => raw.destroy(), ENDED_MS).unref();
        const message = `over ${maxQueuedBytes} bytes of events were waiting to be read; reconnect from the last id seen`;
        raw.end(frame('subscriptionEnded', JSON.stringify({ reason: 'slow', message })));
      };
      for (const text of pending.splice(0)) raw.write(text);
      if (pendingBytes > maxQueuedBytes) slow();
      send = (text) => {
        if (raw.writableEnded) return;
        if (raw.writableLength <= maxQueuedBytes) return void raw.write(text);
        slow();
      };
      streams.add(raw);
      const heartbeat = setInterval(() => raw.writableEnded || raw.write(': heartbeat\n\n'), HEARTBEAT_MS).unref();
      raw.on('close', () => {
        clearInterval(heartbeat);
        subscription.close();
        streams.delete(raw);
      });
    },
  );
};

/**
 * Throws INVALID_ARGUMENT for a query whose percent-encoding is not UTF-8 (the query parser
 * would keep such an escape as its literal text: "%ED%B0%80", a lone surrogate, would name a
 * node "%ED%B0%80" instead of being refused as names with one are).
 */
function wellEncoded(url: string): void {
  const query = url.indexOf('?');
  try {
    if (query !== -1) decodeURIComponent(url.slice(query + 1));
  } catch {
    throw new GroveError('INVALID_ARGUMENT', 'the query of /events is not valid percent-encoded UTF-8: encode each parameter with encodeURIComponent');
  }
}

/** One SSE frame; `data` is JSON text (an event's is made once, for every reader). */
function frame(name: string, data: string, id?: number): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${name}\ndata: ${data}\n\n`;
}
