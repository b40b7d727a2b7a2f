// GET /events?path=...&since=...: the change events of a subtree as Server-Sent Events, for
// clients that only speak HTTP. Each event's id is its version, so a reconnecting
// EventSource resumes where it left off (Last-Event-ID) from the same change log.
import type { FastifyPluginAsync } from 'fastify';

import { toRpcError } from '../rpc/index.js';
import type { StationContext } from './context.js';
import { normalise } from './methods/tree.js';

const HEARTBEAT_MS = 15_000;

export const eventsRoute: FastifyPluginAsync<{ station: StationContext; streams: Set<unknown> }> = async (app, { station, streams }) => {
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
      const header = request.headers.authorization;
      const token = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : query.token;
      const lastEventId = Number(request.headers['last-event-id']);
      const since = Number.isSafeInteger(lastEventId) && lastEventId >= 0 ? lastEventId : query.since;
      // Replayed events arrive before the stream is open: they wait here until it is.
      const pending: string[] = [];
      let send = (text: string) => void pending.push(text);
      let subscription;
      try {
        const identity = station.auth.authenticate(token);
        const path = normalise(station, query.path);
        station.auth.check(identity, 'read', path);
        subscription = station.hub.subscribe(path, (event) => send(frame(event.version, event)), since);
      } catch (err) {
        const error = toRpcError(err);
        if (error === undefined) throw err;
        const status = error.code === -32006 ? 401 : error.code === -32004 ? 403 : 400;
        return reply.code(status).send({ error: { code: error.code, message: error.message, data: error.data } });
      }
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      raw.write(': grove change events\n\n');
      send = (text) => void raw.write(text);
      for (const text of pending) send(text);
      streams.add(raw);
      const heartbeat = setInterval(() => send(': heartbeat\n\n'), HEARTBEAT_MS).unref();
      const live = subscription;
      raw.on('close', () => {
        clearInterval(heartbeat);
        live.close();
        streams.delete(raw);
      });
    },
  );
};

function frame(version: number, event: object): string {
  return `id: ${version}\nevent: tree.changed\ndata: ${JSON.stringify(event)}\n\n`;
}
